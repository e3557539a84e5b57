//go:build unix

package main

// Keychain faults against the real gnome-keyring on a private bus: the
// Secret Service killed between two commands and in the middle of one, and
// a Secret Service that takes every call and never answers. Each command
// must fail with kage's one-line error (and at most one hint line) within
// the keychain's time bound, print nothing an eval could run, and change
// nothing: the index stays byte for byte what it was, and once the real
// daemon is back every value reads as before and no new item exists.
// testdata/faults.txt holds the faults that need no timing (no Secret
// Service, no bus, a locked collection).

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
)

// faultBound is how long a command may take to fail when the keychain
// does not answer: the documented 3 s, plus room for a loaded machine
// (process start, the index lock, two cores shared with other tests). A
// literal, not keyring.Timeout plus something, so that a longer timeout
// fails these tests.
const faultBound = 4 * time.Second

// ran is one finished kage process.
type ran struct {
	args           []string
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r ran) String() string {
	return fmt.Sprintf("kage %s: exit %d after %v\nstdout: %q\nstderr: %q", strings.Join(r.args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// startKage starts kage; wait finishes it. A kage that runs for 30 s is
// killed: that is a hang, not a slow answer, and wait reports it as an
// error. wait may run on another goroutine than the test's.
func startKage(t *testing.T, bus *testkeyring.Bus, home, stdin string, args ...string) (wait func() (ran, error)) {
	t.Helper()
	cmd := kageCmd(t, bus, home, stdin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return func() (ran, error) {
		var err error
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return ran{}, fmt.Errorf("kage %s hung: killed after 30s; stderr: %q", strings.Join(args, " "), stderr.String())
		}
		r := ran{args: args, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(begin)}
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				return r, fmt.Errorf("kage %s: %v", strings.Join(args, " "), err)
			}
			r.code = ee.ExitCode()
		}
		return r, nil
	}
}

// finish waits for a kage started by startKage, failing the test if it
// hung.
func finish(t *testing.T, wait func() (ran, error)) ran {
	t.Helper()
	r, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func runKage(t *testing.T, bus *testkeyring.Bus, home, stdin string, args ...string) ran {
	t.Helper()
	return finish(t, startKage(t, bus, home, stdin, args...))
}

// runSideBySide runs every fault case at once, each in a copy of home, so
// that cases that wait for a timeout take one timeout together rather
// than one each, and no case waits for another's index lock. It returns
// each case's run and home.
func runSideBySide(t *testing.T, bus *testkeyring.Bus, home string) (map[string]ran, map[string]string) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := map[string]ran{}
	homes := map[string]string{}
	var errs []error
	for _, c := range faultCases() {
		h := copyHome(t, home)
		homes[c.name] = h
		wait := startKage(t, bus, h, c.stdin, c.args...)
		wg.Go(func() {
			r, err := wait()
			mu.Lock()
			defer mu.Unlock()
			results[c.name] = r
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return results, homes
}

// mustKage runs kage and fails the test unless it succeeds.
func mustKage(t *testing.T, bus *testkeyring.Bus, home, stdin string, args ...string) string {
	t.Helper()
	r := runKage(t, bus, home, stdin, args...)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	return r.stdout
}

// faultCase is one command run while the keychain is faulty, and what it
// must do.
type faultCase struct {
	name  string
	stdin string
	args  []string
	// hook: kage hook-env exits 0 and prints the code that unloads the
	// secrets (and no value), with its one line on stderr.
	hook bool
	// doctor: kage doctor reports on stdout, the failed check among the
	// others, and exits 1.
	doctor bool
}

// faultCases are the commands that reach the keychain. NEW is not stored
// (new.env, in the home, sets it); KEEP is, in global, with keepValue.
func faultCases() []faultCase {
	return []faultCase{
		{name: "set new", stdin: "new value\n", args: []string{"secret", "set", "NEW"}},
		{name: "set existing", stdin: "changed value\n", args: []string{"secret", "set", "KEEP"}},
		{name: "get", args: []string{"secret", "get", "KEEP"}},
		{name: "delete", args: []string{"secret", "delete", "KEEP"}},
		{name: "delete missing", args: []string{"secret", "delete", "NEW"}},
		{name: "env", args: []string{"env", "--shell", "bash"}},
		{name: "exec", args: []string{"exec", "--", "sh", "-c", "echo the program ran"}},
		{name: "import", args: []string{"secret", "import", "new.env"}},
		{name: "subscription add", stdin: "new value\n", args: []string{"subscription", "add", "--name", "faults"}},
		{name: "hook-env", args: []string{"hook-env", "bash"}, hook: true},
		{name: "doctor", args: []string{"doctor"}, doctor: true},
		{name: "doctor --fix", args: []string{"doctor", "--fix"}, doctor: true},
	}
}

const keepValue = "keep-value-7f3a"

// faultHome sets up a home whose index lists KEEP and ALSO_0..n-1 (the
// latter with values "also-value-<i>"), stored in bus's keyring.
func faultHome(t *testing.T, bus *testkeyring.Bus, n int) string {
	t.Helper()
	home := t.TempDir()
	writeNewEnv(t, home)
	mustKage(t, bus, home, keepValue+"\n", "secret", "set", "KEEP")
	if n > 0 {
		var env strings.Builder
		for i := range n {
			fmt.Fprintf(&env, "ALSO_%03d=also-value-%d\n", i, i)
		}
		file := filepath.Join(home, "also.env")
		if err := os.WriteFile(file, []byte(env.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		mustKage(t, bus, home, "", "secret", "import", file)
		os.Remove(file)
	}
	return home
}

func indexOf(t *testing.T, home string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(home, ".kage", keyring.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// copyHome gives each parallel command a home of its own with the same
// index, so that no command waits for another's index lock.
func copyHome(t *testing.T, from string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, ".kage"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kage", keyring.IndexFile), indexOf(t, from), 0o600); err != nil {
		t.Fatal(err)
	}
	writeNewEnv(t, home)
	return home
}

// writeNewEnv writes the .env file the import case reads.
func writeNewEnv(t *testing.T, home string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "new.env"), []byte("NEW=new value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkFault checks that r failed as c must, with a message matching the
// regular expression want, within bound, and that index is what the home's index still holds.
func checkFault(t *testing.T, c faultCase, r ran, want string, bound time.Duration, home string, index []byte) {
	t.Helper()
	t.Logf("%s: exit %d after %v: %s", c.name, r.code, r.took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
	if r.took > bound {
		t.Errorf("%s took %v, bound %v\n%v", c.name, r.took, bound, r)
	}
	for _, v := range []string{keepValue, "new value", "changed value", "also-value-"} {
		if strings.Contains(r.stdout+r.stderr, v) {
			t.Errorf("%s printed the value %q\n%v", c.name, v, r)
		}
	}
	switch {
	case c.hook:
		if r.code != 0 {
			t.Errorf("hook-env exit %d, want 0 (it unloads and says why)\n%v", r.code, r)
		}
		if !strings.Contains(r.stdout, "KAGE_STATE") || strings.Contains(r.stdout, "export KEEP") {
			t.Errorf("hook-env did not print only the unload and its state\n%v", r)
		}
		checkErrLines(t, r, want, false)
	case c.doctor:
		if r.code != 1 {
			t.Errorf("doctor exit %d, want 1\n%v", r.code, r)
		}
		// Its report says what failed on a line of its own.
		if !regexp.MustCompile("(?m)" + strings.TrimPrefix(want, "^kage: ")).MatchString(r.stdout) {
			t.Errorf("doctor does not say %q\n%v", want, r)
		}
	default:
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%v", r.code, r)
		}
		if r.stdout != "" {
			t.Errorf("stdout not empty\n%v", r)
		}
		checkErrLines(t, r, want, true)
	}
	if got := indexOf(t, home); !bytes.Equal(got, index) {
		t.Errorf("%s changed the index:\n%s\nwas:\n%s", c.name, got, index)
	}
}

// checkErrLines checks kage's error format: one "kage: " line matching want,
// then at most one "kage: hint: " line.
func checkErrLines(t *testing.T, r ran, want string, hintOK bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	ok := len(lines) >= 1 && len(lines) <= 2 &&
		strings.HasPrefix(lines[0], "kage: ") && !strings.HasPrefix(lines[0], "kage: hint: ") &&
		regexp.MustCompile(want).MatchString(lines[0])
	if len(lines) == 2 {
		ok = ok && hintOK && strings.HasPrefix(lines[1], "kage: hint: ")
	}
	if !ok {
		t.Errorf("stderr is not one line saying %q (and a hint)\n%v", want, r)
	}
}

// checkIntact checks, against the real daemon, that KEEP and the ALSO_
// secrets read as stored and that NEW was never stored.
func checkIntact(t *testing.T, bus *testkeyring.Bus, home string, n int) {
	t.Helper()
	if got := mustKage(t, bus, home, "", "secret", "get", "KEEP"); got != keepValue {
		t.Errorf("KEEP = %q, want %q", got, keepValue)
	}
	if r := runKage(t, bus, home, "", "secret", "get", "NEW"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("NEW was stored: %v", r)
	}
	for _, attrs := range [][]string{{"username", "NEW"}, {"service", "kage-subscription:faults"}} {
		search := exec.Command("secret-tool", append([]string{"search", "--all"}, attrs...)...)
		search.Env = bus.Environ(os.Environ())
		if out, _ := search.CombinedOutput(); strings.Contains(string(out), attrs[1]) {
			t.Errorf("the keychain holds an item with %s = %s:\n%s", attrs[0], attrs[1], out)
		}
	}
	if n == 0 {
		return
	}
	out := mustKage(t, bus, home, "", "env", "--shell", "bash")
	for i := range n {
		if want := fmt.Sprintf("export ALSO_%03d='also-value-%d'\n", i, i); !strings.Contains(out, want) {
			t.Errorf("env lacks %q", want)
		}
	}
}

// TestKeychainKilledBetweenCommands kills gnome-keyring-daemon, not the
// bus, after a successful set: every command says at once that no Secret
// Service runs, and after a restart of the daemon (its keyring file keeps
// the items) everything reads as before.
func TestKeychainKilledBetweenCommands(t *testing.T) {
	bus := testkeyring.Start(t)
	home := faultHome(t, bus, 3)
	index := indexOf(t, home)
	bus.StopSecrets()
	for _, c := range faultCases() {
		r := runKage(t, bus, home, c.stdin, c.args...)
		// The bus answers at once that the name has no owner; kage waits
		// half a second for a Secret Service that may be starting.
		checkFault(t, c, r, "^kage: no Secret Service is running on the D-Bus session bus", 1500*time.Millisecond, home, index)
	}
	if err := bus.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	checkIntact(t, bus, home, 3)
	if got := indexOf(t, home); !bytes.Equal(got, index) {
		t.Errorf("the index changed:\n%s\nwas:\n%s", got, index)
	}
}

// killedErr is the error of a command whose Secret Service died while it
// waited for an answer, or before its next call: go-keyring, which set
// and delete use, takes a failed first call (the collection list) for a
// missing login collection and goes on, and its next call finds no Secret
// Service.
const killedErr = "^kage: (the Secret Service quit without answering|no Secret Service is running on the D-Bus session bus)"

// TestKeychainKilledMidCommand stops gnome-keyring-daemon (SIGSTOP), starts
// a command, waits until the command's first call has reached the daemon,
// and kills the daemon (SIGKILL) while the command waits for the answer.
func TestKeychainKilledMidCommand(t *testing.T) {
	bus := testkeyring.Start(t)
	const n = 100
	home := faultHome(t, bus, n)
	index := indexOf(t, home)
	mon := bus.Monitor(t)
	for _, c := range faultCases() {
		t.Run(c.name, func(t *testing.T) {
			p := bus.SecretsProcess()
			if err := p.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			mon.Calls(t)
			wait := startKage(t, bus, home, c.stdin, c.args...)
			// The command is inside a call once the bus has passed one to
			// the stopped daemon.
			for deadline := time.Now().Add(10 * time.Second); len(mon.Calls(t)) == 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					bus.StopSecrets()
					t.Fatalf("kage never called the Secret Service\n%v", finish(t, wait))
				}
			}
			time.Sleep(100 * time.Millisecond)
			killed := time.Now()
			bus.StopSecrets()
			r := finish(t, wait)
			t.Logf("exit %v after the kill", time.Since(killed).Round(time.Millisecond))
			checkFault(t, c, r, killedErr, faultBound, home, index)
			if err := bus.RestartSecrets(); err != nil {
				t.Fatal(err)
			}
		})
	}
	checkIntact(t, bus, home, n)
}

// TestKeychainKilledAtRandom kills gnome-keyring-daemon at random moments
// of a kage env that reads 100 secrets: kage either prints every export or
// fails with one line and prints nothing, never a part of them.
func TestKeychainKilledAtRandom(t *testing.T) {
	bus := testkeyring.Start(t)
	const n = 100
	home := faultHome(t, bus, n)
	index := indexOf(t, home)
	full := mustKage(t, bus, home, "", "env", "--shell", "bash")
	// How long a whole run takes sets the range of the kill moments.
	begin := time.Now()
	mustKage(t, bus, home, "", "env", "--shell", "bash")
	span := time.Since(begin)
	failed, whole := 0, 0
	for i := range 30 {
		delay := rand.N(span + span/2)
		wait := startKage(t, bus, home, "", "env", "--shell", "bash")
		time.Sleep(delay)
		bus.StopSecrets()
		r := finish(t, wait)
		if r.code == 0 {
			whole++
			if r.stdout != full {
				t.Errorf("run %d (kill after %v) printed a different output than a whole run\n%v", i, delay, r)
			}
		} else {
			failed++
			checkFault(t, faultCase{name: fmt.Sprintf("run %d (kill after %v)", i, delay)}, r, killedErr, faultBound, home, index)
		}
		if err := bus.RestartSecrets(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("a whole run takes %v; of 30 runs killed at random, %d finished first and %d failed", span, whole, failed)
	if failed == 0 {
		t.Errorf("no kill caught kage before it finished: the test proves nothing")
	}
	checkIntact(t, bus, home, n)
	if got := indexOf(t, home); !bytes.Equal(got, index) {
		t.Errorf("the index changed")
	}
}

// TestKeychainStalled replaces gnome-keyring with a Secret Service that
// takes every call and never answers: every command gives up within the
// keychain's time bound with one line, and changes nothing.
func TestKeychainStalled(t *testing.T) {
	bus := testkeyring.Start(t)
	const n = 5
	home := faultHome(t, bus, n)
	index := indexOf(t, home)
	bus.StopSecrets()
	staller, err := bus.Stall()
	if err != nil {
		t.Fatal(err)
	}
	defer staller.Close()
	results, homes := runSideBySide(t, bus, home)
	for _, c := range faultCases() {
		r := results[c.name]
		checkFault(t, c, r, `^kage: the keychain did not answer within 3s \((get|set|delete|list)\)`, faultBound, homes[c.name], index)
		if r.took < keyring.Timeout-100*time.Millisecond {
			// Faster than the bound: it failed for another reason.
			t.Errorf("%s gave up after %v, before the %v bound", c.name, r.took, keyring.Timeout)
		}
	}
	calls := staller.Calls()
	t.Logf("the staller took %d calls: %q", len(calls), calls)
	if len(calls) < len(faultCases()) {
		t.Errorf("the staller took %d calls for %d commands", len(calls), len(faultCases()))
	}
	staller.Close()
	if err := bus.RestartSecrets(); err != nil {
		t.Fatal(err)
	}
	checkIntact(t, bus, home, n)
}

// TestKeychainBusStalled stops the dbus-daemon itself (SIGSTOP): kage
// cannot even finish its handshake, and must still give up in time.
func TestKeychainBusStalled(t *testing.T) {
	bus := testkeyring.Start(t)
	home := faultHome(t, bus, 2)
	index := indexOf(t, home)
	p := bus.BusProcess()
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = p.Signal(syscall.SIGCONT)
		}
	}
	defer resume()
	results, homes := runSideBySide(t, bus, home)
	resume()
	for _, c := range faultCases() {
		checkFault(t, c, results[c.name], `^kage: the keychain did not answer within 3s \((get|set|delete|list)\)`, faultBound, homes[c.name], index)
	}
	checkIntact(t, bus, home, 2)
}
