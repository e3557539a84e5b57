//go:build !windows

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// forwarded are the signals kage passes on to the child it masks: those
// users, supervisors and agents send to stop, reload or poke a program.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// shouldForward tells whether kage passes s on. Ctrl-C and Ctrl-\ at a
// terminal, and its hang-up, go to its whole foreground process group,
// the child included: passing them on would give the child each twice,
// and many programs take a second Ctrl-C as "quit now". So they are
// passed on only when kage is not in the terminal's foreground group.
func shouldForward(s os.Signal) bool {
	switch s {
	case syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP:
		return !inForeground()
	}
	return true
}

// inForeground reports whether kage's process group is the foreground
// group of its controlling terminal.
func inForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// killedBy reports the signal that ended a process, if one did.
func killedBy(ps *os.ProcessState) (syscall.Signal, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return ws.Signal(), true
}

// dieBy ends kage by sig, as its child ended, so that the shell or the
// supervisor sees what it would have seen without kage in between. Only
// the signals the Go runtime dies of quietly are raised: for the others
// (SIGQUIT, SIGABRT, SIGSEGV, …) it prints every goroutine's stack, so kage
// ends as a shell reports such a death, 128 + the signal's number. So does
// a signal kage cannot die by (one ignored since it started).
func dieBy(sig syscall.Signal) {
	switch sig {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM:
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig)
		time.Sleep(100 * time.Millisecond)
	}
	os.Exit(128 + int(sig))
}
