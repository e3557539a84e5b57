// Package bench holds kage's end-to-end benchmarks; it has no code of its
// own. They run the real programs as a shell would, against a private
// gnome-keyring (internal/testkeyring), side by side with their baselines:
//
//   - BenchmarkEnv: `kage env --shell bash` against minimal (one batched
//     Secret Service read, the physical limit) and onebyone (go-keyring,
//     one value at a time), for 10 and 100 secrets, and kage env where no
//     secrets are stored (kage's cost besides the keychain);
//   - BenchmarkSecretGet: `kage secret get` of one name, which reads through
//     go-keyring;
//   - BenchmarkHookUnchanged: the prompt hook when nothing changed, kage's
//     and direnv's.
//
// Run them with `make bench`, or:
//
//	go test -run '^$' -bench . -benchtime 20x ./bench/
package bench
