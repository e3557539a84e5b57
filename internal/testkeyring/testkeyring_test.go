package testkeyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// needSecretTool skips (or fails under KAGE_REQUIRE_KEYRING=1) when
// secret-tool is missing.
func needSecretTool(t *testing.T) {
	t.Helper()
	Skip(t)
	if _, err := exec.LookPath("secret-tool"); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("secret-tool not found on PATH; %s=1 requires it", RequireEnv)
		}
		t.Skip("skipping: secret-tool not found on PATH (install libsecret-tools)")
	}
}

// secretTool runs secret-tool against b with a timeout.
func secretTool(t *testing.T, b *Bus, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "secret-tool", args...)
	cmd.Env = b.Environ(os.Environ())
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("secret-tool %s timed out", strings.Join(args, " "))
	}
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func store(t *testing.T, b *Bus, name, value string) {
	t.Helper()
	if _, err := secretTool(t, b, value, "store", "--label", "x", "service", "kage-global", "username", name); err != nil {
		t.Fatalf("secret-tool store: %v", err)
	}
}

func lookup(t *testing.T, b *Bus, name string) (string, error) {
	t.Helper()
	return secretTool(t, b, "", "lookup", "service", "kage-global", "username", name)
}

func TestStoreLookup(t *testing.T) {
	needSecretTool(t)
	b := Start(t)
	t.Logf("Start took %v (addr %s)", b.StartupTime, b.Addr)
	store(t, b, "API_TOKEN", "s3cret value")
	got, err := lookup(t, b, "API_TOKEN")
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	if got != "s3cret value" {
		t.Fatalf("lookup = %q, want %q", got, "s3cret value")
	}
	if _, err := os.Stat(filepath.Join(b.Home, ".local", "share", "keyrings", "login.keyring")); err != nil {
		t.Errorf("login keyring not in the private HOME: %v", err)
	}
}

func TestParallelIsolation(t *testing.T) {
	needSecretTool(t)
	var wg sync.WaitGroup
	buses := make([]*Bus, 2)
	for i := range buses {
		wg.Go(func() {
			b, cleanup, err := StartEnv("", Unlocked)
			if err != nil {
				t.Errorf("StartEnv %d: %v", i, err)
				return
			}
			t.Cleanup(cleanup)
			buses[i] = b
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	a, b := buses[0], buses[1]
	if a.Addr == b.Addr || a.Home == b.Home {
		t.Fatalf("buses share address or home: %+v %+v", a, b)
	}
	store(t, a, "ONLY_IN_A", "a")
	store(t, b, "ONLY_IN_B", "b")
	if got, err := lookup(t, a, "ONLY_IN_A"); err != nil || got != "a" {
		t.Errorf("lookup in A = %q, %v; want \"a\"", got, err)
	}
	if got, err := lookup(t, b, "ONLY_IN_A"); err == nil {
		t.Errorf("item stored in A found in B: %q", got)
	}
	if got, err := lookup(t, a, "ONLY_IN_B"); err == nil {
		t.Errorf("item stored in B found in A: %q", got)
	}
}

func TestBare(t *testing.T) {
	Skip(t)
	b := StartBare(t)
	t.Logf("StartBare took %v", b.StartupTime)
	if b.Home != "" {
		t.Errorf("bare bus has Home %q", b.Home)
	}
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&has); err != nil {
		t.Fatal(err)
	}
	if has {
		t.Fatalf("%s has an owner on a bare bus", secretsName)
	}
	// Nothing can be activated: a call fails at once.
	err = conn.Object(secretsName, secretsPath).Call(serviceIface+".ReadAlias", 0, "default").Err
	if err == nil {
		t.Fatal("call to the Secret Service on a bare bus succeeded")
	}
	t.Logf("call on bare bus: %#v", err)
}

func TestLocked(t *testing.T) {
	Skip(t)
	b := StartLocked(t)
	t.Logf("StartLocked took %v", b.StartupTime)
	conn := b.Connect(t)
	v, err := conn.Object(secretsName, loginCollection).GetProperty(collectionIface + ".Locked")
	if err != nil {
		t.Fatal(err)
	}
	if locked, _ := v.Value().(bool); !locked {
		t.Fatal("login collection is not locked")
	}
}

func TestStop(t *testing.T) {
	Skip(t)
	b := Start(t)
	b.StopSecrets()
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		t.Fatalf("bus gone after StopSecrets: %v", err)
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&has)
	conn.Close()
	if err != nil || has {
		t.Fatalf("after StopSecrets: has owner %v, err %v", has, err)
	}
	b.Stop()
	b.Stop()
	if conn, err := dbus.Connect(b.Addr); err == nil {
		conn.Close()
		t.Fatal("bus still reachable after Stop")
	}
	b.Close()
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("Dir %s not removed by Close: %v", b.Dir, err)
	}
}

func TestEnviron(t *testing.T) {
	b := &Bus{Addr: "unix:path=/x"}
	got := b.Environ([]string{"PATH=/bin", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus", "DBUS_STARTER_BUS_TYPE=session", "GNOME_KEYRING_CONTROL=/y"})
	want := []string{"PATH=/bin", "DBUS_SESSION_BUS_ADDRESS=unix:path=/x"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Environ = %q, want %q", got, want)
	}
}

// TestGoKeyring runs go-keyring in fresh subprocesses (godbus caches the
// session bus per process) against each kind of environment, checks that
// every failure is reported at once instead of hanging, and logs what Get
// and Set return and how long they take.
func TestGoKeyring(t *testing.T) {
	Skip(t)
	unlocked := Start(t)
	bare := StartBare(t)
	locked := StartLocked(t)
	stopped := Start(t)
	stopped.Stop()
	noSecrets := Start(t)
	noSecrets.StopSecrets()

	// With DBUS_SESSION_BUS_ADDRESS unset or empty, godbus connects to
	// /run/user/UID/bus if it exists (the user's real bus!) and otherwise
	// runs dbus-launch, which starts a session bus that D-Bus activates a
	// gnome-keyring-daemon on the real HOME and leaks both processes. Run
	// those cases only where neither can happen: no runtime-dir bus, and a
	// PATH without dbus-launch.
	safeUnset := true
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d/%s", os.Getuid(), f)); err == nil {
			safeUnset = false
		}
	}
	emptyPath := t.TempDir()

	cases := []struct {
		name     string
		addr     string // "-" means unset
		ops      string
		notFound bool // the last op must fail with ErrNotFound; else all succeed
		fail     bool // every op must fail
	}{
		{name: "ok", addr: unlocked.Addr, ops: "set,get,getmissing", notFound: true},
		{name: "unset", addr: "-", ops: "get,set", fail: true},
		{name: "empty", addr: "", ops: "get,set", fail: true},
		{name: "nosocket", addr: "unix:path=" + filepath.Join(t.TempDir(), "missing"), ops: "get,set", fail: true},
		{name: "bare", addr: bare.Addr, ops: "get,set", fail: true},
		{name: "locked", addr: locked.Addr, ops: "get", fail: true},
		{name: "lockedset", addr: locked.Addr, ops: "set", fail: true},
		{name: "stopped", addr: stopped.Addr, ops: "get,set", fail: true},
		{name: "secretsstopped", addr: noSecrets.Addr, ops: "get,set", fail: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := (&Bus{}).Environ(os.Environ())
			env = env[:len(env)-1] // drop the DBUS_SESSION_BUS_ADDRESS= entry
			if c.addr != "-" {
				env = append(env, "DBUS_SESSION_BUS_ADDRESS="+c.addr)
			}
			if c.addr == "-" || c.addr == "" {
				if !safeUnset {
					t.Skip("skipping: /run/user/UID has a session bus that go-keyring would use")
				}
				env = append(env, "PATH="+emptyPath, "HOME="+emptyPath)
			}
			env = append(env, "TESTKEYRING_HELPER="+c.ops)
			if os.Getenv("GORACE") == "" {
				env = append(env, "GORACE=atexit_sleep_ms=0") // no 1s exit delay under -race
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperGoKeyring$", "-test.v")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("go-keyring hung (killed after 5s):\n%s", out)
			}
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			var lines []string
			for l := range strings.Lines(string(out)) {
				if strings.HasPrefix(l, "op ") {
					lines = append(lines, strings.TrimSpace(l))
				}
			}
			t.Logf("\n%s", strings.Join(lines, "\n"))
			ops := strings.Split(c.ops, ",")
			if len(lines) != len(ops) {
				t.Fatalf("helper reported %d ops, want %d:\n%s", len(lines), len(ops), out)
			}
			for i, l := range lines {
				failed := !strings.Contains(l, " err=<nil>")
				switch {
				case c.fail && !failed:
					t.Errorf("%s succeeded, want an error", ops[i])
				case c.notFound && i == len(lines)-1:
					if !strings.Contains(l, " notfound=true") {
						t.Errorf("%s: want keyring.ErrNotFound", ops[i])
					}
				case !c.fail && failed:
					t.Errorf("%s failed", ops[i])
				}
			}
		})
	}
}

// TestHelperGoKeyring is the subprocess of TestGoKeyring.
func TestHelperGoKeyring(t *testing.T) {
	ops := os.Getenv("TESTKEYRING_HELPER")
	if ops == "" {
		t.Skip("helper process only")
	}
	for _, op := range strings.Split(ops, ",") {
		start := time.Now()
		var err error
		var val string
		switch op {
		case "set":
			err = keyring.Set("kage-global", "NAME", "value")
		case "get":
			val, err = keyring.Get("kage-global", "NAME")
		case "getmissing":
			val, err = keyring.Get("kage-global", "MISSING")
		}
		errText := "<nil>"
		if err != nil {
			errText = fmt.Sprintf("%T %q", err, err.Error())
		}
		fmt.Printf("op %s: %v val=%q err=%s notfound=%v\n", op, time.Since(start).Round(100*time.Microsecond), val, errText, errors.Is(err, keyring.ErrNotFound))
	}
}

// TestRestartKeepsItems kills the daemon as a crash would and restarts it:
// the items, and their values, are still there, and a collection locked
// before comes back unlocked.
func TestRestartKeepsItems(t *testing.T) {
	needSecretTool(t)
	b := Start(t)
	store(t, b, "KEPT", "kept value")
	if err := b.LockCollection(); err != nil {
		t.Fatal(err)
	}
	p := b.SecretsProcess()
	if p == nil {
		t.Fatal("SecretsProcess = nil while the daemon runs")
	}
	b.StopSecrets()
	if b.SecretsProcess() != nil {
		t.Fatal("SecretsProcess != nil after StopSecrets")
	}
	if _, err := lookup(t, b, "KEPT"); err == nil {
		t.Fatal("lookup succeeded with no daemon")
	}
	if err := b.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	if q := b.SecretsProcess(); q == nil || q.Pid == p.Pid {
		t.Fatalf("SecretsProcess after restart = %v, want a new process", q)
	}
	got, err := lookup(t, b, "KEPT")
	if err != nil || got != "kept value" {
		t.Fatalf("after restart: lookup = %q, %v", got, err)
	}
	// A restart of a running daemon works too.
	if err := b.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup(t, b, "KEPT"); err != nil || got != "kept value" {
		t.Fatalf("after second restart: lookup = %q, %v", got, err)
	}
	if err := StartBare(t).RestartSecrets(); err == nil {
		t.Fatal("RestartSecrets of a bare bus succeeded")
	}
}

// TestStaller checks that every call to the staller stalls until Close,
// that it records them, and that the real daemon can take the name back.
func TestStaller(t *testing.T) {
	needSecretTool(t)
	b := Start(t)
	if _, err := b.Stall(); err == nil {
		t.Fatal("Stall succeeded while gnome-keyring owns the name")
	}
	b.StopSecrets()
	s, err := b.Stall()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	calls := []struct {
		path   dbus.ObjectPath
		method string
		args   []any
	}{
		{secretsPath, serviceIface + ".OpenSession", []any{"plain", dbus.MakeVariant("")}},
		{secretsPath, serviceIface + ".ReadAlias", []any{"default"}},
		{secretsPath, "org.freedesktop.DBus.Properties.Get", []any{serviceIface, "Collections"}},
		{loginCollection, collectionIface + ".SearchItems", []any{map[string]string{"service": "kage-global"}}},
		{"/org/freedesktop/secrets/collection/login/1", "org.freedesktop.Secret.Item.Delete", nil},
	}
	pending := make([]*dbus.Call, len(calls))
	for i, c := range calls {
		pending[i] = conn.Object(secretsName, c.path).Go(c.method, 0, nil, c.args...)
	}
	if !s.WaitCall(len(calls), 5*time.Second) {
		t.Fatalf("the staller saw %q, want %d calls", s.Calls(), len(calls))
	}
	time.Sleep(200 * time.Millisecond)
	for i, p := range pending {
		select {
		case <-p.Done:
			t.Fatalf("%s answered: %v", calls[i].method, p.Err)
		default:
		}
	}
	got := s.Calls()
	slices.Sort(got)
	var want []string
	for _, c := range calls {
		want = append(want, c.method)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Calls = %q, want %q", got, want)
	}
	s.Close()
	for i, p := range pending {
		select {
		case <-p.Done:
			if p.Err == nil {
				t.Errorf("%s succeeded after Close", calls[i].method)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still waits after Close", calls[i].method)
		}
	}
	if err := b.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	store(t, b, "AFTER", "v")
}

// TestDaemonProblems: a daemon that aborts, or that logs an assertion,
// is reported; gnome-keyring's two benign warnings and a daemon the
// harness kills are not.
func TestDaemonProblems(t *testing.T) {
	Skip(t)
	b, cleanup, err := StartEnv("", Unlocked)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if p := b.DaemonProblems(); len(p) > 0 {
		t.Fatalf("a fresh daemon has problems: %q", p)
	}
	benign := "** (gnome-keyring-daemon:1): WARNING **: 17:26:43.891: asked to register item /org/freedesktop/secrets/collection/login/233, but it's already registered\n" +
		"** (gnome-keyring-daemon:1): WARNING **: 17:30:33.515: couldn't create system prompt: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.gnome.keyring.SystemPrompter was not provided by any .service files\n"
	if _, err := b.keyringLog.WriteString(benign); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckDaemon(); err != nil {
		t.Fatalf("benign warnings reported: %v", err)
	}
	bad := "** (gnome-keyring-daemon:1): CRITICAL **: 17:31:06.880: plain_negotiate: assertion 'session' failed\n"
	if _, err := b.keyringLog.WriteString(bad); err != nil {
		t.Fatal(err)
	}
	if p := b.DaemonProblems(); len(p) != 1 || !strings.Contains(p[0], "assertion 'session' failed") {
		t.Fatalf("problems %q, want the assertion", p)
	}
	// An abort: gnome-keyring's g_error raises SIGTRAP.
	if err := b.SecretsProcess().Signal(syscall.SIGTRAP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(b.DaemonProblems()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p := b.DaemonProblems(); len(p) != 2 || !strings.Contains(p[0], "exited on its own") {
		t.Fatalf("problems %q, want the exit and the assertion", p)
	}
	cleanup()
	if p := b.DaemonProblems(); len(p) != 2 {
		t.Fatalf("after Close: problems %q, want the same two", p)
	}

	killed, cleanup2, err := StartEnv("", Unlocked)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup2()
	killed.StopSecrets()
	if err := killed.CheckDaemon(); err != nil {
		t.Fatalf("a daemon the harness killed is reported: %v", err)
	}
}

// TestConnectRegisters: test connections made with Connect can send
// gnome-keyring the calls that look a client up (ReadAlias, a collection's
// property) first, on many fresh connections at once, without the
// assertion that failed CI when a test's helper sent ReadAlias first on an
// unregistered connection.
func TestConnectRegisters(t *testing.T) {
	Skip(t)
	b := Start(t)
	const workers, rounds = 4, 400
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := lookups(b, connectRegistered); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := b.CheckDaemon(); err != nil {
		t.Fatal(err)
	}
}

// connectRegistered is Connect without a test to end.
func connectRegistered(addr string) (*dbus.Conn, error) {
	conn, err := dbus.Connect(addr)
	if err == nil {
		if err = Register(conn); err != nil {
			conn.Close()
		}
	}
	return conn, err
}

// lookups opens a connection with connect and sends the calls that need
// gnome-keyring to know the client, as the first ones after connect.
func lookups(b *Bus, connect func(string) (*dbus.Conn, error)) error {
	conn, err := connect(b.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	var alias dbus.ObjectPath
	if err := conn.Object(secretsName, secretsPath).Call(serviceIface+".ReadAlias", 0, defaultAliasName).Store(&alias); err != nil {
		return err
	}
	_, err = conn.Object(secretsName, loginCollection).GetProperty(collectionIface + ".Items")
	return err
}
