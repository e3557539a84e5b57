//go:build unix

// Command kage-hook is the first thing kage's prompt hook runs: `kage-hook
// KAGE hook-env SHELL`. When nothing on the watch list kage left in
// KAGE_WATCH has changed, it exits at once, printing nothing; otherwise it
// becomes `KAGE hook-env SHELL`, which does the full check. It is a
// separate program because the prompt runs it every time: it loads none
// of kage's packages, so it starts as fast as a static program that does
// nothing, where kage itself takes twice as long just to initialise.
//
// `kage hook` writes it into the hook only when it is installed next to
// kage (make install puts both in place).
package main

import (
	"syscall"

	"github.com/kage-cli/kage/internal/hookstamp"
)

func main() {
	// The arguments are read only when kage is to run: when nothing
	// changed they are not needed, and on Linux reading them is a third of
	// what kage-hook costs beyond a program that does nothing.
	if w := getenv(hookstamp.Var); w != "" {
		if wd, err := hookstamp.Wd(); err == nil && hookstamp.Unchanged(w, wd, getenv) {
			return
		}
	}
	args := argv()
	if len(args) != 4 || args[2] != "hook-env" {
		fail("usage: kage-hook KAGE hook-env SHELL (the prompt hook runs it; see kage hook --help)\n")
	}
	handOver(args[1], args[1:])
}

func fail(msg string) {
	syscall.Write(2, []byte("kage-hook: "+msg))
	syscall.Exit(2)
}
