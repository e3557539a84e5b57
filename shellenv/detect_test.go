package shellenv

import (
	"runtime"
	"testing"
)

// TestDetectFrom: under `go test` the parent process is the go command,
// not a shell, so detection falls back to $SHELL and must say so; the
// caller warns that the login shell may not be the one reading.
func TestDetectFrom(t *testing.T) {
	if _, ok := known(parentName()); ok {
		t.Skip("the test binary's parent is a shell: the fallback cannot be observed")
	}
	env := func(shell string) func(string) string {
		return func(k string) string {
			if k == "SHELL" {
				return shell
			}
			return ""
		}
	}
	for shell, want := range map[string]string{"/usr/bin/fish": "fish", "/bin/bash": "bash", "/usr/local/bin/zsh": "zsh", "/bin/dash": "sh"} {
		name, guessed := DetectFrom(env(shell))
		if name != want || !guessed {
			t.Errorf("DetectFrom(SHELL=%s) = %q, %v; want %q, true", shell, name, guessed, want)
		}
		if got := Detect(env(shell)); got != want {
			t.Errorf("Detect(SHELL=%s) = %q, want %q", shell, got, want)
		}
	}
	if runtime.GOOS != "windows" {
		if name, guessed := DetectFrom(env("/nowhere/tcsh")); name != "" || guessed {
			t.Errorf("DetectFrom(SHELL=tcsh) = %q, %v; want nothing", name, guessed)
		}
	}
}
