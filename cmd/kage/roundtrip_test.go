//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/hostile"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/shellenv"
)

// roundTripShell evaluates kage env output (in the file env.out) in one
// real shell and writes each variable's value to out/NAME, byte for byte.
type roundTripShell struct {
	name string
	// utf8Only shells refuse invalid UTF-8: they get the valid values, and
	// kage env must fail for them, printing nothing, when any is invalid.
	utf8Only bool
	// script returns the program that loads env.out and dumps names.
	script func(names []string) (argv []string, program string)
}

var roundTripShells = []roundTripShell{
	posixRoundTrip("bash"), posixRoundTrip("zsh"), posixRoundTrip("dash"),
	{name: "fish", script: func(names []string) ([]string, string) {
		return []string{"fish", "--no-config", "-c"}, dumpScript("source env.out\n", names, "printf '%%s' \"$%s\" > out/%s\n")
	}},
	{name: "elvish", script: func(names []string) ([]string, string) {
		return []string{"elvish", "-norc", "-c"}, dumpScript("eval (slurp < env.out)\n", names, "print (get-env %s) > out/%s\n")
	}},
	{name: "nu", utf8Only: true, script: func(names []string) ([]string, string) {
		return []string{"nu", "--no-config-file", "-c"}, dumpScript("open --raw env.out | from json | load-env\n", names, "$env.%s | save --raw out/%s\n")
	}},
	{name: "pwsh", utf8Only: true, script: func(names []string) ([]string, string) {
		return []string{"pwsh", "-NoProfile", "-NonInteractive", "-Command"}, dumpScript("Get-Content -Raw env.out | Invoke-Expression\n", names,
			"[IO.File]::WriteAllBytes(\"out/%[2]s\", [Text.Encoding]::UTF8.GetBytes($env:%[1]s))\n")
	}},
}

func posixRoundTrip(sh string) roundTripShell {
	return roundTripShell{name: sh, script: func(names []string) ([]string, string) {
		return []string{sh, "-c"}, dumpScript("eval \"$(cat env.out)\"\n", names, "printf '%%s' \"$%s\" > out/%s\n")
	}}
}

// dumpScript is load followed by one dump line per name (format takes the
// name twice).
func dumpScript(load string, names []string, format string) string {
	var b strings.Builder
	b.WriteString(load)
	for _, n := range names {
		fmt.Fprintf(&b, format, n, n)
	}
	return b.String()
}

// TestHostileRoundTrip stores every hostile value, and a few hundred seeded
// random mixes, in the real keychain with kage, prints them with kage env,
// evaluates the output in each real shell and compares what the shell holds
// with what was stored, byte for byte. No injected command may run. Values
// that are valid UTF-8 are global; the others belong to a repository, so
// that shells which cannot hold them (nu, pwsh) get the valid ones from
// outside it and an error, with nothing on stdout, inside it.
func TestHostileRoundTrip(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	repo := filepath.Join(home, "repo")
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	marker := filepath.Join(t.TempDir(), "PWNED")
	var all, valid []hostile.Value
	var allNames, validNames []string
	for _, v := range append(hostile.Values(marker), hostile.Random(marker, 20261129, 200)...) {
		// kage refuses empty values; everything else must round-trip.
		if len(v.Bytes) == 0 {
			continue
		}
		name := fmt.Sprintf("HOSTILE_%03d", len(all))
		all, allNames = append(all, v), append(allNames, name)
		if utf8.Valid(v.Bytes) {
			valid, validNames = append(valid, v), append(validNames, name)
		}
	}

	// Store them with one kage process per scope: secret import of a
	// dotenv file written by kage's own encoder (its exactness is tested
	// with the import). One process keeps gnome-keyring's client churn
	// low: hundreds of processes connecting one after another have made
	// the daemon abort (a gnome-keyring bug, "assertion 'client' failed").
	src := t.TempDir()
	byScope := map[string][]shellenv.Var{}
	for i, v := range all {
		scope := "global"
		if !utf8.Valid(v.Bytes) {
			scope = "repo:" + repo
		}
		byScope[scope] = append(byScope[scope], shellenv.Var{Name: allNames[i], Value: v.Bytes})
	}
	dotenv, err := shellenv.Get("dotenv")
	if err != nil {
		t.Fatal(err)
	}
	for scope, vars := range byScope {
		data, err := dotenv.Render(shellenv.Plan{Set: vars})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(src, fmt.Sprintf("%d.env", len(vars)))
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := kageCmd(t, bus, home, "", "secret", "import", file, "--scope", scope).CombinedOutput(); err != nil {
			t.Fatalf("import into %s: %v: %s", scope, err, out)
		}
	}
	if len(valid) == len(all) {
		t.Fatal("the hostile set has no invalid UTF-8")
	}

	for _, sh := range roundTripShells {
		t.Run(sh.name, func(t *testing.T) {
			values, names := all, allNames
			if sh.utf8Only {
				values, names = valid, validNames
			}
			argv, program := sh.script(names)
			if _, err := exec.LookPath(argv[0]); err != nil {
				if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" && !sh.utf8Only {
					t.Fatalf("%s is not installed", argv[0])
				}
				t.Skipf("%s is not installed", argv[0])
			}
			shellName := sh.name
			if shellName == "dash" {
				shellName = "sh"
			}
			if sh.utf8Only {
				// Inside the repo an invalid value is in the chain: refused,
				// and nothing printed for eval to run.
				env := kageCmd(t, bus, home, "", "env", "--shell", shellName, "--dir", repo)
				var stderr bytes.Buffer
				env.Stderr = &stderr
				out, err := env.Output()
				if err == nil || len(out) != 0 || !strings.Contains(stderr.String(), "HOSTILE_") {
					t.Fatalf("kage env --shell %s with invalid UTF-8: err %v, %d bytes out, stderr %q", shellName, err, len(out), stderr.String())
				}
			}
			dir := repo
			if sh.utf8Only {
				dir = home
			}
			env := kageCmd(t, bus, home, "", "env", "--shell", shellName, "--dir", dir)
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
