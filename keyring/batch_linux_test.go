package keyring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/kage-cli/kage/internal/testkeyring"
	gokeyring "github.com/zalando/go-keyring"
)

// The tests below run the batch reader in this process against a private
// gnome-keyring, over connections dialled to that bus's address: godbus's
// shared session connection (which go-keyring uses) would stick to the
// first bus a test points it at. What go-keyring itself does, writing the
// items and reading them one by one for comparison, runs in a subprocess
// (TestBatchHelper) that gets the private bus in its environment.

var testScopes = []string{"global", "namespace:backend", "repo:/home/dev/code/api"}

// helperEnv names the variable that turns TestBatchHelper into go-keyring's
// stand-in: "set" stores the items it reads as JSON on stdin, "get" reads
// the refs on stdin and prints the values found.
const helperEnv = "KAGE_BATCH_TEST_HELPER"

type helperItem struct {
	Scope string `json:"scope"`
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

// TestBatchHelper is not a test: it is the subprocess that uses go-keyring
// on a private bus, for the tests that need go-keyring's own writes and
// reads.
func TestBatchHelper(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process only")
	}
	var items []helperItem
	if err := json.NewDecoder(os.Stdin).Decode(&items); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "set":
		// go-keyring's Set sends OpenSession first on the shared session
		// connection it uses, the call that upsets gnome-keyring 42 on a
		// client it has not registered yet: register that connection first.
		conn, err := dbus.SessionBus()
		if err != nil {
			t.Fatal(err)
		}
		if err := testkeyring.Register(conn); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := gokeyring.Set(Service(it.Scope), it.Name, string(it.Value)); err != nil {
				t.Fatalf("go-keyring Set %s/%s: %v", it.Scope, it.Name, err)
			}
		}
	case "get":
		var found []helperItem
		for _, it := range items {
			v, err := gokeyring.Get(Service(it.Scope), it.Name)
			if errors.Is(err, gokeyring.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("go-keyring Get %s/%s: %v", it.Scope, it.Name, err)
			}
			found = append(found, helperItem{it.Scope, it.Name, []byte(v)})
		}
		if err := json.NewEncoder(os.Stdout).Encode(found); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown helper mode %q", mode)
	}
}

// goKeyring runs TestBatchHelper in mode on bus with items as input and
// returns its standard output.
func goKeyring(t testing.TB, bus *testkeyring.Bus, mode string, items []helperItem) []byte {
	t.Helper()
	in, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBatchHelper$", "-test.count=1")
	cmd.Env = append(bus.Environ(os.Environ()), helperEnv+"="+mode)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go-keyring helper %s: %v\n%s%s", mode, err, stdout.String(), stderr.String())
	}
	// The helper's output ends with the test framework's "PASS".
	out, _, _ := bytes.Cut(stdout.Bytes(), []byte("\nPASS"))
	return out
}

// dialBus connects to addr, as connectSession connects to the session bus,
// and records the connection's unique name in *name when name is not nil.
func dialBus(addr string, name *string) dialFunc {
	return func(ctx context.Context) (*dbus.Conn, error) {
		conn, err := dbus.Connect(addr, dbus.WithContext(ctx), dbus.WithIncomingInterceptor(replyCounter(ctx)))
		if err == nil && name != nil {
			*name = conn.Names()[0]
		}
		return conn, err
	}
}

func newBatchStore(t *testing.T) *Keychain {
	t.Helper()
	return NewKeychain(filepath.Join(t.TempDir(), "data"))
}

// makeItems returns n items spread over testScopes, with values that are
// not text: every one holds a newline, a quote, a byte above 127 that is not
// UTF-8, and its own number.
func makeItems(prefix string, n int) []helperItem {
	items := make([]helperItem, n)
	for i := range items {
		items[i] = helperItem{
			Scope: testScopes[i%len(testScopes)],
			Name:  fmt.Sprintf("%s_%03d", prefix, i),
			Value: fmt.Appendf(nil, "value %d\n'\"$(x)\xff\xfe end", i),
		}
	}
	return items
}

func refsOf(items []helperItem) []Ref {
	refs := make([]Ref, len(items))
	for i, it := range items {
		refs[i] = Ref{it.Scope, it.Name}
	}
	return refs
}

func checkValues(t *testing.T, got map[Ref][]byte, want []helperItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d values, want %d", len(got), len(want))
	}
	for _, it := range want {
		v, ok := got[Ref{it.Scope, it.Name}]
		if !ok {
			t.Errorf("%s/%s missing", it.Scope, it.Name)
			continue
		}
		if !bytes.Equal(v, it.Value) {
			t.Errorf("%s/%s = %q, want %q", it.Scope, it.Name, v, it.Value)
		}
	}
}

func TestBatchReadsWhatGoKeyringWrote(t *testing.T) {
	bus := testkeyring.Start(t)
	ctx := context.Background()
	k := newBatchStore(t)
	for _, n := range []int{1, 10, 100} {
		items := makeItems(fmt.Sprintf("N%d", n), n)
		goKeyring(t, bus, "set", items)
		refs := refsOf(items)
		// Refs nobody stored: a name in no scope, and a stored name asked
		// for in another scope.
		absent := []Ref{{"global", fmt.Sprintf("N%d_NOT_STORED", n)}, {"repo:/elsewhere", items[0].Name}}
		refs = append(absent[:1:1], append(refs, absent[1])...)
		got, err := k.readBatch(ctx, dialBus(bus.Addr, nil), refs)
		if err != nil {
			t.Fatalf("%d items: %v", n, err)
		}
		checkValues(t, got, items)
		for _, r := range absent {
			if _, ok := got[r]; ok {
				t.Errorf("%d items: %v, never stored, is in the result", n, r)
			}
		}
	}
}

func TestBatchBinaryValues(t *testing.T) {
	bus := testkeyring.Start(t)
	everyByte := make([]byte, 255)
	for i := range everyByte {
		everyByte[i] = byte(i + 1)
	}
	big := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(1 + rng.IntN(255))
	}
	items := []helperItem{
		{"global", "EVERY_BYTE", everyByte},
		{"namespace:backend", "BIG_64K", big},
		{"repo:/home/dev/code/api", "NOT_UTF8", []byte("\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\r\n")},
		{"global", "TRAILING_NEWLINES", []byte("v\n\n")},
		{"global", "EMPTY", []byte{}},
	}
	goKeyring(t, bus, "set", items)
	got, err := newBatchStore(t).readBatch(context.Background(), dialBus(bus.Addr, nil), refsOf(items))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, items)
}

// TestBatchWithinBusLimits reads more refs than the bus lets a connection
// have calls waiting (128 on a bus with dbus-daemon's defaults, as this
// one), and more bytes than one message may hold (32 MiB): all at once,
// either would fail the batch or, for the answer, make the bus disconnect
// gnome-keyring.
func TestBatchWithinBusLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 34 MiB")
	}
	bus := testkeyring.Start(t)
	many := makeItems("MANY", 300)
	var big []helperItem
	for i := range 34 {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, MaxInput)
		v[0] = byte(i)
		big = append(big, helperItem{testScopes[i%len(testScopes)], fmt.Sprintf("BIG_%02d", i), v})
	}
	goKeyring(t, bus, "set", append(many, big...))
	k := newBatchStore(t)
	// This test is about the bus's limits, not speed: 34 MiB through
	// gnome-keyring can take longer than the 3 s bound on a busy machine.
	k.timeout = time.Minute
	got, err := k.readBatch(context.Background(), dialBus(bus.Addr, nil), append(refsOf(many), refsOf(big)...))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, append(many, big...))
	// gnome-keyring is still there.
	if _, err := k.readBatch(context.Background(), dialBus(bus.Addr, nil), refsOf(many[:1])); err != nil {
		t.Fatalf("after the big read: %v", err)
	}
}

// TestBatchThroughGetMany goes the way kage does: Keychain.GetMany,
// checkBus and the session bus from the environment, which points at the
// private bus (a private connection per batch, so nothing is cached).
func TestBatchThroughGetMany(t *testing.T) {
	bus := testkeyring.Start(t)
	items := makeItems("VIA_GETMANY", 6)
	goKeyring(t, bus, "set", items)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	got, err := newBatchStore(t).GetMany(context.Background(), append(refsOf(items), refsOf(items)...))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, items)
}

func TestBatchNoRefsNeedsNoBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	got, err := newBatchStore(t).GetMany(context.Background(), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v; want an empty map", got, err)
	}
}

// wantUnavailable checks that err is an UnavailableError with reason.
func wantUnavailable(t *testing.T, err error, reason string) {
	t.Helper()
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T), want UnavailableError %q", err, err, reason)
	}
	if ue.Reason != reason {
		t.Fatalf("reason %q, want %q", ue.Reason, reason)
	}
	if ue.Hint() == "" {
		t.Fatalf("%q has no hint", reason)
	}
}

func TestBatchLocked(t *testing.T) {
	bus := testkeyring.StartLocked(t)
	begin := time.Now()
	_, err := newBatchStore(t).readBatch(context.Background(), dialBus(bus.Addr, nil), []Ref{{"global", "ANY"}})
	wantUnavailable(t, err, "the keychain collection is locked")
	// The prompt cannot be shown on the private bus; the daemon says so at
	// once, and the batch must not wait for its timeout.
	if d := time.Since(begin); d > Timeout/2 {
		t.Fatalf("locked error took %v", d)
	}
	// The same error as go-keyring's path gives.
	if want := translate(errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "global", "ANY"); err.Error() != want.Error() {
		t.Fatalf("batch says %q, go-keyring's path %q", err, want)
	}
}

func TestBatchNoSecretService(t *testing.T) {
	bus := testkeyring.StartBare(t)
	_, err := newBatchStore(t).readBatch(context.Background(), dialBus(bus.Addr, nil), []Ref{{"global", "ANY"}})
	wantUnavailable(t, err, "no Secret Service is running on the D-Bus session bus")
}

func TestBatchStoppedBus(t *testing.T) {
	bus := testkeyring.Start(t)
	bus.Stop()
	_, err := newBatchStore(t).readBatch(context.Background(), dialBus(bus.Addr, nil), []Ref{{"global", "ANY"}})
	wantUnavailable(t, err, "no D-Bus session bus to reach the Secret Service")
}

func TestBatchNoBusConfigured(t *testing.T) {
	// checkBus stops the batch before godbus could autolaunch a bus.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := newBatchStore(t).GetMany(context.Background(), []Ref{{"global", "ANY"}})
	wantUnavailable(t, err, "no D-Bus session bus to reach the Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)")
}

// stuckService owns org.freedesktop.secrets and never answers.
type stuckService struct{ release chan struct{} }

func (s stuckService) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	<-s.release
	return dbus.MakeVariant(""), nil
}

func TestBatchTimeout(t *testing.T) {
	bus := testkeyring.StartBare(t)
	conn, err := dbus.Connect(bus.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := stuckService{release: make(chan struct{})}
	defer close(s.release)
	if err := conn.Export(s, ssPath, dbusProperties); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(ssName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName = %v, %v", reply, err)
	}
	k := newBatchStore(t)
	k.timeout = 300 * time.Millisecond
	begin := time.Now()
	_, err = k.readBatch(context.Background(), dialBus(bus.Addr, nil), []Ref{{"global", "ANY"}})
	took := time.Since(begin)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took > k.timeout+time.Second {
		t.Fatalf("timed out after %v, bound %v", took, k.timeout)
	}
}

// createItem adds an item with go-keyring's attributes and label, without
// replacing an existing one, which go-keyring never does: the duplicates
// another tool could make.
func createItem(t *testing.T, conn *dbus.Conn, scope, name, value string) dbus.ObjectPath {
	t.Helper()
	var out dbus.Variant
	var session dbus.ObjectPath
	svc := conn.Object(ssName, ssPath)
	if err := svc.Call(ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatal(err)
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(fmt.Sprintf("Password for '%s' on '%s'", name, Service(scope))),
		ssItem + ".Attributes": dbus.MakeVariant(map[string]string{"service": Service(scope), "username": name}),
	}
	secret := ssSecret{Session: session, Parameters: []byte{}, Value: []byte(value), ContentType: "text/plain"}
	var item, prompt dbus.ObjectPath
	if err := conn.Object(ssName, ssLogin).Call(ssCollection+".CreateItem", 0, props, secret, false).Store(&item, &prompt); err != nil {
		t.Fatal(err)
	}
	return item
}

func TestBatchDuplicatesPickNewest(t *testing.T) {
	bus := testkeyring.Start(t)
	conn := bus.Connect(t)
	older := createItem(t, conn, "global", "DUP", "first")
	createItem(t, conn, "global", "DUP", "second")
	createItem(t, conn, "global", "SINGLE", "only")
	k := newBatchStore(t)
	refs := []Ref{{"global", "DUP"}, {"global", "SINGLE"}}
	read := func() string {
		t.Helper()
		got, err := k.readBatch(context.Background(), dialBus(bus.Addr, nil), refs)
		if err != nil {
			t.Fatal(err)
		}
		if string(got[refs[1]]) != "only" {
			t.Fatalf("SINGLE = %q", got[refs[1]])
		}
		return string(got[refs[0]])
	}
	// Same second: the item created last wins, every time.
	for range 5 {
		if v := read(); v != "second" {
			t.Fatalf("DUP = %q, want the item created last", v)
		}
	}
	// Rewriting the older item a second later makes it the newest.
	time.Sleep(1100 * time.Millisecond)
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := conn.Object(ssName, ssPath).Call(ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatal(err)
	}
	secret := ssSecret{Session: session, Parameters: []byte{}, Value: []byte("first, rotated"), ContentType: "text/plain"}
	if err := conn.Object(ssName, older).Call(ssItem+".SetSecret", 0, secret).Err; err != nil {
		t.Fatal(err)
	}
	if v := read(); v != "first, rotated" {
		t.Fatalf("DUP = %q, want the most recently modified item", v)
	}
}

func count(calls []string) map[string]int {
	n := map[string]int{}
	for _, c := range calls {
		n[c]++
	}
	return n
}

func TestBatchCallCount(t *testing.T) {
	bus := testkeyring.Start(t)
	items := makeItems("COUNT", 100)
	goKeyring(t, bus, "set", items)
	mon := bus.Monitor(t)
	k := newBatchStore(t)
	for _, n := range []int{10, 16, 100} {
		refs := append(refsOf(items[:n]), Ref{"global", "COUNT_NOT_STORED"})
		got, err := k.readBatch(context.Background(), dialBus(bus.Addr, nil), refs)
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, got, items[:n])
		calls := mon.Calls(t)
		c := count(calls)
		t.Logf("batch of %d refs: %d Secret Service calls: %v", len(refs), len(calls), c)
		// One search per ref, sent together; one GetSecrets per 16 items
		// found; everything else once.
		gets := (n + secretsPerCall - 1) / secretsPerCall
		want := map[string]int{"Get": 1, "Unlock": 1, "OpenSession": 1, "SearchItems": len(refs), "GetSecrets": gets, "Close": 1}
		for name, w := range want {
			if c[name] != w {
				t.Errorf("%d refs: %d %s calls, want %d (all calls: %v)", len(refs), c[name], name, w, c)
			}
		}
		if len(calls) != len(refs)+4+gets {
			t.Errorf("%d refs: %d calls, want %d: %v", len(refs), len(calls), len(refs)+4+gets, c)
		}
		if i := slices.Index(calls, "GetSecrets"); i < 0 || slices.Contains(calls[i+1:], "SearchItems") {
			t.Errorf("GetSecrets is not after every search: %v", calls)
		}
	}

	// For comparison, go-keyring reading 10 of the same items one by one.
	var out []helperItem
	if err := json.Unmarshal(goKeyring(t, bus, "get", items[:10]), &out); err != nil || len(out) != 10 {
		t.Fatalf("go-keyring read %d items: %v", len(out), err)
	}
	calls := mon.Calls(t)
	t.Logf("go-keyring, 10 items one by one: %d Secret Service calls: %v", len(calls), count(calls))
	if c := count(calls); c["GetSecret"] != 10 {
		t.Errorf("go-keyring made %d GetSecret calls for 10 items: %v", c["GetSecret"], strings.Join(calls, " "))
	}
}

// BenchmarkBatchRead times the batch alone, in process: connection, calls
// and decoding, without starting a program.
func BenchmarkBatchRead(b *testing.B) {
	bus := testkeyring.Start(b)
	items := makeItems("BENCH", 100)
	goKeyring(b, bus, "set", items)
	k := NewKeychain(filepath.Join(b.TempDir(), "data"))
	for _, n := range []int{10, 100} {
		refs := refsOf(items[:n])
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				got, err := k.readBatch(context.Background(), dialBus(bus.Addr, nil), refs)
				if err != nil || len(got) != n {
					b.Fatalf("read %d of %d: %v", len(got), n, err)
				}
			}
		})
	}
}
