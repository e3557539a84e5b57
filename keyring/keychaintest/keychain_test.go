// Package keychaintest runs the keyring conformance suite against the
// keychain store on a real gnome-keyring: one private Secret Service on a
// private D-Bus, started before anything in the process touches D-Bus.
//
// It is a package of its own because go-keyring reaches the Secret Service
// through godbus's shared session connection, which godbus opens once per
// process from DBUS_SESSION_BUS_ADDRESS and keeps: the variable must point
// at the private bus before the first keychain call, and no other test in
// the binary may point it elsewhere.
package keychaintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/keyring/keyringtest"
	gokeyring "github.com/zalando/go-keyring"
)

// unavailable says why no private Secret Service runs; empty when one does.
var unavailable string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := testkeyring.Available(); err != nil {
		unavailable = err.Error()
		return m.Run()
	}
	bus, cleanup, err := testkeyring.StartEnv("", testkeyring.Unlocked)
	if err != nil {
		fmt.Fprintf(os.Stderr, "keychaintest: starting a private Secret Service: %v\n", err)
		return 1
	}
	defer cleanup()
	// Never the user's bus: the private one, before godbus connects.
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	code := m.Run()
	bus.Stop()
	if err := bus.CheckDaemon(); err != nil {
		fmt.Fprintf(os.Stderr, "keychaintest: %v\n", err)
		code = 1
	}
	if code != 0 {
		// The daemon's own words, for a failure that may be its.
		if log, err := os.ReadFile(filepath.Join(bus.Dir, "gnome-keyring.log")); err == nil && len(log) > 0 {
			fmt.Fprintf(os.Stderr, "gnome-keyring-daemon said:\n%s\n", log)
		}
	}
	return code
}

func skipWithout(t *testing.T) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv(testkeyring.RequireEnv) == "1" {
		t.Fatalf("%s; %s=1 requires a real Secret Service", unavailable, testkeyring.RequireEnv)
	}
	t.Skipf("skipping: no private Secret Service: %s (set %s=1 to make this fatal)", unavailable, testkeyring.RequireEnv)
}

// empty deletes every kage item left in the private keyring, so that each
// subtest starts from nothing: the keychain is shared by the subtests, the
// index folder is not.
func empty(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	inv, err := keyring.NewKeychain(t.TempDir()).Inventory(ctx)
	if err != nil {
		t.Fatalf("listing the private keyring: %v", err)
	}
	for _, it := range inv.Items {
		if err := gokeyring.Delete(keyring.Service(it.Scope), it.Name); err != nil {
			t.Fatalf("emptying the private keyring: delete %s/%s: %v", it.Scope, it.Name, err)
		}
	}
}

func TestConformance(t *testing.T) {
	skipWithout(t)
	keyringtest.Conformance(t, func(t *testing.T) keyringtest.Backend {
		empty(t)
		dir := filepath.Join(t.TempDir(), "data")
		return keyringtest.Backend{
			Store:    keyring.NewKeychain(dir),
			MaxValue: keyring.MaxValue,
			Open:     func() keyring.Store { return keyring.NewKeychain(dir) },
		}
	})
}
