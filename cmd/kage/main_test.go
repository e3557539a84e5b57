package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, testCommands)
}

// testCommands are the programs scripts and tests run by name, each this
// test binary under another name (hooklight_unix_test.go adds kage-hook).
var testCommands = map[string]func(){"kage": main}

// busHolder lets keyringd replace a script's bus.
type busHolder struct {
	bus *testkeyring.Bus
	// t is the script's test, which a daemon that went wrong fails.
	t testscript.T
}

// busKey is where a script's private Secret Service is kept between
// commands.
type busKey struct{}

// TestScripts runs testdata/*.txt: kage as a user types it, each script
// against its own gnome-keyring on its own private D-Bus session, with its
// own HOME and KAGE_HOME, so nothing of the machine's user is touched.
func TestScripts(t *testing.T) {
	testkeyring.Skip(t)
	runScripts(t, "keyring")
}

// TestScriptsFileBackend runs the same scripts against the age-encrypted
// file backend, with D-Bus pointing nowhere: lines about the keychain
// itself are marked [keyring] and skipped here.
func TestScriptsFileBackend(t *testing.T) {
	runScripts(t, "file")
}

func runScripts(t *testing.T, backend string) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup:               func(e *testscript.Env) error { return setupScript(e, backend) },
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "keyring", "file":
				return cond == backend, nil
			}
			if prog, ok := strings.CutPrefix(cond, "have:"); ok {
				return have(prog)
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"keyringd": cmdKeyringd,
			"code":     cmdCode,
			"printf":   cmdPrintf,
			"agefile":  cmdAgeFile,
		},
	})
}

// have is the condition [have:PROG] for a script line that runs a program
// a fresh machine may lack (zsh, fish, dash, elvish): the line is skipped
// where it is missing (make test says which are, and how to install them),
// and fails under KAGE_REQUIRE_SHELLS=1, as CI runs.
func have(prog string) (bool, error) {
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
			return false, fmt.Errorf("%s is not installed and KAGE_REQUIRE_SHELLS=1", prog)
		}
		return false, nil
	}
	return true, nil
}

func setupScript(e *testscript.Env, backend string) error {
	home := filepath.Join(e.WorkDir, "home")
	runtime := filepath.Join(e.WorkDir, ".run")
	for _, d := range []string{home, runtime} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	for k, v := range map[string]string{
		"HOME":                home,
		"KAGE_HOME":           filepath.Join(e.WorkDir, ".kage"),
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"XDG_DATA_HOME":       filepath.Join(home, ".local", "share"),
		"XDG_RUNTIME_DIR":     runtime,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "t", "GIT_AUTHOR_EMAIL": "t@example.com",
		"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
		"KAGE_NAMESPACE": "",
		"NO_COLOR":       "1",
	} {
		e.Setenv(k, v)
	}
	e.Setenv("BACKEND", backend)
	if backend == "file" {
		// Two identities: the store's, and another that must not open it.
		for name, v := range map[string]string{"KAGE_AGE_IDENTITY": ".identity", "OTHER_IDENTITY": ".other-identity"} {
			p := filepath.Join(e.WorkDir, v)
			if _, err := keyring.GenerateIdentityFile(p); err != nil {
				return err
			}
			e.Setenv(name, p)
		}
		e.Setenv("KAGE_BACKEND", "file")
		e.Setenv("STORE", filepath.Join(e.WorkDir, ".kage", "secrets.age"))
		e.Setenv("STORENAME", "secrets.age")
		// Nothing may reach for a keychain.
		e.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(e.WorkDir, "no-such-bus"))
		return nil
	}
	e.Setenv("STORE", filepath.Join(e.WorkDir, ".kage", "index.json"))
	e.Setenv("STORENAME", "index.json")
	bus, cleanup, err := testkeyring.StartEnv("", testkeyring.Unlocked)
	if err != nil {
		return err
	}
	e.Defer(checked(e.T(), bus, cleanup))
	e.Values[busKey{}] = &busHolder{bus: bus, t: e.T()}
	e.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	return nil
}

// checked is cleanup, after which a script fails if its Secret Service
// went wrong: an assertion in its log, or an exit of its own.
func checked(t testscript.T, bus *testkeyring.Bus, cleanup func()) func() {
	return func() {
		bus.Stop()
		err := bus.CheckDaemon()
		cleanup()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// cmdKeyringd changes the script's Secret Service:
//
//	keyringd stop       kill gnome-keyring and the bus
//	keyringd nosecrets  kill gnome-keyring (SIGKILL), keep the bus
//	keyringd restart    start gnome-keyring again on the same bus: it
//	                    reads the same keyring file, so every item stored
//	                    before is back, and the collection is unlocked
//	keyringd lock       lock the login collection, items and all
//	keyringd bare       a new bus with no Secret Service on it
//	keyringd locked     a new bus whose login collection is locked
//	keyringd start      a new bus with an unlocked Secret Service
func cmdKeyringd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: keyringd stop|nosecrets|restart|lock|bare|locked|start")
	}
	h := ts.Value(busKey{}).(*busHolder)
	mode := map[string]testkeyring.Mode{"bare": testkeyring.Bare, "locked": testkeyring.Locked, "start": testkeyring.Unlocked}
	switch args[0] {
	case "stop":
		h.bus.Stop()
	case "nosecrets":
		h.bus.StopSecrets()
	case "restart":
		if err := h.bus.RestartSecrets(); err != nil {
			ts.Fatalf("keyringd restart: %v", err)
		}
	case "lock":
		if err := h.bus.LockCollection(); err != nil {
			ts.Fatalf("keyringd lock: %v", err)
		}
	default:
		m, ok := mode[args[0]]
		if !ok {
			ts.Fatalf("keyringd: unknown mode %q", args[0])
		}
		h.bus.Stop()
		nb, cleanup, err := testkeyring.StartEnv("", m)
		if err != nil {
			ts.Fatalf("keyringd %s: %v", args[0], err)
		}
		ts.Defer(checked(h.t, nb, cleanup))
		h.bus = nb
		ts.Setenv("DBUS_SESSION_BUS_ADDRESS", nb.Addr)
	}
}

// cmdCode runs a program and checks its exit code, which plain `exec`
// cannot tell apart (usage errors are 2, failures 1):
//
//	code 2 kage secret set
func cmdCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: code N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("code: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("code: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// cmdPrintf writes a file from a Go-escaped string, for exact bytes a
// txtar section cannot hold (no final newline, CR, control bytes):
//
//	printf want.txt 'line1\nline2'
func cmdPrintf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: printf file 'go-escaped text'")
	}
	data, err := strconv.Unquote(`"` + strings.ReplaceAll(args[1], `"`, `\"`) + `"`)
	if err != nil {
		ts.Fatalf("printf: %v", err)
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), []byte(data), 0o600); err != nil {
		ts.Fatalf("printf: %v", err)
	}
}
