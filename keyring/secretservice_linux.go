package keyring

// Writing, reading and deleting one item through kage's own Secret Service
// connection rather than go-keyring's.
//
// go-keyring's Set sends OpenSession as the first call of a fresh
// connection, the race that makes gnome-keyring 42 abort (register says
// more), and go-keyring offers no way to send anything before it. So on
// Linux every call kage makes to the Secret Service goes through a
// connection of its own that register has made known to the daemon first;
// go-keyring remains for macOS and Windows, and for its in-memory mock in
// tests. The items are go-keyring's, byte for byte: attributes "service" =
// "kage-<scope>" and "username" = name, the label "Password for '<name>' on
// '<service>'", content type "text/plain; charset=utf8", in the collection
// loginCollection picks, so that what either wrote the other reads.
//
// A write takes three steps after the connection: register; OpenSession
// and Unlock of the collection, sent together; CreateItem with replace, so
// that a name stored again keeps one item. A delete: register; Unlock and
// SearchItems together; Item.Delete of every item found, so that no older
// duplicate another tool made is left to be read after the delete. Each is
// bounded as withSession says.

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// ssContentType is the content type go-keyring gives every value.
const ssContentType = "text/plain; charset=utf8"

// directSet stores value over kage's own connection. ok is false where the
// direct path does not apply (go-keyring's in-memory mock).
func (k *Keychain) directSet(ctx context.Context, scope, name string, value []byte) (ok bool, err error) {
	if k.precheck == nil {
		return false, nil
	}
	_, err = withSession(ctx, k.timeout, "set", k.dial, func(ctx context.Context, conn *dbus.Conn) (struct{}, error) {
		return struct{}{}, writeItem(ctx, conn, scope, name, value)
	})
	return true, err
}

// directGet reads one value, as a batch of one.
func (k *Keychain) directGet(ctx context.Context, scope, name string) (v []byte, ok bool, err error) {
	if k.precheck == nil {
		return nil, false, nil
	}
	ref := Ref{Scope: scope, Name: name}
	out, err := k.readBatch(ctx, k.dial, []Ref{ref})
	if err != nil {
		return nil, true, err
	}
	v, found := out[ref]
	if !found {
		return nil, true, &NotFoundError{Scope: scope, Name: name}
	}
	return v, true, nil
}

// directDelete deletes every item of scope and name.
func (k *Keychain) directDelete(ctx context.Context, scope, name string) (ok bool, err error) {
	if k.precheck == nil {
		return false, nil
	}
	_, err = withSession(ctx, k.timeout, "delete", k.dial, func(ctx context.Context, conn *dbus.Conn) (struct{}, error) {
		return struct{}{}, deleteItems(ctx, conn, scope, name)
	})
	return true, err
}

// unlockCollection waits for the answer to an Unlock of the collection and
// shows the daemon's unlock prompt if it asks for one, as go-keyring does.
func unlockCollection(ctx context.Context, conn *dbus.Conn, unlock *dbus.Call) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := (<-unlock.Done).Store(&unlocked, &prompt); err != nil {
		return err
	}
	if prompt != ssNoPrompt {
		return runPrompt(ctx, conn, prompt)
	}
	if len(unlocked) == 0 {
		return errLocked
	}
	return nil
}

// writeItem does the calls of a write (see the top of this file).
func writeItem(ctx context.Context, conn *dbus.Conn, scope, name string, value []byte) error {
	coll, session, err := openSession(ctx, conn)
	if err != nil {
		return err
	}
	defer conn.Object(ssName, session).GoWithContext(ctx, ssSession+".Close", dbus.FlagNoReplyExpected, nil)
	collObj := conn.Object(ssName, coll)
	service := Service(scope)
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(fmt.Sprintf("Password for '%s' on '%s'", name, service)),
		ssItem + ".Attributes": dbus.MakeVariant(map[string]string{"service": service, "username": name}),
	}
	secret := ssSecret{Session: session, Parameters: []byte{}, Value: value, ContentType: ssContentType}
	var item, prompt dbus.ObjectPath
	if err := collObj.CallWithContext(ctx, ssCollection+".CreateItem", 0, props, secret, true).Store(&item, &prompt); err != nil {
		return err
	}
	if prompt != ssNoPrompt {
		return runPrompt(ctx, conn, prompt)
	}
	return nil
}

// openSession registers conn, then opens a "plain" session and unlocks
// the collection, and returns both.
func openSession(ctx context.Context, conn *dbus.Conn) (coll, session dbus.ObjectPath, err error) {
	if coll, err = register(ctx, conn); err != nil {
		return "", "", err
	}
	svc := conn.Object(ssName, ssPath)
	open := svc.GoWithContext(ctx, ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	unlock := startUnlock(ctx, svc, conn.Object(ssName, coll))
	var ignored dbus.Variant
	openErr := (<-open.Done).Store(&ignored, &session)
	if err := unlockCollection(ctx, conn, unlock); err != nil {
		return "", "", err
	}
	return coll, session, openErr
}

// deleteItems does the calls of a delete (see the top of this file); it is
// a *NotFoundError when there is nothing to delete.
func deleteItems(ctx context.Context, conn *dbus.Conn, scope, name string) error {
	coll, err := register(ctx, conn)
	if err != nil {
		return err
	}
	svc := conn.Object(ssName, ssPath)
	collObj := conn.Object(ssName, coll)
	refs := []Ref{{Scope: scope, Name: name}}
	unlock := startUnlock(ctx, svc, collObj)
	search := startSearches(ctx, collObj, refs)
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := (<-unlock.Done).Store(&unlocked, &prompt); err != nil {
		return err
	}
	found, err := search.wait()
	if prompt != ssNoPrompt {
		if err := runPrompt(ctx, conn, prompt); err != nil {
			return err
		}
		// A locked collection may have hidden its items from the search.
		found, err = startSearches(ctx, collObj, refs).wait()
	} else if len(unlocked) == 0 {
		return errLocked
	}
	if err != nil {
		return err
	}
	items := found[0]
	if len(items) == 0 {
		return &NotFoundError{Scope: scope, Name: name}
	}
	prompts := make([]dbus.ObjectPath, len(items))
	err = startPipe(len(items), func(i int) *dbus.Call {
		return conn.Object(ssName, items[i]).GoWithContext(ctx, ssItem+".Delete", 0, nil)
	}).wait(func(i int, c *dbus.Call) error { return c.Store(&prompts[i]) })
	if err != nil {
		return err
	}
	for _, p := range prompts {
		if p != ssNoPrompt {
			if err := runPrompt(ctx, conn, p); err != nil {
				return err
			}
		}
	}
	return nil
}
