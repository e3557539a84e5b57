package shellenv

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kage-cli/kage/internal/hostile"
)

// batchSize is how many variables one shell process loads: large enough
// that the suite starts few processes, small enough that a failure message
// stays readable.
const batchSize = 50

// randomMixes is how many seeded random mixes run beside the fixed values.
const randomMixes = 300

// roundTripValues are the fixed hostile values and the random mixes, all
// creating marker if an injection works.
func roundTripValues(marker string) []hostile.Value {
	return append(hostile.Values(marker), hostile.Random(marker, 1, randomMixes)...)
}

// TestRoundTrip renders every hostile value for each real shell, evaluates
// the code as a user would (eval "$(kage env)", … | source, eval (… | slurp),
// … | Invoke-Expression, … | from json | load-env), and checks that the
// environment the shell then hands a child program holds each value byte
// for byte, that nothing was written to stderr and that no injected
// command ran.
func TestRoundTrip(t *testing.T) {
	for _, sh := range realShells() {
		t.Run(sh.label, func(t *testing.T) {
			t.Parallel()
			path := lookShell(t, sh)
			enc, err := Get(sh.enc)
			if err != nil {
				t.Fatal(err)
			}
			marker := filepath.Join(t.TempDir(), "PWNED")
			var vals []hostile.Value
			for _, v := range roundTripValues(marker) {
				if sh.canHold(v.Bytes) {
					vals = append(vals, v)
				}
			}
			for start := 0; start < len(vals); start += batchSize {
				batch := vals[start:min(start+batchSize, len(vals))]
				roundTripBatch(t, sh, path, enc, marker, start, batch)
			}
		})
	}
}

func roundTripBatch(t *testing.T, sh realShell, path string, enc Shell, marker string, start int, batch []hostile.Value) {
	t.Helper()
	var p Plan
	for i, v := range batch {
		p.Set = append(p.Set, Var{Name: fmt.Sprintf("V%04d", start+i), Value: v.Bytes})
	}
	code, err := enc.Render(p)
	if err != nil {
		t.Fatalf("render batch at %d: %v", start, err)
	}
	r := newRun(t, sh, path)
	r.line(sh.evalTop(r.code(code)))
	dump := r.dumpEnv()
	r.exec(marker)
	env := r.readEnv(dump)
	for i, v := range batch {
		name := p.Set[i].Name
		got, ok := env[name]
		if !ok {
			t.Errorf("%s: %s (%s) is not in the environment", sh.label, name, v.Label)
			continue
		}
		if !bytes.Equal(got, v.Bytes) {
			t.Errorf("%s: %s (%s):\n got %s\nwant %s", sh.label, name, v.Label, show(got), show(v.Bytes))
		}
	}
}

// TestSaveRestore drives the hook's plans through each real shell: a
// variable kage replaces keeps its earlier value (or its absence) through
// Save and Set, a second Save keeps the first saved value, Restore brings
// it back and clears the saved copy, and the saved copy is never exported.
// The earlier values and the values kage sets are hostile too.
func TestSaveRestore(t *testing.T) {
	for _, sh := range realShells() {
		if !sh.hook {
			continue
		}
		t.Run(sh.label, func(t *testing.T) {
			t.Parallel()
			path := lookShell(t, sh)
			enc, err := Get(sh.enc)
			if err != nil {
				t.Fatal(err)
			}
			marker := filepath.Join(t.TempDir(), "PWNED")
			var vals [][]byte
			for _, v := range append(hostile.Values(marker), hostile.Random(marker, 2, 60)...) {
				if sh.canHold(v.Bytes) {
					vals = append(vals, v.Bytes)
				}
			}
			for start := 0; start < len(vals); start += batchSize {
				saveRestoreBatch(t, sh, path, enc, marker, start, vals[start:min(start+batchSize, len(vals))])
			}
		})
	}
}

func saveRestoreBatch(t *testing.T, sh realShell, path string, enc Shell, marker string, start int, vals [][]byte) {
	t.Helper()
	k := len(vals)
	names := make([]string, k)
	before := map[string][]byte{} // present only for the variables set before
	var first, second []Var
	for i := range vals {
		n := fmt.Sprintf("R%04d", start+i)
		names[i] = n
		if i%2 == 0 {
			before[n] = vals[i]
		}
		first = append(first, Var{Name: n, Value: vals[(i+1)%k]})
		second = append(second, Var{Name: n, Value: vals[(i+2)%k]})
	}
	state := []Var{{Name: "KAGE_T_STATE", Value: []byte("fp:1 repo=/x ns=backend")}}
	render := func(p Plan) []byte {
		b, err := enc.Render(p)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		return b
	}
	r := newRun(t, sh, path)
	for n, v := range before {
		r.env = append(r.env, n+"="+string(v))
	}
	r.env = append(r.env, "KAGE_T_DROP=drop me")
	r.line(sh.evalHook(r.code(render(Plan{Save: names, Set: first, State: state}))))
	d1 := r.dumpEnv()
	r.line(sh.evalHook(r.code(render(Plan{Save: names, Set: second, Unset: []string{"KAGE_T_DROP"}}))))
	d2 := r.dumpEnv()
	r.line(sh.evalHook(r.code(render(Plan{Restore: names, Unset: []string{"KAGE_T_STATE"}}))))
	d3 := r.dumpEnv()
	// Nothing is saved any more, so a second Restore unsets every variable.
	r.line(sh.evalHook(r.code(render(Plan{Restore: names}))))
	d4 := r.dumpEnv()
	r.exec(marker)

	noSaved := func(stage string, env map[string][]byte) {
		for _, key := range sortedKeys(env) {
			if bytes.HasPrefix([]byte(key), []byte("__kage_saved")) {
				t.Errorf("%s %s: %s is exported; saved values must stay shell-local", sh.label, stage, key)
			}
		}
	}
	expect := func(stage string, env map[string][]byte, name string, want []byte, present bool) {
		got, ok := env[name]
		switch {
		case ok != present:
			t.Errorf("%s %s: %s present=%v, want %v (value %s)", sh.label, stage, name, ok, present, show(got))
		case present && !bytes.Equal(got, want):
			t.Errorf("%s %s: %s:\n got %s\nwant %s", sh.label, stage, name, show(got), show(want))
		}
	}
	e1, e2, e3, e4 := r.readEnv(d1), r.readEnv(d2), r.readEnv(d3), r.readEnv(d4)
	for _, e := range []map[string][]byte{e1, e2, e3, e4} {
		noSaved("", e)
	}
	expect("after save+set", e1, "KAGE_T_STATE", state[0].Value, true)
	expect("after save+set", e1, "KAGE_T_DROP", []byte("drop me"), true)
	expect("after unset", e2, "KAGE_T_DROP", nil, false)
	expect("after restore", e3, "KAGE_T_STATE", nil, false)
	for i, n := range names {
		expect("after save+set", e1, n, first[i].Value, true)
		expect("after second save+set", e2, n, second[i].Value, true)
		b, had := before[n]
		expect("after restore", e3, n, b, had)
		expect("after second restore", e4, n, nil, false)
	}
}
