package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// TestPromptIsHidden types a value into `kage secret set` in a real
// terminal (tmux) and checks that the screen never shows it.
func TestPromptIsHidden(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatal("tmux is not installed")
		}
		t.Skip("tmux is not installed: skipping the terminal prompt test")
	}
	bus := testkeyring.Start(t)
	home := t.TempDir()
	socket := fmt.Sprintf("kage-test-%d", os.Getpid())
	env := kageCmd(t, bus, home, "").Env
	tmux := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("tmux", append([]string{"-L", socket, "-f", "/dev/null"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-x", "100", "-y", "20", "sh", "-c", "kage secret set HIDDEN; echo kage-exit=$?; sleep 30")
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", socket, "kill-server").Run() })

	screen := func() string { return tmux("capture-pane", "-p") }
	waitFor := func(s string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			sc := screen()
			if strings.Contains(sc, s) {
				return sc
			}
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %q:\n%s", s, sc)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	const value = "typed-secret-42"
	waitFor("Value for HIDDEN (global):")
	tmux("send-keys", "-l", value)
	tmux("send-keys", "Enter")
	waitFor("Repeat to confirm:")
	tmux("send-keys", "-l", value)
	tmux("send-keys", "Enter")
	sc := waitFor("kage-exit=")
	if !strings.Contains(sc, "kage-exit=0") || !strings.Contains(sc, "stored HIDDEN in global") {
		t.Fatalf("set failed:\n%s", sc)
	}
	if strings.Contains(sc, value) {
		t.Fatalf("the typed value is on the screen:\n%s", sc)
	}
	out, err := kageCmd(t, bus, home, "", "secret", "get", "HIDDEN").Output()
	if err != nil || string(out) != value {
		t.Fatalf("get HIDDEN = %q, %v", out, err)
	}
}
