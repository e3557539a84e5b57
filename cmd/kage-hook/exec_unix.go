//go:build unix && !linux

package main

import (
	"os"
	"syscall"
)

func argv() []string { return os.Args }

func getenv(k string) string {
	v, _ := syscall.Getenv(k)
	return v
}

// handOver replaces this process with kage's hook-env, telling it to keep
// the watch list up to date.
func handOver(kage string, args []string) {
	env := append(syscall.Environ(), "KAGE_WATCHING=1")
	err := syscall.Exec(kage, args, env)
	fail("cannot run " + kage + ": " + err.Error() + "; run kage hook again for your shell\n")
}
