package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
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
		var fd finding
		for k, p := range map[string]*string{"check": &fd.Check, "status": &fd.Status, "message": &fd.Message, "fix": &fd.Fix} {
			s, ok := f[k].(string)
			if !ok {
				t.Fatalf("finding %d: %s is %T, want a string", i, k, f[k])
			}
			*p = s
		}
		if got := fd.line(false); got != lines[i] {
			t.Errorf("finding %d as text %q, but the text says %q", i, got, lines[i])
		}
		statuses[fd.Check+" "+fd.Status]++
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
	calls := watchSecretService(t, bus.Addr)
	if _, code := runDoctor(t, bus, home); code != 1 {
		t.Fatalf("doctor exit %d, want 1", code)
	}
	if _, code := runDoctor(t, bus, home, "--fix"); code != 0 {
		t.Fatalf("doctor --fix exit %d, want 0", code)
	}
	got := calls()
	if len(got) == 0 {
		t.Fatal("the monitor saw no call to the Secret Service")
	}
	for _, c := range got {
		if c != "Get" && c != "GetAll" {
			t.Fatalf("doctor called %s on the Secret Service; it may only read properties (all calls: %v)", c, got)
		}
	}
}

// watchSecretService records the methods called on org.freedesktop.secrets
// from now on; the function it returns waits until the monitor has seen
// everything sent before it was called, and returns them.
func watchSecretService(t *testing.T, addr string) func() []string {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *dbus.Message, 1<<14)
	done := make(chan struct{})
	t.Cleanup(func() {
		// Detach the channel before closing: godbus's Close closes it while
		// its reader may still deliver one more message, which panics.
		conn.Eavesdrop(nil)
		close(ch)
		conn.Close()
		<-done
	})
	// Every message goes to ch from now on, the answer to BecomeMonitor
	// included: godbus must not answer calls on a monitor connection.
	conn.Eavesdrop(ch)
	conn.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil, []string{}, uint32(0))
	for msg := range ch {
		if msg.Type == dbus.TypeMethodReply {
			break
		}
		if msg.Type == dbus.TypeError {
			t.Fatalf("BecomeMonitor: %v", msg.Body)
		}
	}
	var mu sync.Mutex
	var msgs []*dbus.Message
	go func() {
		defer close(done)
		for msg := range ch {
			mu.Lock()
			msgs = append(msgs, msg)
			mu.Unlock()
		}
	}()
	header := func(m *dbus.Message, f dbus.HeaderField) string {
		if v, ok := m.Headers[f]; ok {
			return fmt.Sprint(v.Value())
		}
		return ""
	}
	return func() []string {
		t.Helper()
		marker, err := dbus.Connect(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer marker.Close()
		if err := marker.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
			t.Fatal(err)
		}
		me := marker.Names()[0]
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			var out []string
			seen := false
			for _, m := range msgs {
				if m.Type != dbus.TypeMethodCall {
					continue
				}
				if header(m, dbus.FieldSender) == me && header(m, dbus.FieldMember) == "GetId" {
					seen = true
				}
				if header(m, dbus.FieldDestination) == "org.freedesktop.secrets" {
					out = append(out, header(m, dbus.FieldMember))
				}
			}
			mu.Unlock()
			if seen {
				return out
			}
		}
		t.Fatal("the monitor never saw the marker call")
		return nil
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
