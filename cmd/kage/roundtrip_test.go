//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kage-cli/kage/internal/hostile"
	"github.com/kage-cli/kage/internal/testkeyring"
)

// roundTripShell evaluates kage env output in one real shell and writes each
// variable's value to dir/NAME, byte for byte.
type roundTripShell struct {
	name string
	// script returns the program that loads env.out and dumps names.
	script func(names []string) (argv []string, program string)
}

var roundTripShells = []roundTripShell{
	posixRoundTrip("bash"), posixRoundTrip("zsh"), posixRoundTrip("dash"),
	{name: "fish", script: func(names []string) ([]string, string) {
		var b strings.Builder
		b.WriteString("source env.out\n")
		for _, n := range names {
			fmt.Fprintf(&b, "printf '%%s' \"$%s\" > out/%s\n", n, n)
		}
		return []string{"fish", "--no-config", "-c"}, b.String()
	}},
	{name: "elvish", script: func(names []string) ([]string, string) {
		var b strings.Builder
		b.WriteString("eval (slurp < env.out)\n")
		for _, n := range names {
			fmt.Fprintf(&b, "print (get-env %s) > out/%s\n", n, n)
		}
		return []string{"elvish", "-norc", "-c"}, b.String()
	}},
}

func posixRoundTrip(sh string) roundTripShell {
	return roundTripShell{name: sh, script: func(names []string) ([]string, string) {
		var b strings.Builder
		b.WriteString("eval \"$(cat env.out)\"\n")
		for _, n := range names {
			fmt.Fprintf(&b, "printf '%%s' \"$%s\" > out/%s\n", n, n)
		}
		return []string{sh, "-c"}, b.String()
	}}
}

// TestHostileRoundTrip stores every hostile value, and a few hundred seeded
// random mixes, in the real keychain with kage, prints them with kage env,
// evaluates the output in each real shell and compares what the shell holds
// with what was stored, byte for byte. No injected command may run.
func TestHostileRoundTrip(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	marker := filepath.Join(t.TempDir(), "PWNED")
	var values []hostile.Value
	for _, v := range append(hostile.Values(marker), hostile.Random(marker, 20261129, 200)...) {
		// kage refuses empty values; everything else must round-trip.
		if len(v.Bytes) > 0 {
			values = append(values, v)
		}
	}

	// Store them, a few writers at a time (the index lock serialises the
	// rest), each from a file so the bytes are exact.
	src := t.TempDir()
	names := make([]string, len(values))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make([]error, len(values))
	for i, v := range values {
		names[i] = fmt.Sprintf("HOSTILE_%03d", i)
		file := filepath.Join(src, names[i])
		if err := os.WriteFile(file, v.Bytes, 0o600); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if out, err := kageCmd(t, bus, home, "", "secret", "set", names[i], "--from-file", file).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("set %s (%s): %v: %s", names[i], v.Label, err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	for _, sh := range roundTripShells {
		t.Run(sh.name, func(t *testing.T) {
			argv, program := sh.script(names)
			if _, err := exec.LookPath(argv[0]); err != nil {
				if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
					t.Fatalf("%s is not installed", argv[0])
				}
				t.Skipf("%s is not installed", argv[0])
			}
			shellName := sh.name
			if shellName == "dash" {
				shellName = "sh"
			}
			env := kageCmd(t, bus, home, "", "env", "--shell", shellName)
			code, err := env.Output()
			if err != nil {
				t.Fatalf("kage env --shell %s: %v", shellName, err)
			}
			work := t.TempDir()
			if err := os.WriteFile(filepath.Join(work, "env.out"), code, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(work, "out"), 0o700); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(argv[0], append(argv[1:], program)...)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "HOME="+work, "XDG_CONFIG_HOME="+work, "XDG_DATA_HOME="+work, "LC_ALL=C.UTF-8")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", sh.name, err, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("%s wrote to stderr:\n%s", sh.name, stderr.String())
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("%s: an injected command ran (%s exists)", sh.name, marker)
			}
			bad := 0
			for i, v := range values {
				got, err := os.ReadFile(filepath.Join(work, "out", names[i]))
				if err != nil || !bytes.Equal(got, v.Bytes) {
					bad++
					if bad <= 5 {
						t.Errorf("%s: %s (%s): got %q, want %q (%v)", sh.name, names[i], v.Label, trim(got), trim(v.Bytes), err)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d values differ", sh.name, bad, len(values))
			}
		})
	}
}

func trim(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "…"...)
	}
	return b
}
