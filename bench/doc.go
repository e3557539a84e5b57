// Package bench holds kage's end-to-end benchmarks; it has no code of its
// own. They run the real programs as a shell would, against a private
// gnome-keyring (internal/testkeyring), side by side with their baselines:
//
//   - BenchmarkEnv: `kage env --shell bash` against minimal (one batched
//     Secret Service read, the physical limit) and onebyone (go-keyring,
//     one value at a time), for 10 and 100 secrets, and kage env where no
//     secrets are stored against hello (an empty static Go program);
//   - BenchmarkSecretGet: `kage secret get` of one name against minimal
//     reading that one item;
//   - BenchmarkHookUnchanged: the prompt hook when nothing changed, against
//     direnv's export and hello;
//   - BenchmarkParallelEnv: 10 and 20 `kage env` at once over 1,000
//     secrets against as many minimal readers at once (fanout runs the
//     copies);
//   - BenchmarkDoctor: `kage doctor` at 1,000 secrets against attrlist, a
//     listing that reads only each item's Attributes;
//   - BenchmarkMaskedExec: 256 MiB of a program's output through kage
//     exec's masking filter, with 100 values to mask, against the same
//     stream through cat.
//
// Each figure runs kage and its baseline in alternation in one loop, so
// that a machine whose speed drifts slows both, and reports the medians
// and their ratio; the package ends with one table of every figure, its
// baseline, the ratio and the goal, with MISSED where a goal was not met.
//
// Run them with `make bench`, or:
//
//	go test -run '^$' -bench . -benchtime 20x ./bench/
package bench
