package keyring

// Listing kage's items in the Secret Service for `kage doctor`, which checks
// the index against them. The Secret Service cannot search by a prefix of an
// attribute, so the inventory reads the Items property of the collection
// go-keyring writes to and then each item's Attributes, all sent together as
// the batch reader does. It reads an item's Created and Modified only when
// the index does not list its scope and name: doctor needs an item's times
// only to add it to the index, and with gnome-keyring one Get of Attributes
// costs about 0.18 ms against 0.7 ms for a GetAll of every property, the
// bulk of doctor's time at 1,000 secrets. It never opens a session and never
// calls GetSecret or GetSecrets: no value leaves the keyring. It never shows
// an unlock prompt either: a locked collection is reported as locked, which
// is what a diagnosis needs, instead of a dialog doctor would have to wait
// for.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Inventory lists the keychain's items whose service starts with
// ServicePrefix, without their values, bounded by the keychain timeout. On
// go-keyring's in-memory mock it is a *NoInventoryError. Only the items the
// index does not list, all of them when it cannot be read, have their times
// (see Item).
func (k *Keychain) Inventory(ctx context.Context) (*Inventory, error) {
	if k.precheck == nil {
		return nil, &NoInventoryError{Reason: "go-keyring's in-memory mock keeps no Secret Service items"}
	}
	return k.inventory(ctx, func(ctx context.Context) (*dbus.Conn, error) {
		if err := k.precheck(); err != nil {
			return nil, err
		}
		return connectSession(ctx)
	})
}

// inventory dials and lists, bounded by k.timeout, and translates errors as
// readBatch does.
func (k *Keychain) inventory(ctx context.Context, dial dialFunc) (*Inventory, error) {
	// Doctor uses the times only when it rebuilds the index, from a
	// listing it makes under the index lock: the index read here is then
	// the one it rebuilds. An index that cannot be read is rebuilt whole,
	// so then every item needs them.
	var indexed map[Ref]bool
	if entries, err := k.index.Load(); err == nil {
		indexed = make(map[Ref]bool, len(entries))
		for _, en := range entries {
			indexed[en.Ref()] = true
		}
	}
	return withSession(ctx, k.timeout, "list", dial, func(ctx context.Context, conn *dbus.Conn) (*Inventory, error) {
		return listItems(ctx, conn, func(r Ref) bool { return !indexed[r] })
	})
}

// errInventoryLocked is a locked collection; translate makes it the same
// "collection is locked" error, with its fix, as every other command gives.
var errInventoryLocked = dbus.Error{Name: ssErrorIsLocked, Body: []any{"the collection is locked"}}

// listItems does the calls described at the top of this file, reading the
// times of the items for which needTimes is true.
func listItems(ctx context.Context, conn *dbus.Conn, needTimes func(Ref) bool) (*Inventory, error) {
	svc := conn.Object(ssName, ssPath)
	// The first call is answered before anything else is sent: gnome-keyring
	// 42 registers a new client in an idle callback and aborts when the
	// client's calls overtake the registration (batchRead says more).
	// Reading Collections needs no client, and it decides the collection.
	coll, err := register(ctx, conn)
	if err != nil {
		return nil, err
	}
	// Then sent together: the program that owns the service's name, and
	// the collection's state and items, the "default" alias resolved
	// first in the rare case the service has no login collection.
	pid := conn.BusObject().GoWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, nil, ssName)
	if coll != ssLogin {
		var alias dbus.ObjectPath
		if err := svc.CallWithContext(ctx, ssService+".ReadAlias", 0, "default").Store(&alias); err != nil {
			return nil, err
		}
		if alias == ssNoPrompt {
			return nil, errNoKeyring
		}
		coll = alias
	}
	locked, items := startCollection(ctx, conn, coll)
	var isLocked bool
	if err := storeProperty(<-locked.Done, &isLocked); err != nil {
		return nil, err
	}
	if isLocked {
		<-items.Done
		return nil, errInventoryLocked
	}
	var paths []dbus.ObjectPath
	if err := storeProperty(<-items.Done, &paths); err != nil {
		return nil, err
	}
	slices.Sort(paths)

	found := make([]*Item, len(paths))
	err = startPipe(len(paths), func(i int) *dbus.Call {
		return itemProperty(ctx, conn, paths[i], "Attributes")
	}).wait(func(i int, c *dbus.Call) error {
		var attrs map[string]string
		if err := storeProperty(c, &attrs); err != nil {
			if isUnknownObject(err) {
				// Deleted between the two calls: not there any more.
				return nil
			}
			return err
		}
		found[i] = itemOf(paths[i], attrs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := readTimes(ctx, conn, found, needTimes); err != nil {
		return nil, err
	}

	inv := &Inventory{Collection: path.Base(string(coll)), Provider: provider(<-pid.Done)}
	for _, it := range found {
		if it != nil {
			inv.Items = append(inv.Items, *it)
		}
	}
	slices.SortFunc(inv.Items, func(a, b Item) int {
		return cmp.Or(strings.Compare(a.Scope, b.Scope), strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return inv, nil
}

// readTimes reads Created and Modified, two Gets that together cost about
// half a GetAll, of the items for which needTimes is true. An item deleted
// since its Attributes were read is dropped from found.
func readTimes(ctx context.Context, conn *dbus.Conn, found []*Item, needTimes func(Ref) bool) error {
	var need []int // indexes in found
	var paths []dbus.ObjectPath
	for i, it := range found {
		if it != nil && needTimes(Ref{Scope: it.Scope, Name: it.Name}) {
			need = append(need, i)
			paths = append(paths, dbus.ObjectPath(it.ID))
		}
	}
	props := [2]string{"Created", "Modified"}
	return startPipe(2*len(need), func(j int) *dbus.Call {
		// From paths, not found: found loses an item deleted meanwhile,
		// whose other time may not be sent yet.
		return itemProperty(ctx, conn, paths[j/2], props[j%2])
	}).wait(func(j int, c *dbus.Call) error {
		it := found[need[j/2]]
		if it == nil {
			return nil
		}
		var v dbus.Variant
		var secs uint64
		switch err := c.Store(&v); {
		case err != nil && isUnknownObject(err):
			found[need[j/2]] = nil
			return nil
		case err != nil && isUnknownProperty(err):
			// A service that keeps no such time: zero, as Item allows.
			return nil
		case err != nil:
			return err
		}
		if v.Store(&secs) == nil && secs > 0 {
			t := time.Unix(int64(secs), 0).UTC()
			if j%2 == 0 {
				it.Created = t
			} else {
				it.Modified = t
			}
		}
		return nil
	})
}

// itemProperty sends, without waiting, the read of one property of an item.
func itemProperty(ctx context.Context, conn *dbus.Conn, p dbus.ObjectPath, name string) *dbus.Call {
	return conn.Object(ssName, p).GoWithContext(ctx, dbusProperties+".Get", 0, nil, ssItem, name)
}

// startCollection sends, without waiting, the reads of a collection's
// Locked and Items properties.
func startCollection(ctx context.Context, conn *dbus.Conn, coll dbus.ObjectPath) (locked, items *dbus.Call) {
	obj := conn.Object(ssName, coll)
	locked = obj.GoWithContext(ctx, dbusProperties+".Get", 0, nil, ssCollection, "Locked")
	items = obj.GoWithContext(ctx, dbusProperties+".Get", 0, nil, ssCollection, "Items")
	return locked, items
}

// storeProperty stores the value of a Properties.Get answer in v.
func storeProperty(c *dbus.Call, v any) error {
	var variant dbus.Variant
	if err := c.Store(&variant); err != nil {
		return err
	}
	return variant.Store(v)
}

// isUnknownObject reports the error for an object path nobody serves.
func isUnknownObject(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.UnknownObject" ||
		de.Name == "org.freedesktop.Secret.Error.NoSuchObject")
}

// isUnknownProperty reports the error for a property an object lacks.
func isUnknownProperty(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.UnknownProperty" ||
		de.Name == "org.freedesktop.DBus.Error.InvalidArgs")
}

// itemOf returns the item, without its times, for an Item's attributes, or
// nil when its service is not kage's.
func itemOf(p dbus.ObjectPath, attrs map[string]string) *Item {
	scope, ok := strings.CutPrefix(attrs["service"], ServicePrefix)
	if !ok {
		return nil
	}
	return &Item{Scope: scope, Name: attrs["username"], ID: string(p)}
}

// provider names the program behind the process id the bus gave for the
// Secret Service's name, for doctor's "Secret Service answers (…)" line;
// "" when it cannot be told (another PID namespace, a bus that does not
// say).
func provider(c *dbus.Call) string {
	var pid uint32
	if c.Store(&pid) != nil || pid == 0 {
		return ""
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return strings.TrimSuffix(path.Base(string(argv0)), "-daemon")
}
