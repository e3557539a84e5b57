package main

import "syscall"

func handOver(kage string, args []string) {
	env := append(syscall.Environ(), "KAGE_WATCHING=1")
	err := syscall.Exec(kage, args, env)
	fail("cannot run " + kage + ": " + err.Error() + "; run kage hook again for your shell\n")
}
