package keyring

// Listing kage's items in the Secret Service for `kage doctor`, which checks
// the index against them. The Secret Service cannot search by a prefix of an
// attribute, so the inventory reads the Items property of the collection
// go-keyring writes to and then each item's properties (attributes, times),
// all sent together as the batch reader does. It never opens a session and
// never calls GetSecret or GetSecrets: no value leaves the keyring. It never
// shows an unlock prompt either: a locked collection is reported as locked,
// which is what a diagnosis needs, instead of a dialog doctor would have to
// wait for.

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
// go-keyring's in-memory mock it is a *NoInventoryError.
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
	return withSession(ctx, k.timeout, "list", dial, listItems)
}

// errInventoryLocked is a locked collection; translate makes it the same
// "collection is locked" error, with its fix, as every other command gives.
var errInventoryLocked = dbus.Error{Name: ssErrorIsLocked, Body: []any{"the collection is locked"}}

// listItems does the calls described at the top of this file.
func listItems(ctx context.Context, conn *dbus.Conn) (*Inventory, error) {
	svc := conn.Object(ssName, ssPath)
	// Sent together: the collection list, the program that owns the
	// service's name, and the login collection's state and items, which
	// are asked for again of the "default" alias in the rare case the
	// service has no login collection (as loginCollection decides for the
	// batch).
	colls := svc.GoWithContext(ctx, dbusProperties+".Get", 0, nil, ssService, "Collections")
	pid := conn.BusObject().GoWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, nil, ssName)
	coll := ssLogin
	locked, items := startCollection(ctx, conn, coll)
	c, err := loginCollection(<-colls.Done)
	if err != nil {
		return nil, err
	}
	if c != ssLogin {
		<-locked.Done
		<-items.Done
		var alias dbus.ObjectPath
		if err := svc.CallWithContext(ctx, ssService+".ReadAlias", 0, "default").Store(&alias); err != nil {
			return nil, err
		}
		if alias == ssNoPrompt {
			return nil, &UnavailableError{
				Reason: "the Secret Service has neither a login nor a default collection",
				Fix:    "create a keyring and make it the default (Seahorse: File → New → Password Keyring, then Set as Default)",
			}
		}
		coll = alias
		locked, items = startCollection(ctx, conn, coll)
	}
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
	inv := &Inventory{Collection: path.Base(string(coll)), Provider: provider(<-pid.Done)}
	slices.Sort(paths)
	found := make([]*Item, len(paths))
	err = startPipe(len(paths), func(i int) *dbus.Call {
		return conn.Object(ssName, paths[i]).GoWithContext(ctx, dbusProperties+".GetAll", 0, nil, ssItem)
	}).wait(func(i int, c *dbus.Call) error {
		var props map[string]dbus.Variant
		if err := c.Store(&props); err != nil {
			if isUnknownObject(err) {
				// Deleted between the two calls: not there any more.
				return nil
			}
			return err
		}
		found[i] = itemOf(paths[i], props)
		return nil
	})
	if err != nil {
		return nil, err
	}
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

// itemOf returns the item for an Item's properties, or nil when its
// service is not kage's.
func itemOf(p dbus.ObjectPath, props map[string]dbus.Variant) *Item {
	var attrs map[string]string
	if err := props["Attributes"].Store(&attrs); err != nil {
		return nil
	}
	scope, ok := strings.CutPrefix(attrs["service"], ServicePrefix)
	if !ok {
		return nil
	}
	it := &Item{Scope: scope, Name: attrs["username"], ID: string(p)}
	var created, modified uint64
	if props["Created"].Store(&created) == nil && created > 0 {
		it.Created = time.Unix(int64(created), 0).UTC()
	}
	if props["Modified"].Store(&modified) == nil && modified > 0 {
		it.Modified = time.Unix(int64(modified), 0).UTC()
	}
	return it
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
