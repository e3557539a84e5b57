//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// TestChildEnv checks what kage exec hands a program, given an environment
// someone else may have written: kage's credentials, state and saved
// copies go, what the hook loaded goes, a KAGE_LOADED naming something
// that is no variable or is kage's own takes nothing else with it.
func TestChildEnv(t *testing.T) {
	base := []string{
		"PATH=/usr/bin", "HOME=/home/u", "KEEP=1", "HOOKED=from-payments", "ALSO=from-payments",
		"KAGE_HOME=/k", "KAGE_BACKEND=file", "KAGE_NAMESPACE=ns",
		"KAGE_PASSPHRASE=pw", "KAGE_AGE_IDENTITY=AGE-SECRET-KEY-1X", "KAGE_STATE=abc", "KAGE_NEW=x",
		"KAGE_LOADED=HOOKED:ALSO:x;rm -rf /:KAGE_HOME:__KAGE_SAVED::HOOKED", "__KAGE_SAVED={}", "__kage_saved_KEEP=0",
		"=C:=C:\\", "noequals",
	}
	got := childEnv(base, []resolved{{Name: "ALSO", Value: []byte("from-api")}, {Name: "NEW", Value: []byte("v=1")}}, nil)
	want := []string{"PATH=/usr/bin", "HOME=/home/u", "KEEP=1", "KAGE_HOME=/k", "KAGE_BACKEND=file", "KAGE_NAMESPACE=ns",
		"=C:=C:\\", "noequals", "ALSO=from-api", "NEW=v=1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("childEnv =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := loadedNames("A:b-c::A:$(x):KAGE_STATE:kage_x:__kage_unset_A:__KAGE_SAVED:_B"); strings.Join(got, ":") != "A:kage_x:_B" {
		t.Errorf("loadedNames = %q", got)
	}
}
