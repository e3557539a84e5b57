package keyring

import (
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/kage-cli/kage/internal/testkeyring"
)

// storeOther stores an item of another program with secret-tool.
func storeOther(t *testing.T, bus *testkeyring.Bus, attrs ...string) {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatal("secret-tool not found")
		}
		t.Skip("secret-tool not found (install libsecret-tools)")
	}
	cmd := exec.Command("secret-tool", append([]string{"store", "--label", "other"}, attrs...)...)
	cmd.Env = bus.Environ(os.Environ())
	cmd.Stdin = strings.NewReader("not kage's")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
}

func TestInventoryListsKageItems(t *testing.T) {
	bus := testkeyring.Start(t)
	begin := time.Now().Add(-time.Second)
	items := makeItems("INV", 7)
	goKeyring(t, bus, "set", items)
	conn := bus.Connect(t)
	// Another tool's items: a service under kage's prefix that is no scope,
	// and two that are not kage's at all.
	createItem(t, conn, "bogus", "FOREIGN", "x")
	storeOther(t, bus, "service", "other-app", "username", "INV_000")
	storeOther(t, bus, "application", "browser")

	inv, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Second)
	var got []string
	for _, it := range inv.Items {
		got = append(got, it.Scope+" "+it.Name)
		for what, tm := range map[string]time.Time{"created": it.Created, "modified": it.Modified} {
			if tm.Before(begin) || tm.After(end) {
				t.Errorf("%s/%s %s %v, not between %v and %v", it.Scope, it.Name, what, tm, begin, end)
			}
		}
		if it.ID == "" {
			t.Errorf("%s/%s has no ID", it.Scope, it.Name)
		}
	}
	want := []string{"bogus FOREIGN"}
	for _, it := range items {
		want = append(want, it.Scope+" "+it.Name)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("inventory lists\n%q\nwant\n%q", got, want)
	}
	if inv.Collection != "login" || inv.Provider != "gnome-keyring" {
		t.Errorf("collection %q from %q, want login from gnome-keyring", inv.Collection, inv.Provider)
	}
}

func TestInventoryEmpty(t *testing.T) {
	bus := testkeyring.Start(t)
	inv, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil || len(inv.Items) != 0 {
		t.Fatalf("inventory of an empty keyring = %+v, %v", inv, err)
	}
}

// TestInventoryReadsNoValues watches the bus: listing reads properties only,
// never a secret, and never opens a session or asks to unlock.
func TestInventoryReadsNoValues(t *testing.T) {
	bus := testkeyring.Start(t)
	goKeyring(t, bus, "set", makeItems("WATCHED", 5))
	mon := bus.Monitor(t)
	mon.Calls(t)
	inv, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil || len(inv.Items) != 5 {
		t.Fatalf("inventory = %+v, %v", inv, err)
	}
	c := count(mon.Calls(t))
	// Get: the collection list, the collection's Locked and Items; each
	// item's Attributes, Created and Modified (no index lists them).
	want := map[string]int{"Get": 3 + 3*5}
	if !maps.Equal(c, want) {
		t.Fatalf("Secret Service calls %v, want exactly %v", c, want)
	}
}

// writeIndex makes k's index list items.
func writeIndex(t *testing.T, k *Keychain, items []helperItem) {
	t.Helper()
	now := time.Now().UTC()
	entries := make([]Entry, len(items))
	for i, it := range items {
		entries[i] = Entry{Scope: it.Scope, Name: it.Name, Created: now, Updated: now}
	}
	err := k.index.Update(context.Background(), func(_ []Entry, prepare func([]Entry) (*Pending, error)) error {
		p, err := prepare(entries)
		if err != nil {
			return err
		}
		return p.Commit()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInventoryTimesOnlyOfUnindexed: an item the index lists is read by
// its Attributes alone, without its times, which only an item doctor may
// add to the index needs; the others keep theirs.
func TestInventoryTimesOnlyOfUnindexed(t *testing.T) {
	bus := testkeyring.Start(t)
	begin := time.Now().Add(-time.Second)
	items := makeItems("HALF", 6)
	goKeyring(t, bus, "set", items)
	k := newBatchStore(t)
	writeIndex(t, k, items[:4])
	mon := bus.Monitor(t)
	mon.Calls(t)
	inv, err := k.inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil || len(inv.Items) != 6 {
		t.Fatalf("inventory = %+v, %v", inv, err)
	}
	indexed := map[string]bool{}
	for _, it := range items[:4] {
		indexed[it.Name] = true
	}
	for _, it := range inv.Items {
		timed := !it.Created.IsZero() && !it.Modified.IsZero()
		if indexed[it.Name] == timed {
			t.Errorf("%s/%s (indexed %v) has times %v and %v", it.Scope, it.Name, indexed[it.Name], it.Created, it.Modified)
		}
		if timed && it.Created.Before(begin) {
			t.Errorf("%s/%s created %v, before %v", it.Scope, it.Name, it.Created, begin)
		}
	}
	// The collection list, Locked, Items, 6 Attributes, 2 × 2 times.
	if c, want := count(mon.Calls(t)), map[string]int{"Get": 3 + 6 + 2*2}; !maps.Equal(c, want) {
		t.Fatalf("Secret Service calls %v, want exactly %v", c, want)
	}

	// An index kage cannot read lists nothing: every item gets its times,
	// as doctor --fix rebuilds the whole index from them.
	if err := os.WriteFile(k.index.Path(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err = k.inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil || len(inv.Items) != 6 {
		t.Fatalf("inventory = %+v, %v", inv, err)
	}
	for _, it := range inv.Items {
		if it.Created.IsZero() || it.Modified.IsZero() {
			t.Errorf("with a corrupt index, %s/%s has times %v and %v", it.Scope, it.Name, it.Created, it.Modified)
		}
	}
}

// slowFirst serves Properties.Get at the service and at the login
// collection, answers the first call late, and records a call that comes
// before it is answered.
type slowFirst struct {
	coll     bool
	answered *atomic.Bool
	overtook *atomic.Int32
}

func (s slowFirst) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	if !s.coll {
		time.Sleep(100 * time.Millisecond)
		s.answered.Store(true)
		return dbus.MakeVariant([]dbus.ObjectPath{ssLogin}), nil
	}
	if !s.answered.Load() {
		s.overtook.Add(1)
	}
	if prop == "Locked" {
		return dbus.MakeVariant(false), nil
	}
	return dbus.MakeVariant([]dbus.ObjectPath{}), nil
}

// TestInventoryFirstCallAlone: the listing's first call is answered before
// any other is sent, as gnome-keyring 42 needs of a new client.
func TestInventoryFirstCallAlone(t *testing.T) {
	bus := testkeyring.StartBare(t)
	conn, err := dbus.Connect(bus.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	svc := slowFirst{answered: new(atomic.Bool), overtook: new(atomic.Int32)}
	coll := svc
	coll.coll = true
	if err := conn.Export(svc, ssPath, dbusProperties); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(coll, ssLogin, dbusProperties); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(ssName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName = %v, %v", reply, err)
	}
	inv, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	if err != nil || inv.Collection != "login" || len(inv.Items) != 0 {
		t.Fatalf("inventory = %+v, %v", inv, err)
	}
	if n := svc.overtook.Load(); n > 0 {
		t.Fatalf("%d calls sent before the first was answered", n)
	}
}

func TestInventoryLocked(t *testing.T) {
	bus := testkeyring.StartLocked(t)
	begin := time.Now()
	_, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	wantUnavailable(t, err, "the keychain collection is locked")
	if d := time.Since(begin); d > Timeout/2 {
		t.Fatalf("locked error took %v", d)
	}
}

func TestInventoryNoSecretService(t *testing.T) {
	bus := testkeyring.StartBare(t)
	_, err := newBatchStore(t).inventory(context.Background(), dialBus(bus.Addr, nil))
	wantUnavailable(t, err, "no Secret Service is running on the D-Bus session bus")
}

func TestInventoryStoppedBus(t *testing.T) {
	bus := testkeyring.Start(t)
	bus.Stop()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	_, err := newBatchStore(t).Inventory(context.Background())
	wantUnavailable(t, err, "no D-Bus session bus to reach the Secret Service")
}

func TestInventoryNoBusConfigured(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := newBatchStore(t).Inventory(context.Background())
	wantUnavailable(t, err, "no D-Bus session bus to reach the Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)")
}

func TestInventoryTimeout(t *testing.T) {
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
	_, err = k.inventory(context.Background(), dialBus(bus.Addr, nil))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took := time.Since(begin); took > k.timeout+time.Second {
		t.Fatalf("timed out after %v, bound %v", took, k.timeout)
	}
}

func TestInventoryMockIsNotListed(t *testing.T) {
	k := newBatchStore(t)
	k.precheck = nil
	var ne *NoInventoryError
	if _, err := k.Inventory(context.Background()); !errors.As(err, &ne) {
		t.Fatalf("inventory of the mock: %v, want NoInventoryError", err)
	}
}
