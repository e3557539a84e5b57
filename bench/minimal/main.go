// Command minimal reads secrets from the Secret Service in one batch and
// prints them as NAME=VALUE lines: the fewest D-Bus round trips a read of
// kage's items can take, the physical limit `kage env` is measured against.
//
//	minimal SCOPE NAME [SCOPE NAME ...]
//
// It connects, sends OpenSession and one SearchItems per item (attributes
// service=kage-SCOPE, username=NAME, in the login collection) without
// waiting between them, at most 64 waiting at once as in kage, then reads
// every item found with one GetSecrets.
// Unlike kage it neither looks the collection up, nor unlocks, nor bounds
// the time, nor handles duplicates: it is a baseline, not a tool.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

const (
	ssName    = "org.freedesktop.secrets"
	ssService = "org.freedesktop.Secret.Service"
	ssLogin   = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	window    = 64
)

type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args)%2 != 0 {
		return fmt.Errorf("usage: minimal SCOPE NAME [SCOPE NAME ...]")
	}
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
	svc := conn.Object(ssName, "/org/freedesktop/secrets")
	coll := conn.Object(ssName, ssLogin)
	open := svc.Go(ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	// At most window searches wait for an answer at once, as in kage: a
	// bus refuses a connection more than 128 calls waiting.
	n := len(args) / 2
	searches := make([]*dbus.Call, n)
	search := func(i int) {
		attrs := map[string]string{"service": "kage-" + args[2*i], "username": args[2*i+1]}
		searches[i] = coll.Go("org.freedesktop.Secret.Collection.SearchItems", 0, nil, attrs)
	}
	sent := 0
	for ; sent < n && sent < window; sent++ {
		search(sent)
	}
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := (<-open.Done).Store(&ignored, &session); err != nil {
		return err
	}
	name := map[dbus.ObjectPath]string{}
	var paths []dbus.ObjectPath
	for i := range searches {
		var found []dbus.ObjectPath
		if err := (<-searches[i].Done).Store(&found); err != nil {
			return err
		}
		if sent < n {
			search(sent)
			sent++
		}
		if len(found) > 0 {
			name[found[0]] = args[2*i+1]
			paths = append(paths, found[0])
		}
	}
	var secrets map[dbus.ObjectPath]secret
	if err := svc.Call(ssService+".GetSecrets", 0, paths, session).Store(&secrets); err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for _, p := range paths {
		if s, ok := secrets[p]; ok {
			fmt.Fprintf(w, "%s=%s\n", name[p], s.Value)
		}
	}
	return w.Flush()
}
