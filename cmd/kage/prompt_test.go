//go:build !windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// terminal is a tmux session running one shell command, for tests that
// need a real terminal.
type terminal struct {
	t      *testing.T
	socket string
	env    []string
}

// newTerminal runs script with sh in a new tmux session against bus.
func newTerminal(t *testing.T, bus *testkeyring.Bus, home, script string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatal("tmux is not installed")
		}
		t.Skip("tmux is not installed: skipping the terminal test")
	}
	term := &terminal{t: t, socket: fmt.Sprintf("kage-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")), env: kageCmd(t, bus, home, "").Env}
	term.tmux("new-session", "-d", "-x", "100", "-y", "20", "bash", "--norc", "--noprofile", "-c", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })
	return term
}

func (term *terminal) tmux(args ...string) string {
	t := term.t
	t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", term.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = term.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitFor polls the screen until it shows s, and returns the screen.
func (term *terminal) waitFor(s string) string {
	term.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := term.tmux("capture-pane", "-p")
		if strings.Contains(sc, s) {
			return sc
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q:\n%s", s, sc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForCount waits until the screen shows s n times.
func (term *terminal) waitForCount(s string, n int) string {
	term.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := term.tmux("capture-pane", "-p")
		if strings.Count(sc, s) >= n {
			return sc
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q %d times:\n%s", s, n, sc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPromptIsHidden types a value into `kage secret set` and a key into
// `kage subscription add` in a real terminal (tmux) and checks that the
// screen never shows it.
func TestPromptIsHidden(t *testing.T) {
	cases := []struct {
		name, cmd, label, stored string
		get                      []string
	}{
		{"secret", "kage secret set HIDDEN", "Value for HIDDEN (global):", "stored HIDDEN in global", []string{"secret", "get", "HIDDEN"}},
		{"subscription", "kage subscription add --name work", "Value for ANTHROPIC_API_KEY (subscription work):", "stored subscription work",
			[]string{"exec", "--no-mask", "--subscription", "work", "--", "printenv", "ANTHROPIC_API_KEY"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bus := testkeyring.Start(t)
			home := t.TempDir()
			term := newTerminal(t, bus, home, c.cmd+"; echo kage-exit=$?; sleep 30")
			const value = "typed-secret-42"
			term.waitFor(c.label)
			term.tmux("send-keys", "-l", value)
			term.tmux("send-keys", "Enter")
			term.waitFor("Repeat to confirm:")
			term.tmux("send-keys", "-l", value)
			term.tmux("send-keys", "Enter")
			sc := term.waitFor("kage-exit=")
			if !strings.Contains(sc, "kage-exit=0") || !strings.Contains(sc, c.stored) {
				t.Fatalf("set failed:\n%s", sc)
			}
			if strings.Contains(sc, value) {
				t.Fatalf("the typed value is on the screen:\n%s", sc)
			}
			out, err := kageCmd(t, bus, home, "", c.get...).Output()
			if err != nil || strings.TrimSuffix(string(out), "\n") != value {
				t.Fatalf("kage %s = %q, %v", strings.Join(c.get, " "), out, err)
			}
		})
	}
}

// TestPromptInterrupted presses Ctrl-C, then Ctrl-D, at the prompt: kage
// exits 130, stores nothing, and leaves the terminal echoing again.
func TestPromptInterrupted(t *testing.T) {
	for _, key := range []string{"C-c", "C-d"} {
		t.Run(key, func(t *testing.T) { testPromptInterrupted(t, key) })
	}
}

func testPromptInterrupted(t *testing.T, key string) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	// The shell ignores SIGINT so it survives to report; kage installs its
	// own handler regardless.
	term := newTerminal(t, bus, home, "trap '' INT; kage secret set CANCELLED; echo kage-exit=$?; echo \"echo-state=$(stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?echo')\"; sleep 30")
	term.waitFor("Value for CANCELLED (global):")
	term.tmux("send-keys", "-l", "half-typed")
	term.tmux("send-keys", key)
	sc := term.waitFor("kage-exit=")
	if !strings.Contains(sc, "kage-exit=130") || !strings.Contains(sc, "kage: interrupted; nothing was changed") {
		t.Fatalf("%s at the prompt:\n%s", key, sc)
	}
	sc = term.waitFor("echo-state=")
	if !strings.Contains(sc, "echo-state=echo") {
		t.Fatalf("the terminal was left without echo:\n%s", sc)
	}
	if _, err := kageCmd(t, bus, home, "", "secret", "get", "CANCELLED").Output(); err == nil {
		t.Fatal("an interrupted set stored a value")
	}
}

// TestNewPassphraseConfirmed: kage init --backend file --passphrase asks
// for the new passphrase twice at once; two that differ write nothing,
// two that match create the empty store, which that passphrase opens.
func TestNewPassphraseConfirmed(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	data := filepath.Join(home, "kage")
	script := `export KAGE_HOME=` + data + ` KAGE_BACKEND= KAGE_PASSPHRASE= KAGE_AGE_IDENTITY=; ` +
		`kage init --backend file --passphrase; echo kage-exit=$?; ` +
		`kage init --backend file --passphrase; echo kage-exit2=$?; sleep 30`
	term := newTerminal(t, bus, home, script)
	term.waitFor("New passphrase for kage's secrets file:")
	term.tmux("send-keys", "-l", "first-try")
	term.tmux("send-keys", "Enter")
	term.waitFor("Repeat it to confirm:")
	term.tmux("send-keys", "-l", "first-trx")
	term.tmux("send-keys", "Enter")
	sc := term.waitFor("kage-exit=")
	if !strings.Contains(sc, "kage-exit=1") || !strings.Contains(sc, "passphrases differ; nothing was written") {
		t.Fatalf("two different passphrases:\n%s", sc)
	}
	if _, err := os.Stat(filepath.Join(data, "secrets.age")); !os.IsNotExist(err) {
		t.Fatalf("a store was written after a mismatch: %v", err)
	}
	// Each key only once its prompt is up: typed ahead, it would be
	// echoed before kage turns echo off.
	term.waitForCount("New passphrase for kage's secrets file:", 2)
	term.tmux("send-keys", "-l", "good horse")
	term.tmux("send-keys", "Enter")
	term.waitForCount("Repeat it to confirm:", 2)
	term.tmux("send-keys", "-l", "good horse")
	term.tmux("send-keys", "Enter")
	sc = term.waitFor("kage-exit2=")
	if !strings.Contains(sc, "kage-exit2=0") || !strings.Contains(sc, "secrets.age, empty, encrypted to") {
		t.Fatalf("matching passphrases:\n%s", sc)
	}
	if strings.Contains(sc, "good horse") || strings.Contains(sc, "first-tr") {
		t.Fatalf("a passphrase was echoed:\n%s", sc)
	}
	cmd := kageCmd(t, bus, home, "", "secret", "list")
	cmd.Env = append(cmd.Env, "KAGE_HOME="+data, "KAGE_BACKEND=", "KAGE_AGE_IDENTITY=", "KAGE_PASSPHRASE=good horse")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the new passphrase does not open the store: %v\n%s", err, out)
	}
}
