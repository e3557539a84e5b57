package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/kage-cli/kage/doctor"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
)

// secretTool runs secret-tool on bus.
func secretTool(t *testing.T, bus *testkeyring.Bus, stdin string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatal("secret-tool not found")
		}
		t.Skip("secret-tool not found (install libsecret-tools)")
	}
	cmd := exec.Command("secret-tool", args...)
	cmd.Env = bus.Environ(os.Environ())
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// runDoctor runs kage doctor with args and returns stdout and the exit
// code.
func runDoctor(t *testing.T, bus *testkeyring.Bus, home string, args ...string) (string, int) {
	t.Helper()
	cmd := kageCmd(t, bus, home, "", append([]string{"doctor"}, args...)...)
	cmd.Env = append(cmd.Env, "SHELL=/bin/bash", "NO_COLOR=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), ee.ExitCode()
	}
	t.Fatalf("kage doctor: %v: %s", err, stderr.String())
	return "", 0
}

// TestDoctorJSON checks that --json holds the same findings as the text,
// with their statuses, and the same exit code.
func TestDoctorJSON(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	for _, name := range []string{"KEEP", "GONE"} {
		if out, err := kageCmd(t, bus, home, "v", "secret", "set", name).CombinedOutput(); err != nil {
			t.Fatalf("set %s: %v: %s", name, err, out)
		}
	}
	secretTool(t, bus, "", "clear", "service", "kage-global", "username", "GONE")
	secretTool(t, bus, "v", "store", "--label", "x", "service", "kage-global", "username", "LACKING")
	secretTool(t, bus, "v", "store", "--label", "x", "service", "kage-bogus", "username", "FOREIGN")

	text, code := runDoctor(t, bus, home)
	out, jcode := runDoctor(t, bus, home, "--json")
	if code != 1 || jcode != 1 {
		t.Fatalf("exit codes %d (text) and %d (json), want 1", code, jcode)
	}
	var findings []map[string]any
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != len(findings) {
		t.Fatalf("%d lines of text, %d findings in JSON:\n%s\n%s", len(lines), len(findings), text, out)
	}
	statuses := map[string]int{}
	for i, f := range findings {
		if len(f) != 4 {
			t.Errorf("finding %d has keys %v, want check, status, message, fix", i, f)
		}
		var fd doctor.Finding
		var status string
		for k, p := range map[string]*string{"check": &fd.Check, "status": &status, "message": &fd.Message, "fix": &fd.Fix} {
			s, ok := f[k].(string)
			if !ok {
				t.Fatalf("finding %d: %s is %T, want a string", i, k, f[k])
			}
			*p = s
		}
		fd.Status = doctor.Status(status)
		if got := findingLine(fd, false); got != lines[i] {
			t.Errorf("finding %d as text %q, but the text says %q", i, got, lines[i])
		}
		statuses[fd.Check+" "+status]++
	}
	want := map[string]int{"keychain ok": 1, "index-keychain fail": 2, "index-keychain warn": 1}
	for k, n := range want {
		if statuses[k] != n {
			t.Errorf("%d findings %q, want %d (all: %v)", statuses[k], k, n, statuses)
		}
	}
}

// TestDoctorReadsNoValues watches the bus while doctor checks and repairs:
// it reads properties only, never a secret, and changes no item.
func TestDoctorReadsNoValues(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	for _, name := range []string{"A", "B", "C"} {
		if out, err := kageCmd(t, bus, home, "v", "secret", "set", name).CombinedOutput(); err != nil {
			t.Fatalf("set %s: %v: %s", name, err, out)
		}
	}
	secretTool(t, bus, "", "clear", "service", "kage-global", "username", "B")
	secretTool(t, bus, "v", "store", "--label", "x", "service", "kage-global", "username", "D")
	mon := bus.Monitor(t)
	if _, code := runDoctor(t, bus, home); code != 1 {
		t.Fatalf("doctor exit %d, want 1", code)
	}
	if _, code := runDoctor(t, bus, home, "--fix"); code != 0 {
		t.Fatalf("doctor --fix exit %d, want 0", code)
	}
	got := mon.Calls(t)
	if len(got) == 0 {
		t.Fatal("the monitor saw no call to the Secret Service")
	}
	for _, c := range got {
		if c != "Get" && c != "GetAll" {
			t.Fatalf("doctor called %s on the Secret Service; it may only read properties (all calls: %v)", c, got)
		}
	}
}

// stuckSecrets owns org.freedesktop.secrets and never answers.
type stuckSecrets struct{ release chan struct{} }

func (s stuckSecrets) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	<-s.release
	return dbus.MakeVariant(""), nil
}

// TestDoctorBounded: a Secret Service that never answers costs doctor the
// keychain timeout, not more, and is a failure with its fix.
func TestDoctorBounded(t *testing.T) {
	bus := testkeyring.StartBare(t)
	conn, err := dbus.Connect(bus.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := stuckSecrets{release: make(chan struct{})}
	defer close(s.release)
	if err := conn.Export(s, "/org/freedesktop/secrets", "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName = %v, %v", reply, err)
	}
	begin := time.Now()
	out, code := runDoctor(t, bus, t.TempDir(), "--fix")
	took := time.Since(begin)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	want := fmt.Sprintf("FAIL the keychain did not answer within %s (list) — fix: it may be waiting for an unlock prompt", keyring.Timeout)
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if took > keyring.Timeout+2*time.Second {
		t.Errorf("doctor took %v; the bound is %v", took, keyring.Timeout)
	}
}
