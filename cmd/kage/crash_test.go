//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
)

// The crash test's size: operations, the kills it must see among them,
// and how often it runs (and kills) kage doctor --fix between them, until
// crashDoctorUntil: the operations after it leave items the index lacks
// for the final kage doctor to find.
const (
	crashOps         = 200
	crashMinKills    = 50
	crashDoctorEvery = 10
	crashDoctorUntil = 160
)

// crashAbsent stands for "no such secret" among a secret's acceptable
// states; no value the test writes looks like it.
const crashAbsent = "(absent)"

// crashRef is one secret of the test's pool, its scope canonical.
type crashRef struct{ scope, name string }

func (r crashRef) String() string { return r.name + " in " + r.scope }

// crashResult is how one kage process ended.
type crashResult struct {
	killed bool // died of the test's SIGKILL
	code   int  // exit code when not killed
	dur    time.Duration
	stdout string
	stderr string
}

// crashHarness runs kage, killing it now and then, against a private
// keyring (or the file backend), and keeps the model of what each secret
// may hold.
type crashHarness struct {
	t       *testing.T
	bus     *testkeyring.Bus
	home    string
	data    string
	scopes  []string
	names   []string
	display map[string]string // canonical scope -> as doctor writes it
	// file is set for the file backend; env holds its settings.
	file bool
	env  []string
	// store is the file a write replaces, whose temporary files a killed
	// write leaves.
	store   string
	rng     *rand.Rand
	history []string
	durs    []time.Duration // of completed operations

	// acceptable[r] is the set of states r may be in; lastSet[r] is the
	// value of r's last operation when that was a completed set with no
	// kill on r after it.
	acceptable map[crashRef]map[string]bool
	lastSet    map[crashRef]string

	kills, attempts int
	debris          int // kills after which a temporary file remained
	outcomes        map[string]int

	conn    *dbus.Conn // to the Secret Service, for keychain
	session dbus.ObjectPath
}

// newCrashHarness makes a home with a git repository, seeds the random
// source (KAGE_CRASH_SEED replays a run) and measures how long an
// operation takes.
func newCrashHarness(t *testing.T, file bool) *crashHarness {
	t.Helper()
	bus := testkeyring.Start(t)
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A repository by hand: a .git folder with a HEAD is all kage asks.
	repo := filepath.Join(home, "code", "api")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &crashHarness{
		t: t, bus: bus, home: home, data: filepath.Join(home, ".kage"),
		scopes:     []string{"global", "namespace:x", "repo:" + repo},
		display:    map[string]string{"global": "global", "namespace:x": "namespace:x", "repo:" + repo: "repo:~/code/api"},
		file:       file,
		store:      keyring.IndexFile,
		acceptable: map[crashRef]map[string]bool{},
		lastSet:    map[crashRef]string{},
		outcomes:   map[string]int{},
	}
	for i := range 12 {
		h.names = append(h.names, fmt.Sprintf("CRASH_%02d", i))
	}
	if file {
		id := filepath.Join(home, "identity.txt")
		if _, err := keyring.GenerateIdentityFile(id); err != nil {
			t.Fatal(err)
		}
		h.env = []string{"KAGE_BACKEND=file", "KAGE_AGE_IDENTITY=" + id}
		h.store = "secrets.age"
	}

	seed := time.Now().UnixNano()
	if s := os.Getenv("KAGE_CRASH_SEED"); s != "" {
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("KAGE_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (KAGE_CRASH_SEED=%d replays it)", seed, seed)
	h.rng = rand.New(rand.NewPCG(uint64(seed), 0x6b616765))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d; what happened:\n%s", seed, strings.Join(h.history, "\n"))
		}
	})

	// How long an operation takes here, so that the kills land inside
	// one: a warm-up on a name outside the pool.
	for i := range 5 {
		res := h.run(fmt.Sprintf("warm-%d", i), false, 0, "secret", "set", "CRASH_WARMUP")
		if res.code != 0 {
			t.Fatalf("warm-up set: exit %d: %s", res.code, res.stderr)
		}
		h.durs = append(h.durs, res.dur)
	}
	if res := h.run("", false, 0, "secret", "delete", "CRASH_WARMUP"); res.code != 0 {
		t.Fatalf("warm-up delete: exit %d: %s", res.code, res.stderr)
	}
	t.Logf("an operation takes %v here (median of %d)", median(h.durs), len(h.durs))
	return h
}

// accept returns the states r may be in.
func (h *crashHarness) accept(r crashRef) map[string]bool {
	if h.acceptable[r] == nil {
		h.acceptable[r] = map[string]bool{crashAbsent: true}
	}
	return h.acceptable[r]
}

// operate runs n operations over the pool, killing about half of them,
// and at least minKills, at random points; between runs after each.
func (h *crashHarness) operate(n, minKills int, between func(op int)) {
	t := h.t
	t.Helper()
	for op := 1; op <= n; op++ {
		rng := h.rng
		r := crashRef{h.scopes[rng.IntN(len(h.scopes))], h.names[rng.IntN(len(h.names))]}
		kindDraw, killDraw, delayDraw := rng.Float64(), rng.Float64(), rng.Float64()
		value := fmt.Sprintf("v-%d-%08x", op, rng.Uint32())
		acc := h.accept(r)
		mayBeAbsent := acc[crashAbsent]
		mayBePresent := len(acc) > 1 || !mayBeAbsent
		del := false
		switch {
		case !mayBePresent:
		case !mayBeAbsent:
			del = kindDraw < 0.4
		default:
			del = kindDraw < 0.5
		}
		kind, args, stdin, want := "delete", []string{"secret", "delete", r.name, "--scope", r.scope}, "", crashAbsent
		if !del {
			kind, args, stdin, want = "set", []string{"secret", "set", r.name, "--scope", r.scope}, value, value
			switch {
			case !mayBePresent:
				kind = "set (new)"
			case !mayBeAbsent:
				kind = "set (update)"
			default:
				kind = "set (new or update)"
			}
		}
		// Kill about half the operations, more if too few kills landed so
		// far, at a delay within the recent operations' run time (most of
		// it: the end of a run is the wait for the process to exit).
		p := max(0.5, 2*float64(minKills-h.kills)/float64(n-op+1))
		kill := killDraw < p
		delay := time.Duration(delayDraw * 0.9 * float64(median(h.durs[max(0, len(h.durs)-15):])))
		if kill {
			h.attempts++
		}
		res := h.run(stdin, kill, delay, args...)
		switch {
		case res.killed:
			h.kills++
			acc[want] = true
			delete(h.lastSet, r)
			h.logf("op %d: %s %s = %s: killed after %v", op, kind, r, want, delay)
			h.outcomes[h.observe(r, acc, want, op)]++
			if len(h.temps()) > 0 {
				h.debris++
			}
		case res.code == 0:
			h.durs = append(h.durs, res.dur)
			h.acceptable[r] = map[string]bool{want: true}
			if del {
				delete(h.lastSet, r)
			} else {
				h.lastSet[r] = value
			}
			h.logf("op %d: %s %s = %s: done in %v", op, kind, r, want, res.dur)
			// A write holds the store's lock, under which any temporary
			// file is a killed writer's, and removes them.
			if tmps := h.temps(); len(tmps) > 0 {
				t.Fatalf("op %d: a completed write left the temporary files %q", op, tmps)
			}
		case del && res.code == 1 && strings.Contains(res.stderr, "not found"):
			h.logf("op %d: %s %s: not found", op, kind, r)
			if !mayBeAbsent {
				t.Fatalf("op %d: delete %s says not found, but it was stored: %s", op, r, res.stderr)
			}
			h.acceptable[r] = map[string]bool{crashAbsent: true}
		default:
			t.Fatalf("op %d: %s %s: exit %d: %s", op, kind, r, res.code, res.stderr)
		}
		if between != nil {
			between(op)
		}
	}
	t.Logf("%d operations, %d kill attempts, %d processes killed (%v); %d kills left a temporary file",
		n, h.attempts, h.kills, h.outcomes, h.debris)
	if h.kills < minKills {
		t.Fatalf("only %d of %d operations were killed, want at least %d", h.kills, n, minKills)
	}
}

// readBack checks that every secret of the pool reads back a value it may
// hold, and one whose last operation was a completed set, with no kill on
// it since, exactly that value. It returns the secrets present.
func (h *crashHarness) readBack() map[crashRef]bool {
	t := h.t
	t.Helper()
	present := map[crashRef]bool{}
	for _, sc := range h.scopes {
		for _, name := range h.names {
			r := crashRef{sc, name}
			acc := h.accept(r)
			res := h.run("", false, 0, "secret", "get", name, "--scope", sc)
			got := res.stdout
			switch {
			case res.code == 0:
				present[r] = true
			case res.code == 1 && strings.Contains(res.stderr, "not found"):
				got = crashAbsent
			default:
				t.Errorf("get %s: exit %d: %s", r, res.code, res.stderr)
				continue
			}
			if want, ok := h.lastSet[r]; ok && got != want {
				t.Errorf("%s reads %q, want %q, its last value set with no kill after it (value lost)", r, got, want)
			} else if !acc[got] {
				t.Errorf("%s reads %q, want one of %v", r, got, crashStates(acc))
			}
		}
	}
	t.Logf("%d secrets set successfully and not killed since read back exact", len(h.lastSet))
	return present
}

// list runs kage secret list --json.
func (h *crashHarness) list(when string) []listed {
	h.t.Helper()
	res := h.run("", false, 0, "secret", "list", "--json")
	if res.code != 0 {
		h.t.Fatalf("%s: kage secret list: exit %d: %s", when, res.code, res.stderr)
	}
	var l []listed
	if err := json.Unmarshal([]byte(res.stdout), &l); err != nil {
		h.t.Fatalf("%s: kage secret list --json printed %q: %v", when, res.stdout, err)
	}
	return l
}

// run starts kage with stdin and, when kill is set, sends it SIGKILL after
// delay unless it has exited by then.
func (h *crashHarness) run(stdin string, kill bool, delay time.Duration, args ...string) crashResult {
	h.t.Helper()
	cmd := kageCmd(h.t, h.bus, h.home, stdin, args...)
	cmd.Env = append(append(cmd.Env, "SHELL=/bin/bash", "NO_COLOR=1"), h.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start kage %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if kill {
		timer := time.NewTimer(delay)
		select {
		case err = <-done:
			timer.Stop()
		case <-timer.C:
			// Signal is safe while Wait runs, and a no-op once it reaped
			// the process.
			_ = cmd.Process.Signal(syscall.SIGKILL)
			err = <-done
		}
	} else {
		err = <-done
	}
	res := crashResult{dur: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	if cmd.ProcessState == nil {
		h.t.Fatalf("kage %s: %v", strings.Join(args, " "), err)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	res.killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
	if ws.Signaled() && !res.killed {
		h.t.Fatalf("kage %s died of %v, which the test did not send: %s", strings.Join(args, " "), ws.Signal(), res.stderr)
	}
	res.code = cmd.ProcessState.ExitCode()
	return res
}

// logf records a line of the history printed when the test fails.
func (h *crashHarness) logf(format string, args ...any) {
	h.history = append(h.history, fmt.Sprintf(format, args...))
}

// keychain lists the values the keychain holds under scope, by name,
// straight from the Secret Service: the test's own view, independent of
// kage. name "" lists every name.
func (h *crashHarness) keychain(scope, name string) map[string][]string {
	h.t.Helper()
	const (
		ss   = "org.freedesktop.Secret"
		dest = "org.freedesktop.secrets"
	)
	if h.conn == nil {
		conn := h.bus.Connect(h.t)
		var out dbus.Variant
		if err := conn.Object(dest, "/org/freedesktop/secrets").Call(ss+".Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &h.session); err != nil {
			h.t.Fatalf("open a Secret Service session: %v", err)
		}
		h.conn = conn
	}
	svc := h.conn.Object(dest, "/org/freedesktop/secrets")
	attrs := map[string]string{"service": keyring.Service(scope)}
	if name != "" {
		attrs["username"] = name
	}
	var unlocked, locked []dbus.ObjectPath
	if err := svc.Call(ss+".Service.SearchItems", 0, attrs).Store(&unlocked, &locked); err != nil {
		h.t.Fatalf("search the keychain for %v: %v", attrs, err)
	}
	if len(locked) > 0 {
		h.t.Fatalf("the keychain holds locked items for %v: %v", attrs, locked)
	}
	var secrets map[dbus.ObjectPath]struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := svc.Call(ss+".Service.GetSecrets", 0, unlocked, h.session).Store(&secrets); err != nil {
		h.t.Fatalf("read the keychain's items %v: %v", unlocked, err)
	}
	out := map[string][]string{}
	for _, p := range unlocked {
		v, err := h.conn.Object(dest, p).GetProperty(ss + ".Item.Attributes")
		if err != nil {
			h.t.Fatalf("read the attributes of %s: %v", p, err)
		}
		a, _ := v.Value().(map[string]string)
		s, ok := secrets[p]
		if !ok {
			h.t.Fatalf("the keychain gave no secret for %s (%v)", p, a)
		}
		out[a["username"]] = append(out[a["username"]], string(s.Value))
	}
	return out
}

// index reads the index as kage does, failing the test when it does not
// parse: kage must never leave it half-written.
func (h *crashHarness) index(when string) map[crashRef]bool {
	h.t.Helper()
	entries, err := keyring.OpenIndex(h.data).Load()
	if err != nil {
		h.t.Fatalf("%s: the index does not load: %v", when, err)
	}
	out := map[crashRef]bool{}
	for _, e := range entries {
		out[crashRef{e.Scope, e.Name}] = true
	}
	return out
}

// truth is every item of the keychain in the pool's scopes, with its
// values.
func (h *crashHarness) truth() map[crashRef][]string {
	h.t.Helper()
	out := map[crashRef][]string{}
	for _, sc := range h.scopes {
		for name, vs := range h.keychain(sc, "") {
			out[crashRef{sc, name}] = vs
		}
	}
	return out
}

type crashFinding struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// doctorFails runs kage doctor --json and returns its failures and exit
// code.
func (h *crashHarness) doctorFails() ([]string, int) {
	h.t.Helper()
	res := h.run("", false, 0, "doctor", "--json")
	var fs []crashFinding
	if err := json.Unmarshal([]byte(res.stdout), &fs); err != nil {
		h.t.Fatalf("kage doctor --json (exit %d) printed %q: %v; stderr: %s", res.code, res.stdout, err, res.stderr)
	}
	var fails []string
	for _, f := range fs {
		if f.Status == "fail" {
			fails = append(fails, f.Message)
		}
	}
	slices.Sort(fails)
	return fails, res.code
}

// orphanMessage is doctor's finding for an item the index lacks.
func (h *crashHarness) orphanMessage(r crashRef) string {
	return fmt.Sprintf("the keychain holds %s in %s that the index lacks", r.name, h.display[r.scope])
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestCrashSafety kills kage with SIGKILL at random points of 200 set,
// update and delete operations on the keychain and checks that nothing is
// lost: the index always parses and lists only readable secrets, kage
// doctor reports every keychain item the index lacks, kage doctor --fix
// (itself killed now and then) brings them back, and every secret holds a
// value some operation wrote — exactly the last one written where no kill
// came after it.
//
// Each killed operation widens what the test accepts for its secret: the
// values acceptable before, and the killed operation's own value (or no
// secret, for a delete). A completed operation makes it exact again.
// KAGE_CRASH_SEED=<n> replays the operations and delays of a failed run.
func TestCrashSafety(t *testing.T) {
	start := time.Now()
	h := newCrashHarness(t, false)
	res := h.run("", false, 0, "doctor", "--fix")
	if res.code != 0 {
		t.Fatalf("kage doctor --fix: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	// A run that repairs something takes longer: lists the keychain
	// again under the lock, then writes the index.
	doctorDur := 3 * res.dur

	// kage doctor --fix between the operations, killed most times: it
	// only rewrites the index, which must stay whole. The operations after
	// crashDoctorUntil leave items the index lacks for the checks below.
	var doctorRuns, doctorKills, midRepair int
	h.operate(crashOps, crashMinKills, func(op int) {
		if op%crashDoctorEvery != crashDoctorEvery/2 || op >= crashDoctorUntil {
			return
		}
		// Late in its run, where it repairs.
		delay := time.Duration((0.3 + 0.7*h.rng.Float64()) * float64(doctorDur))
		before := h.temps()
		res := h.run("", h.rng.Float64() < 0.75, delay, "doctor", "--fix")
		doctorRuns++
		when := fmt.Sprintf("after doctor --fix at op %d", op)
		h.index(when)
		switch {
		case res.killed:
			doctorKills++
			h.logf("doctor --fix: killed after %v", delay)
			for _, tmp := range h.temps() {
				if !slices.Contains(before, tmp) {
					// Its new index was written, not yet renamed.
					midRepair++
					break
				}
			}
		case res.code != 0:
			t.Fatalf("%s: exit %d:\n%s%s", when, res.code, res.stdout, res.stderr)
		default:
			h.logf("doctor --fix: done in %v", res.dur)
			if strings.Contains(res.stdout, "\nfix ") {
				doctorDur = res.dur
			}
		}
		h.checkListed(false, when)
	})
	t.Logf("kage doctor --fix was killed %d of %d times, %d of them inside its repair", doctorKills, doctorRuns, midRepair)

	// (a) Every entry the index lists is readable, with an acceptable
	// value, and every item the keychain holds has one.
	truth := h.checkListed(true, "after the operations")

	// (b) kage doctor reports exactly the items the index lacks, and
	// exits 1 when there are any.
	inIndex := h.index("after the operations")
	var orphans []string
	for r := range truth {
		if !inIndex[r] {
			orphans = append(orphans, h.orphanMessage(r))
		}
	}
	slices.Sort(orphans)
	fails, code := h.doctorFails()
	if !slices.Equal(fails, orphans) {
		t.Errorf("kage doctor reports\n\t%s\nwant the items the index lacks\n\t%s", strings.Join(fails, "\n\t"), strings.Join(orphans, "\n\t"))
	}
	if wantCode := min(len(orphans), 1); code != wantCode {
		t.Errorf("kage doctor exits %d with %d items the index lacks, want %d", code, len(orphans), wantCode)
	}
	t.Logf("the index lacks %d of the keychain's %d items, which kage doctor reports", len(orphans), len(truth))

	// (c) kage doctor --fix mends it all.
	if res := h.run("", false, 0, "doctor", "--fix"); res.code != 0 {
		t.Fatalf("kage doctor --fix: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if fails, code := h.doctorFails(); code != 0 || len(fails) > 0 {
		t.Fatalf("kage doctor after --fix exits %d with failures %q", code, fails)
	}
	inIndex = h.index("after kage doctor --fix")
	truth = h.checkListed(true, "after kage doctor --fix")
	for r := range truth {
		if !inIndex[r] {
			t.Errorf("after kage doctor --fix the index still lacks %s", r)
		}
	}

	// (d) No value set successfully is lost.
	h.readBack()
	t.Logf("the test took %v", time.Since(start).Round(time.Millisecond))
}

// TestCrashSafetyFileBackend kills kage at random points of operations on
// the file backend: the secrets file must always open, and every secret
// hold a value some operation wrote, exactly the last one where no kill
// came after it.
func TestCrashSafetyFileBackend(t *testing.T) {
	start := time.Now()
	h := newCrashHarness(t, true)
	h.operate(80, 20, nil)
	present := h.readBack()
	var shown []crashRef
	for _, e := range h.list("after the operations") {
		shown = append(shown, crashRef{e.Scope, e.Name})
	}
	for _, r := range shown {
		if !present[r] {
			t.Errorf("kage secret list shows %s, which kage secret get does not find", r)
		}
	}
	if len(shown) != len(present) {
		t.Errorf("kage secret list shows %d secrets, kage secret get finds %d", len(shown), len(present))
	}
	t.Logf("the test took %v", time.Since(start).Round(time.Millisecond))
}

// temps lists the temporary files of the store in the data folder.
func (h *crashHarness) temps() []string {
	h.t.Helper()
	des, err := os.ReadDir(h.data)
	if err != nil && !os.IsNotExist(err) {
		h.t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "."+h.store+"-") {
			out = append(out, de.Name())
		}
	}
	return out
}

// observe checks r right after the kill of an operation that meant to leave
// it in state want: the index must parse, must not list r without its
// item, and the item's value must be acceptable; on the file backend, the
// file must open and hold an acceptable value. It returns what the kill
// left.
func (h *crashHarness) observe(r crashRef, acc map[string]bool, want string, op int) string {
	h.t.Helper()
	when := fmt.Sprintf("op %d killed (%s)", op, r)
	if h.file {
		res := h.run("", false, 0, "secret", "get", r.name, "--scope", r.scope)
		got := res.stdout
		switch {
		case res.code == 0:
		case res.code == 1 && strings.Contains(res.stderr, "not found"):
			got = crashAbsent
		default:
			h.t.Fatalf("%s: kage secret get: exit %d: %s", when, res.code, res.stderr)
		}
		if !acc[got] {
			h.t.Fatalf("%s: it reads %q, want one of %v", when, got, crashStates(acc))
		}
		if got == want {
			return "took effect"
		}
		return "no effect"
	}
	listed := h.index(when)[r]
	vs := h.keychain(r.scope, r.name)[r.name]
	if len(vs) > 1 {
		h.t.Fatalf("%s: the keychain holds %d items for it: %q", when, len(vs), vs)
	}
	got := crashAbsent
	if len(vs) == 1 {
		got = vs[0]
	}
	if !acc[got] {
		h.t.Fatalf("%s: the keychain holds %q, want one of %v", when, got, crashStates(acc))
	}
	switch {
	case listed && got == crashAbsent:
		h.t.Fatalf("%s: the index lists it but the keychain has no item: kage lists a secret it cannot read", when)
	case !listed && got != crashAbsent:
		return "item without entry"
	case got == want:
		return "took effect"
	}
	return "no effect"
}

// checkListed checks that every entry of the index has its item, that
// kage secret list shows the same entries (and, with read, that kage secret
// get reads each one), and that every item the keychain holds has an
// acceptable value. It returns the keychain's items.
func (h *crashHarness) checkListed(read bool, when string) map[crashRef][]string {
	h.t.Helper()
	truth := h.truth()
	for r, vs := range truth {
		if len(vs) > 1 {
			h.t.Errorf("%s: the keychain holds %d items for %s: %q", when, len(vs), r, vs)
		}
		if acc := h.acceptable[r]; !acc[vs[0]] {
			h.t.Errorf("%s: the keychain holds %q for %s, want one of %v", when, vs[0], r, crashStates(acc))
		}
	}
	index := h.index(when)
	list := h.list(when)
	if len(list) != len(index) {
		h.t.Errorf("%s: kage secret list shows %d secrets, the index %d", when, len(list), len(index))
	}
	for _, e := range list {
		r := crashRef{e.Scope, e.Name}
		if !index[r] {
			h.t.Errorf("%s: kage secret list shows %s, which the index lacks", when, r)
		}
		vs, ok := truth[r]
		if !ok {
			h.t.Errorf("%s: the index lists %s but the keychain has no item: kage lists a secret it cannot read", when, r)
			continue
		}
		if !read {
			continue
		}
		res := h.run("", false, 0, "secret", "get", e.Name, "--scope", e.Scope)
		if res.code != 0 || res.stdout != vs[0] {
			h.t.Errorf("%s: kage secret get %s: exit %d, %q, want %q: %s", when, r, res.code, res.stdout, vs[0], res.stderr)
		}
	}
	return truth
}

func crashStates(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
