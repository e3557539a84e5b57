package completions

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestScript: each shell's script is its file, byte for byte, so what a
// packager installs from the tree and what kage prints are the same.
func TestScript(t *testing.T) {
	if got, want := Shells(), []string{"bash", "zsh", "fish", "pwsh"}; !slices.Equal(got, want) {
		t.Fatalf("Shells() = %q, want %q", got, want)
	}
	for _, s := range scripts {
		got, err := Script(s.shell)
		if err != nil {
			t.Fatalf("Script(%q): %v", s.shell, err)
		}
		want, err := os.ReadFile(filepath.FromSlash(s.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || len(got) == 0 {
			t.Errorf("Script(%q) is not %s", s.shell, s.file)
		}
		if !bytes.Contains(got, []byte("kage __complete")) {
			t.Errorf("%s does not ask kage __complete for names", s.file)
		}
	}
	if got, _ := Script("PowerShell"); !bytes.Contains(got, []byte("Register-ArgumentCompleter")) {
		t.Errorf("Script(\"PowerShell\") is not the pwsh script")
	}
	if _, err := Script("tcsh"); err == nil || !strings.Contains(err.Error(), "bash, zsh, fish, pwsh") {
		t.Errorf("Script(\"tcsh\") = %v, want an error naming the shells", err)
	}
}

// needProgram skips a test when prog is missing, unless
// KAGE_REQUIRE_SHELLS=1 (CI) says it must run.
func needProgram(t *testing.T, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
			t.Fatalf("%s is not installed", prog)
		}
		t.Skipf("%s is not installed", prog)
	}
}

func run(t *testing.T, argv ...string) {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// TestShellcheck lints the bash script with every check shellcheck makes
// by default.
func TestShellcheck(t *testing.T) {
	needProgram(t, "shellcheck")
	run(t, "shellcheck", "--shell=bash", "--severity=style", "bash/kage.bash")
}

// TestSyntax has each shell parse its script without running it.
func TestSyntax(t *testing.T) {
	for _, c := range [][]string{
		{"bash", "-n", "bash/kage.bash"},
		{"zsh", "-n", "zsh/_kage"},
		{"fish", "--no-execute", "fish/kage.fish"},
	} {
		t.Run(c[0], func(t *testing.T) {
			needProgram(t, c[0])
			run(t, c...)
		})
	}
	t.Run("pwsh", func(t *testing.T) {
		// PowerShell is tested where it is installed; CI has none.
		if _, err := exec.LookPath("pwsh"); err != nil {
			t.Skip("pwsh is not installed")
		}
		run(t, "pwsh", "-NoProfile", "-NonInteractive", "-Command",
			`$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile((Resolve-Path 'pwsh/kage.ps1'), [ref]$null, [ref]$e); if ($e) { $e; exit 1 }`)
	})
}
