package main

import (
	"errors"
	"os"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/keyring"
)

// A command that reads values from the keychain spends most of its time
// connecting: the bus handshake and the Secret Service's first answer come
// before the batch, and the goroutine that makes them takes a while to
// start. prestart begins that connection first thing in main, before the
// interrupt handler and the command line are set up, when the keychain is
// certain to be the store: no config.toml (which may choose another), and
// KAGE_BACKEND unset or "keyring". Otherwise the store connects as usual,
// once the configuration has chosen it. It never changes which store a
// command uses, only when the keychain's connection starts.
var prestarted struct {
	k    *keyring.Keychain
	data string
	// started is k, kept after keychainFor hands k out, for settle.
	started *keyring.Keychain
}

// settle lets the connection prestart began finish registering and closes
// it when no read took it (a directory without secrets): kage must not
// leave while gnome-keyring is still registering a connection (see
// keyring.Keychain.Settle). main calls it before exiting, runReplacing
// before becoming the program.
func settle() {
	if k := prestarted.started; k != nil {
		prestarted.started = nil
		k.Settle()
	}
}

// prestart starts the keychain connection for `kage env` and `kage exec`
// (see prestarted).
func prestart(args []string) {
	if len(args) < 2 || args[1] != "env" && args[1] != "exec" {
		return
	}
	if v := os.Getenv("KAGE_BACKEND"); v != "" && v != "keyring" {
		return
	}
	paths, err := config.DefaultPaths()
	if err != nil {
		return
	}
	if _, err := os.Lstat(paths.ConfigFile()); !errors.Is(err, os.ErrNotExist) {
		return
	}
	k := keyring.NewKeychain(paths.Data)
	k.Prepare()
	prestarted.k, prestarted.data, prestarted.started = k, paths.Data, k
}

// keychainFor returns the keychain store of data: the one prestart began
// connecting if it is that one, else a new one.
func keychainFor(data string) *keyring.Keychain {
	if k := prestarted.k; k != nil && prestarted.data == data {
		prestarted.k = nil
		return k
	}
	return keyring.NewKeychain(data)
}
