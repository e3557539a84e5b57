//go:build linux

package main

// The keychain under load: thousands of real kage commands against one
// gnome-keyring, as agents started in bulk make them. gnome-keyring 42
// aborts (exit 133, "plain_negotiate: assertion 'session' failed") when a
// fresh connection opens a session before the daemon has registered it,
// which go-keyring's writes did about one run in ten of a few hundred
// sets. The harness runs the daemon in the foreground with its output in
// a file, and testkeyring fails the test on any assertion, CRITICAL or
// WARNING line there (but the two benign warnings daemonlog.go names) and
// on a daemon that exits on its own; this test also stops at the first
// command that finds the daemon gone. A third of the commands run
// stressParallel at a time; keyring's TestFreshConnectionsNeverUpsetTheDaemon
// is the sharper test of the race itself.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// stressCommands is how many kage commands TestKeychainStress runs; a
// third of them in groups of stressParallel at once.
const (
	stressCommands = 2100
	stressParallel = 8
	stressNames    = 24
)

type stressOp struct {
	kind  string // set, get, env, exec, delete
	name  string
	value string // for set
	file  bool   // set --from-file
	// want is the state of name before the command (for get and delete),
	// "" when not stored; known is false when a command running beside
	// this one may change what it reads (env and exec in a group).
	want  string
	known bool
}

func TestKeychainStress(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	names := make([]string, stressNames)
	for i := range names {
		names[i] = fmt.Sprintf("STRESS_%02d", i)
	}
	state := map[string]string{}
	valueFile := filepath.Join(home, "values")
	if err := os.Mkdir(valueFile, 0o700); err != nil {
		t.Fatal(err)
	}
	n := 0
	newOp := func(name string, known bool) stressOp {
		op := stressOp{name: name, known: known, want: state[name]}
		switch r := rng.IntN(100); {
		case r < 35:
			op.kind = "set"
			op.value = fmt.Sprintf("v%d-%d\nline two \"quoted\" $(x)", n, rng.Uint32())
			op.file = rng.IntN(2) == 0
		case r < 60:
			op.kind = "get"
		case r < 75:
			op.kind = "env"
		case r < 85:
			op.kind = "exec"
		default:
			op.kind = "delete"
		}
		return op
	}
	apply := func(op stressOp) {
		switch op.kind {
		case "set":
			state[op.name] = op.value
		case "delete":
			delete(state, op.name)
		}
	}
	var failures []string
	check := func(op stressOp, r ran, snapshot map[string]string) {
		if msg := stressCheck(op, r, snapshot); msg != "" {
			failures = append(failures, msg)
		}
		if p := bus.SecretsProcess(); p == nil {
			t.Fatalf("the Secret Service died after %d commands (last: %v):\n%s", n, r, strings.Join(bus.DaemonProblems(), "\n"))
		}
	}
	begin := time.Now()
	parallel := 0
	for n < stressCommands && len(failures) < 5 {
		if parallel*3 < n {
			// A group of distinct names at once, as agents started
			// together do, whenever fewer than a third of the commands
			// so far ran in groups.
			perm := rng.Perm(len(names))[:stressParallel]
			ops := make([]stressOp, len(perm))
			for i, j := range perm {
				ops[i] = newOp(names[j], false)
			}
			snapshot := copyState(state)
			waits := make([]func() (ran, error), len(ops))
			for i, op := range ops {
				waits[i] = startStress(t, bus, home, valueFile, i, op)
			}
			var wg sync.WaitGroup
			results := make([]ran, len(ops))
			errs := make([]error, len(ops))
			for i := range ops {
				wg.Go(func() { results[i], errs[i] = waits[i]() })
			}
			wg.Wait()
			for i, op := range ops {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				check(op, results[i], snapshot)
				apply(op)
			}
			n += len(ops)
			parallel += len(ops)
			continue
		}
		op := newOp(names[rng.IntN(len(names))], true)
		r := finish(t, startStress(t, bus, home, valueFile, 0, op))
		check(op, r, state)
		apply(op)
		n++
	}
	t.Logf("%d commands (%d of them %d at a time) in %v", n, parallel, stressParallel, time.Since(begin).Round(time.Millisecond))
	if n < stressCommands || parallel*3 < n-stressParallel {
		t.Errorf("ran %d commands, %d in groups: want %d, a third in groups", n, parallel, stressCommands)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

func copyState(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// startStress starts op's command; slot keeps the value files of commands
// that run together apart.
func startStress(t *testing.T, bus *testkeyring.Bus, home, dir string, slot int, op stressOp) func() (ran, error) {
	t.Helper()
	switch op.kind {
	case "set":
		if op.file {
			f := filepath.Join(dir, fmt.Sprint(slot))
			if err := os.WriteFile(f, []byte(op.value), 0o600); err != nil {
				t.Fatal(err)
			}
			return startKage(t, bus, home, "", "secret", "set", op.name, "--scope", "global", "--from-file", f)
		}
		return startKage(t, bus, home, op.value+"\n", "secret", "set", op.name, "--scope", "global")
	case "get":
		return startKage(t, bus, home, "", "secret", "get", op.name, "--scope", "global")
	case "delete":
		return startKage(t, bus, home, "", "secret", "delete", op.name, "--scope", "global")
	case "env":
		return startKage(t, bus, home, "", "env", "--shell", "bash")
	default:
		// The length, not the value: exec masks values in a child's
		// output.
		return startKage(t, bus, home, "", "exec", "--", "sh", "-c", fmt.Sprintf(`printf %%s "${#%s}"`, op.name))
	}
}

// stressCheck returns what is wrong with r, the run of op, given the state
// before it; "" when nothing is.
func stressCheck(op stressOp, r ran, before map[string]string) string {
	v, stored := before[op.name]
	bad := func(what string) string { return fmt.Sprintf("%s %s: %s\n%v", op.kind, op.name, what, r) }
	switch op.kind {
	case "set":
		if r.code != 0 {
			return bad("failed")
		}
	case "get", "delete":
		switch {
		case stored && r.code != 0:
			return bad("failed for a stored name")
		case !stored && (r.code != 1 || !strings.Contains(r.stderr, "not found")):
			return bad("did not say not found for a name not stored")
		case op.kind == "get" && stored && r.stdout != v:
			return bad(fmt.Sprintf("printed %q, want %q", r.stdout, v))
		}
	case "env":
		if r.code != 0 {
			return bad("failed")
		}
		if !op.known {
			return ""
		}
		if got, want := strings.Count(r.stdout, "export STRESS_"), len(before); got != want {
			return bad(fmt.Sprintf("exported %d names, want %d", got, want))
		}
		for name, v := range before {
			if !strings.Contains(r.stdout, fmt.Sprintf("export %s='%s'\n", name, v)) {
				return bad(fmt.Sprintf("lacks %s", name))
			}
		}
	case "exec":
		if r.code != 0 {
			return bad("failed")
		}
		if op.known && r.stdout != fmt.Sprint(len(v)) {
			return bad(fmt.Sprintf("the program saw a value of %s bytes, want %d", r.stdout, len(v)))
		}
	}
	return ""
}
