package keyring

import (
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
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
	conn, err := dbus.Connect(bus.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
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
	// Get: the collection list, the collection's Locked and Items; one
	// GetAll per item.
	want := map[string]int{"Get": 3, "GetAll": 5}
	if !maps.Equal(c, want) {
		t.Fatalf("Secret Service calls %v, want exactly %v", c, want)
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
