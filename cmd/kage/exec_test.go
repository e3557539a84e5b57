//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// TestExecReplacesItself checks that kage exec becomes the program (same
// PID, so signals reach it directly), that the secret is in its
// environment and not in any command line, and that a signal's death is
// reported as such to the parent.
func TestExecReplacesItself(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	const value = "exec-secret-value"
	if out, err := kageCmd(t, bus, home, value, "secret", "set", "EXEC_TOKEN").CombinedOutput(); err != nil {
		t.Fatalf("set: %v: %s", err, out)
	}
	cmd := kageCmd(t, bus, home, "", "exec", "--", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		argv, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		if bytes.Equal(argv, []byte("sleep\x0030\x00")) {
			break
		}
		if bytes.Contains(argv, []byte(value)) {
			t.Fatalf("the secret is in argv: %q", argv)
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %s never became sleep; argv %q", pid, argv)
		}
		time.Sleep(5 * time.Millisecond)
	}
	environ, err := os.ReadFile("/proc/" + pid + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(environ, []byte("\x00EXEC_TOKEN="+value+"\x00")) && !bytes.HasPrefix(environ, []byte("EXEC_TOKEN="+value+"\x00")) {
		t.Fatal("the secret is not in the program's environment")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("wait: %v, want the program killed by SIGTERM", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("wait status %v, want killed by SIGTERM", ws)
	}
}
