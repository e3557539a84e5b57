package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// hintLine is the command the headless hints give for a keyring that does
// not exist yet; the tests below run it as the user would.
const hintLine = `printf '%s' "$PASSWORD" | gnome-keyring-daemon --replace --unlock --components=secrets`

// TestNoKeyringYet: on a bus where gnome-keyring was started with no
// keyring (D-Bus activation on a headless machine), set and doctor say
// that there is no keyring and how to create one without a desktop, not
// "locked" and Seahorse; and the line they give makes the next set work.
func TestNoKeyringYet(t *testing.T) {
	bus := testkeyring.StartEmpty(t)
	home := t.TempDir()

	r := runKage(t, bus, home, "v1", "secret", "set", "FIRST")
	if r.code != 1 {
		t.Fatalf("set: exit %d, want 1\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "kage: the Secret Service has no keyring yet") || !strings.HasPrefix(lines[1], "kage: hint: ") {
		t.Fatalf("set: want the no-keyring error and one hint, got:\n%s", r.stderr)
	}
	if !strings.Contains(lines[1], hintLine) {
		t.Errorf("set: the hint lacks %q: %s", hintLine, lines[1])
	}
	if strings.Contains(r.stderr, "locked") {
		t.Errorf("set: says locked where no keyring exists:\n%s", r.stderr)
	}

	out, code := runDoctor(t, bus, home)
	if code != 1 || !strings.Contains(out, "FAIL the Secret Service has no keyring yet") || !strings.Contains(out, hintLine) {
		t.Errorf("doctor: exit %d, want 1 and the no-keyring failure with %q:\n%s", code, hintLine, out)
	}

	// The user follows the hint.
	bus.ExpectReplaced()
	sh := exec.Command("sh", "-c", hintLine)
	sh.Env = append(bus.SecretsEnv(), "PASSWORD=first-run")
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", hintLine, err, b)
	}
	if r := runKage(t, bus, home, "v1", "secret", "set", "FIRST"); r.code != 0 {
		t.Fatalf("set after the hint: exit %d\n%s", r.code, r.stderr)
	}
	if r := runKage(t, bus, home, "", "secret", "get", "FIRST"); r.code != 0 || r.stdout != "v1" {
		t.Fatalf("get after the hint: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestSecretServiceStillStarting: a command that reaches the bus just
// before the Secret Service owns its name — the README's headless set-up
// line returns a few milliseconds before gnome-keyring does — waits for it
// rather than saying that none is running.
func TestSecretServiceStillStarting(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	bus.StopSecrets()
	wait := startKage(t, bus, home, "v", "secret", "set", "EARLY")
	time.Sleep(100 * time.Millisecond)
	if err := bus.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	r, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("set while the Secret Service starts: exit %d\n%s", r.code, r.stderr)
	}
	if r := runKage(t, bus, home, "", "secret", "get", "EARLY"); r.code != 0 || r.stdout != "v" {
		t.Fatalf("get: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
}
