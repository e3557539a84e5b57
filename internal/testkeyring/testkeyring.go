// Package testkeyring starts a private D-Bus session bus with a real
// gnome-keyring Secret Service on it, so that tests exercise the same code
// path as users do without ever touching the user's own keyring.
//
// Every bus lives in its own temporary directory with its own HOME and XDG
// directories. The dbus-daemon is started from a generated configuration
// that has no service directories, so nothing is ever D-Bus activated on it:
// a client that arrives before the Secret Service gets an error instead of a
// second gnome-keyring-daemon (which would corrupt the fresh login.keyring).
// Start returns only after the daemon owns org.freedesktop.secrets and the
// login collection is in the requested state.
//
// For fault tests, a Bus can lose its daemon ([Bus.StopSecrets], a
// SIGKILL), get it back with every item kept ([Bus.RestartSecrets]), have
// its collection locked ([Bus.LockCollection]), or have the daemon
// replaced by a [Staller], which takes every call and never answers.
//
// Child processes get the bus through [Bus.Env] or [Bus.Environ]. In-process
// use of the bus through go-keyring is limited: godbus caches the session bus
// connection for the life of the process, so point DBUS_SESSION_BUS_ADDRESS
// at a bus at most once per test binary, or run the code under test as a
// subprocess.
//
// Typical use in a test:
//
//	b := testkeyring.Start(t)
//	cmd := exec.Command(kageBinary, "get", "NAME")
//	cmd.Env = b.Environ(os.Environ())
//
// and in a testscript Setup:
//
//	b, cleanup, err := testkeyring.StartEnv("", testkeyring.Unlocked)
//	if err != nil {
//		return err
//	}
//	env.Defer(cleanup)
//	env.Setenv("DBUS_SESSION_BUS_ADDRESS", b.Addr)
package testkeyring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// StartTimeout bounds how long starting a bus and its Secret Service may
// take before StartEnv gives up.
const StartTimeout = 10 * time.Second

// Password is the password of the login keyring created by Start.
const Password = "kage-test-password"

// RequireEnv names the environment variable that, when set to "1", makes
// [Skip] fail the test instead of skipping it when no private Secret
// Service can be started (CI sets it so that tests are never skipped there).
const RequireEnv = "KAGE_REQUIRE_KEYRING"

const (
	secretsName      = "org.freedesktop.secrets"
	secretsPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceIface     = "org.freedesktop.Secret.Service"
	collectionIface  = "org.freedesktop.Secret.Collection"
	loginCollection  = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	defaultAliasName = "default"
)

// Mode selects the state of the Secret Service that StartEnv brings up.
type Mode int

const (
	// Unlocked starts gnome-keyring with a login collection (the "default"
	// alias) that is created with [Password] and unlocked.
	Unlocked Mode = iota
	// Locked starts gnome-keyring like Unlocked and then locks the login
	// collection with the Secret Service Lock method, so that every access
	// needs an unlock prompt, which cannot be shown on the private bus.
	Locked
	// Bare starts only the dbus-daemon: the bus works but nobody owns
	// org.freedesktop.secrets and nothing can be activated.
	Bare
	// Empty starts gnome-keyring without a keyring, as D-Bus activation
	// starts it on a headless machine where none was ever created: the
	// service lists only its in-memory "session" collection and the
	// "default" alias names nothing.
	Empty
)

// String returns the name of the mode.
func (m Mode) String() string {
	switch m {
	case Unlocked:
		return "unlocked"
	case Locked:
		return "locked"
	case Bare:
		return "bare"
	case Empty:
		return "empty"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Bus is a private D-Bus session bus, optionally with a gnome-keyring
// Secret Service on it.
type Bus struct {
	// Addr is the bus address, the value for DBUS_SESSION_BUS_ADDRESS.
	// It stays set after Stop, so that clients then fail to connect
	// instead of falling back to another bus.
	Addr string
	// Home is the HOME of the gnome-keyring-daemon; its keyrings live in
	// Home/.local/share/keyrings. Empty for a Bare bus.
	Home string
	// Dir is the temporary directory holding everything of this bus.
	Dir string
	// Mode is the state the bus was started in.
	Mode Mode
	// StartupTime is how long StartEnv took.
	StartupTime time.Duration

	dbusCmd  *exec.Cmd
	dbusDone chan struct{}

	// secMu guards the gnome-keyring-daemon's fields, which
	// RestartSecrets replaces.
	secMu       sync.Mutex
	readyConn   *dbus.Conn
	keyringCmd  *exec.Cmd
	keyringDone chan struct{}
	keyringLog  *os.File
	// keyringKill is set just before the harness kills the running
	// daemon, so that an exit of its own shows in DaemonProblems.
	keyringKill *atomic.Bool
	// exits are the daemons that exited without being killed.
	exits  []string
	exitMu sync.Mutex
	// closedLog is the daemon's log as Close found it.
	closedLog []byte

	stopOnce  sync.Once
	closeOnce sync.Once
}

// Available reports why a private Secret Service cannot be started here;
// a nil error means it can. It checks the operating system (go-keyring only
// uses the Secret Service on Linux and the BSDs) and looks for dbus-daemon
// and gnome-keyring-daemon on PATH.
func Available() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return fmt.Errorf("testkeyring: go-keyring does not use the Secret Service on %s", runtime.GOOS)
	}
	var missing []string
	for _, prog := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(prog); err != nil {
			missing = append(missing, prog)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("testkeyring: %s not found on PATH (install the dbus and gnome-keyring packages)", strings.Join(missing, " and "))
	}
	return nil
}

// Skip skips the test when [Available] reports an error, or fails it
// instead when the environment variable KAGE_REQUIRE_KEYRING is "1".
func Skip(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v; %s=1 requires a real Secret Service", err, RequireEnv)
	}
	t.Skipf("skipping: no private Secret Service: %v (set %s=1 to make this fatal)", err, RequireEnv)
}

// Start starts a private bus with an unlocked gnome-keyring Secret Service
// (see [Unlocked]) and registers its cleanup with t. It skips or fails the
// test as [Skip] does when the programs are missing, and fails it when
// startup fails.
func Start(t testing.TB) *Bus { t.Helper(); return start(t, Unlocked) }

// StartBare starts only a private dbus-daemon, with no Secret Service on it
// (see [Bare]), and registers its cleanup with t.
func StartBare(t testing.TB) *Bus { t.Helper(); return start(t, Bare) }

// StartLocked starts a private bus whose gnome-keyring login collection is
// locked (see [Locked]) and registers its cleanup with t. The collection is
// created unlocked and then locked through the Secret Service Lock method.
func StartLocked(t testing.TB) *Bus { t.Helper(); return start(t, Locked) }

// StartEmpty starts a private bus whose gnome-keyring has no keyring yet
// (see [Empty]) and registers its cleanup with t.
func StartEmpty(t testing.TB) *Bus { t.Helper(); return start(t, Empty) }

func start(t testing.TB, mode Mode) *Bus {
	t.Helper()
	Skip(t)
	b, cleanup, err := StartEnv("", mode)
	if err != nil {
		t.Fatalf("testkeyring: starting %s private Secret Service: %v", mode, err)
	}
	t.Cleanup(func() {
		// Before the log is read: a daemon that crashed is done writing.
		b.Stop()
		if problems := b.DaemonProblems(); len(problems) > 0 {
			t.Errorf("testkeyring: the Secret Service failed during the test (a crash or an assertion in gnome-keyring; kage must never cause one):\n%s", strings.Join(problems, "\n"))
		}
		if t.Failed() {
			// The daemon's own words, for a failure that may be its.
			if log, err := os.ReadFile(filepath.Join(b.Dir, "gnome-keyring.log")); err == nil && len(log) > 0 {
				t.Logf("gnome-keyring-daemon said:\n%s", log)
			}
		}
		cleanup()
	})
	return b
}

// StartEnv starts a private bus in the given mode without a testing.TB, for
// testscript Setup functions and TestMain. It creates its temporary
// directory in parent (os.TempDir() if empty, or /tmp if that path is too
// long for a unix socket). The returned cleanup, equal to [Bus.Close], must
// be called to stop the processes and remove the directory; on error
// everything already started has been cleaned up.
func StartEnv(parent string, mode Mode) (*Bus, func(), error) {
	if err := Available(); err != nil {
		return nil, nil, err
	}
	begin := time.Now()
	if parent == "" {
		parent = os.TempDir()
	}
	// A unix socket path must stay under ~108 bytes; the socket is
	// Dir/bus/dbus-XXXXXXXXXX.
	if len(parent) > 60 {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "kage-keyring-")
	if err != nil {
		return nil, nil, err
	}
	b := &Bus{Dir: dir, Mode: mode}
	if err := b.start(mode); err != nil {
		b.Close()
		return nil, nil, err
	}
	b.StartupTime = time.Since(begin)
	return b, b.Close, nil
}

// Env returns the environment entries a child process needs to use this
// bus. It only sets DBUS_SESSION_BUS_ADDRESS, which is never empty: with it
// unset, godbus would fall back to /run/user/UID/bus, the user's bus.
func (b *Bus) Env() []string {
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + b.Addr}
}

// Environ returns base without the entries that could point a client at
// another bus or keyring daemon (DBUS_SESSION_BUS_ADDRESS, DBUS_STARTER_*,
// GNOME_KEYRING_*), followed by [Bus.Env]. Use it as exec.Cmd.Env, e.g.
// b.Environ(os.Environ()).
func (b *Bus) Environ(base []string) []string {
	out := make([]string, 0, len(base)+1)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DBUS_SESSION_BUS_ADDRESS" || strings.HasPrefix(k, "DBUS_STARTER_") || strings.HasPrefix(k, "GNOME_KEYRING_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, b.Env()...)
}

// Stop kills the gnome-keyring-daemon and the dbus-daemon (with their
// process groups) now, for tests of a Secret Service that went away.
// Clients then fail to connect to Addr. It is safe to call more than once.
func (b *Bus) Stop() {
	b.StopSecrets()
	b.stopOnce.Do(func() { kill(b.dbusCmd, b.dbusDone) })
}

// StopSecrets kills only the gnome-keyring-daemon, with SIGKILL, as a
// crash would; the bus keeps running, so clients connect but
// org.freedesktop.secrets has no owner. It is safe to call more than once.
func (b *Bus) StopSecrets() {
	b.secMu.Lock()
	defer b.secMu.Unlock()
	b.stopSecrets()
}

// SecretsEnv is the whole environment the harness gives its
// gnome-keyring-daemon, for a test that starts one itself as a user would
// (gnome-keyring-daemon --replace, say): the bus, and a HOME and XDG
// directories of the bus's own.
func (b *Bus) SecretsEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + b.Home,
		"XDG_DATA_HOME=" + filepath.Join(b.Home, ".local", "share"),
		"XDG_CONFIG_HOME=" + filepath.Join(b.Home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(b.Home, ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(b.Dir, "run"),
		"DBUS_SESSION_BUS_ADDRESS=" + b.Addr,
		"LANG=C",
	}
}

// ExpectReplaced tells the harness that the test is about to replace its
// gnome-keyring-daemon (gnome-keyring-daemon --replace): that daemon's
// exit is then not a problem. The replacement is the test's, and it ends
// with the bus.
func (b *Bus) ExpectReplaced() {
	b.secMu.Lock()
	defer b.secMu.Unlock()
	if b.keyringKill != nil {
		b.keyringKill.Store(true)
	}
	if b.readyConn != nil {
		b.readyConn.Close()
		b.readyConn = nil
	}
}

func (b *Bus) stopSecrets() {
	if b.keyringKill != nil {
		b.keyringKill.Store(true)
	}
	kill(b.keyringCmd, b.keyringDone)
	if b.readyConn != nil {
		b.readyConn.Close()
		b.readyConn = nil
	}
}

// RestartSecrets kills the gnome-keyring-daemon if it still runs and starts
// a new one on the same bus with the same HOME, then waits, as StartEnv
// does, until it owns org.freedesktop.secrets and the login collection is
// unlocked. gnome-keyring keeps its login keyring in a file under Home and
// writes every change to it at once, so every item stored before, even
// before a SIGKILL, is there again, and the new daemon unlocks it with
// [Password] whatever state the old one left it in. The name must be free:
// close a [Staller] first. It fails for a Bare bus, which has no keyring.
func (b *Bus) RestartSecrets() error {
	if b.Home == "" {
		return fmt.Errorf("testkeyring: a %s bus has no keyring to restart", b.Mode)
	}
	b.secMu.Lock()
	defer b.secMu.Unlock()
	b.stopSecrets()
	deadline := time.Now().Add(StartTimeout)
	if err := b.startKeyring(); err != nil {
		return err
	}
	conn, err := b.waitSecrets(deadline)
	if err != nil {
		return err
	}
	b.readyConn = conn
	if b.Mode == Empty {
		return nil
	}
	if _, err := waitCollection(conn, deadline); err != nil {
		return b.withLog(err)
	}
	return nil
}

// SecretsProcess returns the running gnome-keyring-daemon, for tests that
// signal it themselves (SIGSTOP, to catch a client inside a call); nil
// when none runs.
func (b *Bus) SecretsProcess() *os.Process {
	b.secMu.Lock()
	defer b.secMu.Unlock()
	if b.keyringCmd == nil {
		return nil
	}
	select {
	case <-b.keyringDone:
		return nil
	default:
		return b.keyringCmd.Process
	}
}

// BusProcess returns the dbus-daemon, for tests that signal it themselves
// (SIGSTOP, for a bus that stops answering); nil on a stopped bus.
func (b *Bus) BusProcess() *os.Process {
	if b.dbusCmd == nil {
		return nil
	}
	select {
	case <-b.dbusDone:
		return nil
	default:
		return b.dbusCmd.Process
	}
}

// LockCollection locks the login collection of the running daemon through
// the Secret Service Lock method, as a screen lock or a timeout would: the
// items stay, every access needs an unlock prompt, which cannot be shown
// on the private bus, and [Bus.RestartSecrets] unlocks it again.
func (b *Bus) LockCollection() error {
	b.secMu.Lock()
	defer b.secMu.Unlock()
	if b.readyConn == nil {
		return errors.New("testkeyring: no gnome-keyring-daemon runs on this bus")
	}
	return b.withLog(lock(b.readyConn, loginCollection))
}

// Close stops the processes and removes the temporary directory. It is
// safe to call more than once.
func (b *Bus) Close() {
	b.Stop()
	b.closeOnce.Do(func() {
		b.secMu.Lock()
		defer b.secMu.Unlock()
		if b.keyringLog != nil {
			// Kept for DaemonProblems, which a test may ask after Close.
			b.closedLog, _ = os.ReadFile(b.keyringLog.Name())
			b.keyringLog.Close()
		}
		if b.Dir != "" {
			os.RemoveAll(b.Dir)
		}
	})
}

func kill(cmd *exec.Cmd, done chan struct{}) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-done:
		// Already exited and reaped: its PID, and so its process group
		// number, may now belong to another test's daemon (pid_max is
		// often 32768 and a test run starts thousands of processes).
		return
	default:
	}
	killGroup(cmd.Process)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <!-- Private session bus for kage tests. No <servicedir> and no
       <standard_session_servicedirs/>: nothing is ever auto-activated. -->
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func (b *Bus) start(mode Mode) error {
	deadline := time.Now().Add(StartTimeout)
	busDir := filepath.Join(b.Dir, "bus")
	if err := os.Mkdir(busDir, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(b.Dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, xmlEscape(busDir)), 0o600); err != nil {
		return err
	}
	if err := b.startDBus(conf, deadline); err != nil {
		return err
	}
	if mode == Bare {
		return nil
	}
	if err := b.startKeyring(); err != nil {
		return err
	}
	conn, err := b.waitSecrets(deadline)
	if err != nil {
		return err
	}
	if mode == Empty {
		b.readyConn = conn
		return nil
	}
	// Kept open until Stop: a client that leaves just as the next one
	// opens a session has made gnome-keyring abort ("assertion 'client'
	// failed"), so the harness does not leave right after start-up.
	b.readyConn = conn
	coll, err := waitCollection(conn, deadline)
	if err != nil {
		return b.withLog(err)
	}
	if mode == Locked {
		if err := lock(conn, coll); err != nil {
			return b.withLog(err)
		}
	}
	return nil
}

func (b *Bus) startDBus(conf string, deadline time.Time) error {
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	cmd.Dir = b.Dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + b.Dir,
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
	}
	setProcAttr(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	line := make(chan string, 1)
	cmd.Stdout = &firstLine{ch: line}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dbus-daemon: %w", err)
	}
	b.dbusCmd = cmd
	b.dbusDone = make(chan struct{})
	waitErr := make(chan error, 1)
	go func() {
		waitErr <- cmd.Wait()
		close(b.dbusDone)
	}()
	select {
	case addr := <-line:
		b.Addr = addr
	case err := <-waitErr:
		return fmt.Errorf("dbus-daemon exited (%v) without printing its address: %s", err, strings.TrimSpace(stderr.String()))
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("dbus-daemon printed no address within %v: %s", StartTimeout, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (b *Bus) startKeyring() error {
	b.Home = filepath.Join(b.Dir, "home")
	run := filepath.Join(b.Dir, "run")
	for _, d := range []string{b.Home, run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if b.keyringLog == nil {
		log, err := os.Create(filepath.Join(b.Dir, "gnome-keyring.log"))
		if err != nil {
			return err
		}
		b.keyringLog = log
	}
	// A restarted daemon writes after its predecessor: the child shares the
	// file's offset.
	log := b.keyringLog
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	if b.Mode == Empty {
		cmd.Args = []string{"gnome-keyring-daemon", "--foreground", "--components=secrets"}
	}
	cmd.Dir = b.Home
	cmd.Env = b.SecretsEnv()
	if b.Mode != Empty {
		cmd.Stdin = strings.NewReader(Password)
	}
	cmd.Stdout = log
	cmd.Stderr = log
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting gnome-keyring-daemon: %w", err)
	}
	done := make(chan struct{})
	killed := new(atomic.Bool)
	b.keyringCmd = cmd
	b.keyringDone = done
	b.keyringKill = killed
	go func() {
		cmd.Wait()
		if !killed.Load() {
			b.exitMu.Lock()
			b.exits = append(b.exits, fmt.Sprintf("gnome-keyring-daemon (pid %d) exited on its own: %v", cmd.Process.Pid, cmd.ProcessState))
			b.exitMu.Unlock()
		}
		close(done)
	}()
	return nil
}

// Register makes conn known to gnome-keyring before any call that needs
// it: it reads the service's Collections property and waits for the
// answer, as kage's own connections do (keyring's register). gnome-keyring
// 42 registers a new client only once the bus has told it the client's
// process ID; a call that looks the client up and overtakes that —
// OpenSession, ReadAlias, a collection's property or search — fails
// "gkd_secret_service_get_pkcs11_session: assertion 'client' failed" and
// can abort the daemon. Every test connection to a real gnome-keyring
// calls it first ([Bus.Connect] does).
func Register(conn *dbus.Conn) error {
	var v dbus.Variant
	return conn.Object(secretsName, secretsPath).Call("org.freedesktop.DBus.Properties.Get", dbus.FlagNoAutoStart, serviceIface, "Collections").Store(&v)
}

// Connect opens a private connection to the bus, registered with the
// Secret Service (see [Register]); it is closed when t ends.
func (b *Bus) Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := Register(conn); err != nil {
		t.Fatalf("reach the Secret Service: %v", err)
	}
	return conn
}

// waitSecrets waits until org.freedesktop.secrets has an owner and returns
// a private connection to the bus.
func (b *Bus) waitSecrets(deadline time.Time) (*dbus.Conn, error) {
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to private bus %s: %w", b.Addr, err)
	}
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&has)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("NameHasOwner: %w", err)
		}
		if has {
			if err := Register(conn); err != nil {
				conn.Close()
				return nil, b.withLog(fmt.Errorf("register with %s: %w", secretsName, err))
			}
			return conn, nil
		}
		select {
		case <-b.keyringDone:
			conn.Close()
			return nil, b.withLog(fmt.Errorf("gnome-keyring-daemon exited (%v) before owning %s", b.keyringCmd.ProcessState, secretsName))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			conn.Close()
			return nil, b.withLog(fmt.Errorf("%s has no owner after %v", secretsName, StartTimeout))
		}
	}
}

// waitCollection waits until the "default" alias names an unlocked
// collection and returns its path.
func waitCollection(conn *dbus.Conn, deadline time.Time) (dbus.ObjectPath, error) {
	svc := conn.Object(secretsName, secretsPath)
	var last error
	for {
		var coll dbus.ObjectPath
		err := svc.Call(serviceIface+".ReadAlias", dbus.FlagNoAutoStart, defaultAliasName).Store(&coll)
		if err == nil && coll != "/" {
			var v dbus.Variant
			v, err = conn.Object(secretsName, coll).GetProperty(collectionIface + ".Locked")
			if err == nil {
				if locked, _ := v.Value().(bool); !locked {
					return coll, nil
				}
				err = fmt.Errorf("collection %s is locked", coll)
			}
		} else if err == nil {
			err = errors.New(`no "default" collection`)
		}
		last = err
		if time.Now().After(deadline) {
			return "", fmt.Errorf("login collection not ready after %v: %w", StartTimeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lock(conn *dbus.Conn, coll dbus.ObjectPath) error {
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	svc := conn.Object(secretsName, secretsPath)
	err := svc.Call(serviceIface+".Lock", dbus.FlagNoAutoStart, []dbus.ObjectPath{coll}).Store(&locked, &prompt)
	if err != nil {
		return fmt.Errorf("locking %s: %w", coll, err)
	}
	if prompt != "/" {
		return fmt.Errorf("locking %s wants prompt %s", coll, prompt)
	}
	v, err := conn.Object(secretsName, coll).GetProperty(collectionIface + ".Locked")
	if err != nil {
		return fmt.Errorf("reading Locked of %s: %w", coll, err)
	}
	if l, _ := v.Value().(bool); !l {
		return fmt.Errorf("collection %s still unlocked after Lock", coll)
	}
	return nil
}

func (b *Bus) withLog(err error) error {
	if b.keyringLog == nil {
		return err
	}
	data, _ := os.ReadFile(b.keyringLog.Name())
	if s := strings.TrimSpace(string(data)); s != "" {
		return fmt.Errorf("%w; gnome-keyring-daemon output:\n%s", err, s)
	}
	return err
}

// firstLine is an io.Writer that sends the first line written to it to ch
// and discards everything else.
type firstLine struct {
	buf  []byte
	ch   chan<- string
	sent bool
}

func (w *firstLine) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if s, _, ok := strings.Cut(string(w.buf), "\n"); ok {
			w.sent = true
			w.ch <- strings.TrimSpace(s)
			w.buf = nil
		}
	}
	return len(p), nil
}

func xmlEscape(s string) string {
	var buf bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			buf.WriteString("&lt;")
		case '>':
			buf.WriteString("&gt;")
		case '&':
			buf.WriteString("&amp;")
		case '"':
			buf.WriteString("&quot;")
		case '\'':
			buf.WriteString("&apos;")
		default:
			buf.WriteRune(r)
		}
	}
	return buf.String()
}
