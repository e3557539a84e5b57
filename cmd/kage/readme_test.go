package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeFirstCommand runs the README's first command, exactly as
// written there, as a newcomer on a headless machine would: a new HOME and
// no D-Bus session. It cannot store the secret, and must say so in one
// error and one hint that gets the user going: the Debian packages, the
// lines that start a bus and a keyring, or the file backend instead.
func TestReadmeFirstCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kage with make")
	}
	for _, p := range []string{"make", "bash"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Build and try it\n")
	_, block, ok2 := strings.Cut(after, "```\n")
	first, _, ok3 := strings.Cut(block, "\n")
	if !ok || !ok2 || !ok3 || !strings.HasPrefix(first, "make build") {
		t.Fatalf("no first command under \"## Build and try it\" in README.md (found %q)", first)
	}
	home := t.TempDir()
	cmd := exec.Command("bash", "-c", first)
	cmd.Dir = root
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_RUNTIME_DIR=" + home, "LANG=C"}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN"} {
		if v, err := exec.Command("go", "env", k).Output(); err == nil && len(bytes.TrimSpace(v)) > 0 {
			// The machine's module and build caches, so the build needs no
			// network; nothing of kage's is read from the real HOME.
			cmd.Env = append(cmd.Env, k+"="+string(bytes.TrimSpace(v)))
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("%s: %v, want exit 1\nstdout: %s\nstderr: %s", first, err, stdout.String(), stderr.String())
	}
	var kage []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "kage: ") {
			kage = append(kage, l)
		}
	}
	if len(kage) != 2 || !strings.HasPrefix(kage[1], "kage: hint: ") {
		t.Fatalf("want one error and one hint, got:\n%s", stderr.String())
	}
	if !strings.Contains(kage[0], "no D-Bus session bus") {
		t.Errorf("the error does not say what is missing: %s", kage[0])
	}
	for _, want := range []string{"sudo apt install dbus-x11 gnome-keyring", `eval "$(dbus-launch --sh-syntax)"`, "gnome-keyring-daemon --unlock --components=secrets", "kage init --backend file"} {
		if !strings.Contains(kage[1], want) {
			t.Errorf("the hint lacks %q: %s", want, kage[1])
		}
	}
	if strings.Contains(stdout.String(), "hello") {
		t.Errorf("the value reached stdout: %s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "kage", "index.json")); err == nil {
		t.Error("an index was written though nothing was stored")
	}
}
