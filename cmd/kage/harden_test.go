//go:build linux

package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// TestNoCoreDumps checks a running kage (waiting for a value on stdin)
// has core dumps off, and that a program kage exec runs gets the limit
// back.
func TestNoCoreDumps(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	// Start it with core dumps allowed, as a user's shell may.
	if out, err := exec.Command("sh", "-c", "ulimit -c 1024 && ulimit -c").Output(); err != nil || strings.TrimSpace(string(out)) != "1024" {
		t.Skipf("cannot raise the core limit here: %v %q", err, out)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := kageCmd(t, bus, home, "", "secret", "set", "WAITING")
	cmd.Path, cmd.Args = sh, []string{"sh", "-c", "ulimit -c 1024 && exec kage secret set WAITING"}
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := strconv.Itoa(cmd.Process.Pid)
	// Poll: kage lowers the limit first thing in main, but the runtime
	// starts (and sleeps) before main runs.
	var limits string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		status, _ := os.ReadFile("/proc/" + pid + "/status")
		if !strings.Contains(string(status), "Name:\tkage") {
			continue // still sh
		}
		b, err := os.ReadFile("/proc/" + pid + "/limits")
		if err != nil {
			t.Fatal(err)
		}
		if limits = string(b); strings.Contains(limits, "Max core file size        0 ") {
			break
		}
	}
	if !strings.Contains(limits, "Max core file size        0 ") {
		t.Fatalf("kage runs with core dumps on:\n%s", limits)
	}

	// kage exec gives the program the limit kage started with.
	run := kageCmd(t, bus, home, "", "exec", "--", "true")
	run.Path, run.Args = sh, []string{"sh", "-c", "ulimit -c 1024 && exec kage exec -- sh -c 'ulimit -c'"}
	got, err := run.Output()
	if err != nil || strings.TrimSpace(string(got)) != "1024" {
		t.Fatalf("the exec'd program's core limit = %q (%v), want 1024", got, err)
	}
}
