package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"kage": main})
}

// busHolder lets keyringd replace a script's bus.
type busHolder struct{ bus *testkeyring.Bus }

// busKey is where a script's private Secret Service is kept between
// commands.
type busKey struct{}

// TestScripts runs testdata/*.txt: kage as a user types it, each script
// against its own gnome-keyring on its own private D-Bus session, with its
// own HOME and KAGE_HOME, so nothing of the machine's user is touched.
func TestScripts(t *testing.T) {
	testkeyring.Skip(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"keyringd": cmdKeyringd,
			"code":     cmdCode,
			"printf":   cmdPrintf,
		},
	})
}

func setupScript(e *testscript.Env) error {
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
	bus, cleanup, err := testkeyring.StartEnv("", testkeyring.Unlocked)
	if err != nil {
		return err
	}
	e.Defer(cleanup)
	e.Values[busKey{}] = &busHolder{bus}
	e.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	return nil
}

// cmdKeyringd changes the script's Secret Service:
//
//	keyringd stop     kill gnome-keyring and the bus
//	keyringd nosecrets  kill gnome-keyring, keep the bus
//	keyringd bare     a new bus with no Secret Service on it
//	keyringd locked   a new bus whose login collection is locked
//	keyringd start    a new bus with an unlocked Secret Service
func cmdKeyringd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: keyringd stop|nosecrets|bare|locked|start")
	}
	h := ts.Value(busKey{}).(*busHolder)
	mode := map[string]testkeyring.Mode{"bare": testkeyring.Bare, "locked": testkeyring.Locked, "start": testkeyring.Unlocked}
	switch args[0] {
	case "stop":
		h.bus.Stop()
	case "nosecrets":
		h.bus.StopSecrets()
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
		ts.Defer(cleanup)
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
