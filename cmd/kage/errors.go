package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes, documented in `kage --help` and the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is a mistake in how kage was called: exit code 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Hint() string  { return e.hint }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// exitError ends kage with a given code: a program's own exit code
// (kage exec on Windows), or 127 for a command that does not exist.
type exitError struct {
	code int
	err  error // printed when not nil
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// hintError adds a hint line to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Hint() string  { return e.hint }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// hinter is implemented by errors that know what the user should do next.
type hinter interface{ Hint() string }

// report prints err the way every kage error looks, `kage: message` and an
// optional `kage: hint: …` line, and returns the exit code for it.
func report(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "kage: interrupted; nothing was changed")
		return exitInterrupted
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	red, yellow, reset := "", "", ""
	if useColor(w) {
		red, yellow, reset = "\x1b[1;31m", "\x1b[33m", "\x1b[0m"
	}
	fmt.Fprintf(w, "%skage:%s %s\n", red, reset, oneLine(err.Error()))
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(w, "%skage: hint:%s %s\n", yellow, reset, oneLine(h.Hint()))
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	if ee != nil {
		return ee.code
	}
	return exitFailure
}

// useColor is true when w is a terminal and the user has not opted out
// (https://no-color.org): never colour what a script or a file receives.
func useColor(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// oneLine keeps a message on one line whatever a lower layer put in it.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
