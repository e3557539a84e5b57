// Command attrlist lists kage's items in the Secret Service by reading only
// each item's Attributes: the least a listing of them can cost, the
// baseline `kage doctor` is measured against. It prints one "SCOPE NAME"
// line per item whose service starts with "kage-".
//
//	attrlist
//
// It connects, reads the login collection's Items, then sends one
// Properties.Get of Attributes per item, 64 waiting at most as kage's batch
// does. Unlike kage it neither looks the collection up, nor checks that it
// is unlocked, nor bounds the time: it is a baseline, not a tool.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	ssName     = "org.freedesktop.secrets"
	ssItem     = "org.freedesktop.Secret.Item"
	properties = "org.freedesktop.DBus.Properties"
	ssLogin    = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	// maxInFlight is kage's bound on calls waiting for an answer, under
	// dbus-daemon's default of 128.
	maxInFlight = 64
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "attrlist:", err)
		os.Exit(1)
	}
}

func run() error {
	// Never autolaunch a bus; the benchmark passes its private one.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return err
	}
	if err := conn.Hello(); err != nil {
		return err
	}
	// One call at a time until the first is answered: gnome-keyring 42
	// aborts when a new client's calls overtake its registration. The
	// items must be known before their attributes are asked for anyway.
	var v dbus.Variant
	if err := conn.Object(ssName, ssLogin).Call(properties+".Get", 0, "org.freedesktop.Secret.Collection", "Items").Store(&v); err != nil {
		return err
	}
	var paths []dbus.ObjectPath
	if err := v.Store(&paths); err != nil {
		return err
	}
	calls := make([]*dbus.Call, len(paths))
	send := func(i int) {
		calls[i] = conn.Object(ssName, paths[i]).Go(properties+".Get", 0, nil, ssItem, "Attributes")
	}
	sent := 0
	for ; sent < len(paths) && sent < maxInFlight; sent++ {
		send(sent)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := range paths {
		var attrs map[string]string
		var av dbus.Variant
		if err := (<-calls[i].Done).Store(&av); err != nil {
			return err
		}
		if sent < len(paths) {
			send(sent)
			sent++
		}
		if err := av.Store(&attrs); err != nil {
			return err
		}
		if scope, ok := strings.CutPrefix(attrs["service"], "kage-"); ok {
			fmt.Fprintf(w, "%s %s\n", scope, attrs["username"])
		}
	}
	return w.Flush()
}
