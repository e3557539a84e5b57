// Command spawner is a spawner written outside kage's module: it resolves
// a folder's secrets with package resolve, as kage exec would, and starts
// a program with them, its output masked. resolve's tests build it.
//
//	spawner DATA IDENTITY DIR ONLY PROGRAM [ARGS...]
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
)

func main() {
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "usage: spawner DATA IDENTITY DIR ONLY PROGRAM [ARGS...]")
		os.Exit(2)
	}
	data, identity, dir, onlyList, argv := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5:]
	key, err := keyring.ParseIdentityFile(identity)
	if err != nil {
		fail(err)
	}
	store := keyring.NewFile(filepath.Join(data, "secrets.age"), key)
	only, err := envname.ParseList(onlyList)
	if err != nil {
		fail(err)
	}
	paths := config.Paths{Config: data, Data: data}
	_, r, err := resolve.Dir(context.Background(), store, dir, resolve.Options{Paths: paths, Selection: resolve.Selection{Only: only, OnlyFrom: "only"}})
	if err != nil {
		fail(err)
	}
	for _, h := range r.Held {
		fmt.Fprintf(os.Stderr, "held back %s\n", h.Name)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, resolve.Environ(os.Environ(), r)
	m := resolve.NewMasker(os.Stdout, r.Secrets())
	cmd.Stdout, cmd.Stderr = m, os.Stderr
	err = cmd.Run()
	m.Close()
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "spawner:", err)
	os.Exit(1)
}
