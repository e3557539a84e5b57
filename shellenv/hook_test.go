//go:build !windows

package shellenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHookPathQuoting installs each hook with kage at a hostile path and
// runs the hook function once: the snippet must parse, call that exact
// program, and evaluate what it prints. (elvish's hook needs its
// interactive editor; cmd/kage's TestHookInteractive runs it.)
func TestHookPathQuoting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), `it's a "dir" $(touch PWNED) ‘x’`)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// A stand-in kage: prints code that sets HOOKED for the shell asked.
	fake := filepath.Join(dir, "kage")
	script := `#!/bin/sh
case "$2" in
fish) echo 'set -gx HOOKED yes' ;;
*) echo 'export HOOKED=yes' ;;
esac
`
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	// A stand-in kage-hook, at the same hostile path, that always hands
	// over: the hook must pass it kage's path as one word.
	light := filepath.Join(dir, "kage-hook")
	if err := os.WriteFile(light, []byte("#!/bin/sh\n[ \"$2\" = hook-env ] && exec \"$1\" \"$2\" \"$3\"\nexit 9\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		shell string
		argv  []string
		run   string // runs the installed hook once and prints HOOKED
	}{
		{"bash", []string{"bash", "--norc", "-c"}, `_kage_hook; printf '%s' "$HOOKED"`},
		{"zsh", []string{"zsh", "-f", "-c"}, `_kage_hook; printf '%s' "$HOOKED"`},
		{"fish", []string{"fish", "--no-config", "-c"}, `__kage_hook; printf '%s' "$HOOKED"`},
	}
	for _, c := range cases {
		for _, light := range []string{"", light} {
			name := c.shell
			if light != "" {
				name += "/kage-hook"
			}
			t.Run(name, func(t *testing.T) {
				if _, err := exec.LookPath(c.argv[0]); err != nil {
					if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
						t.Fatalf("%s is not installed", c.argv[0])
					}
					t.Skipf("%s is not installed", c.argv[0])
				}
				code, err := Hook(c.shell, fake, light)
				if err != nil {
					t.Fatal(err)
				}
				work := t.TempDir()
				if err := os.WriteFile(filepath.Join(work, "hook"), []byte(code), 0o600); err != nil {
					t.Fatal(err)
				}
				load := `eval "$(cat hook)"`
				if c.shell == "fish" {
					load = "source hook"
				}
				cmd := exec.Command(c.argv[0], append(c.argv[1:], load+"\n"+c.run)...)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "HOME="+work, "XDG_CONFIG_HOME="+work, "XDG_DATA_HOME="+work)
				out, err := cmd.CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "yes" {
					t.Fatalf("%s: %v: %q\nhook:\n%s", c.shell, err, out, code)
				}
				if _, err := os.Stat(filepath.Join(work, "PWNED")); err == nil {
					t.Fatal("the path ran a command")
				}
			})
		}
	}
}
