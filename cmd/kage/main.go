// Command kage keeps credentials in the operating system's keychain and
// hands them to shells and agents as environment variables.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
)

func main() {
	harden()
	tuneGC()
	if isHookEnv(os.Args) {
		// The prompt hook, which almost always finds nothing changed and
		// prints nothing: setting up the interrupt handler costs as much as
		// that whole check, so hookEnvMain sets it up only when it has work.
		os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	prestart(os.Args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	var stdout io.Writer = os.Stdout
	if printsValues(os.Args[1:]) && stdoutClosed() {
		stdout = closedOutput{}
	}
	code := run(ctx, os.Args, os.Stdin, stdout, os.Stderr)
	stop()
	settle()
	os.Exit(code)
}

// tuneGC lets the heap grow to five times what survives a collection, not
// twice (GOGC=400): a kage command lives for milliseconds, and with the
// default pacing `kage env` over 1,000 secrets in the file store started a
// collection of a heap it was about to drop at exit, 6% of its time. A
// command's heap rarely passes the first goal (about 20 MiB); a huge one
// costs at most five times its live data, with no limit to thrash against.
// A GOGC the user set is left to mean what it says.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// isHookEnv tells the prompt hook's worker, `kage hook-env SHELL`, which
// run dispatches without the command tree.
func isHookEnv(args []string) bool { return len(args) == 3 && args[1] == "hook-env" }

// errStdoutClosed is what a write to a standard output that was closed
// when kage started returns.
var errStdoutClosed = errors.New("standard output is closed; nothing was written")

// closedOutput stands for a standard output that was closed at start: a
// command that has something to print fails instead of exiting 0 with its
// output lost (`kage env >&-` in a script would otherwise load nothing and
// say nothing).
type closedOutput struct{}

func (closedOutput) Write([]byte) (int, error) { return 0, errStdoutClosed }

// printsValues tells the commands whose output is the secrets themselves:
// `kage env` and `kage secret get`. Only they treat a read-write /dev/null
// as a closed standard output: Python's subprocess.DEVNULL and Node's
// "ignore" open /dev/null that way too, and `kage status` run so must
// still succeed.
func printsValues(args []string) bool {
	for len(args) > 0 && strings.HasPrefix(args[0], "--namespace") {
		if args[0] == "--namespace" && len(args) > 1 {
			args = args[1:]
		}
		args = args[1:]
	}
	switch {
	case len(args) > 0 && args[0] == "env":
		return true
	case len(args) > 1 && args[0] == "secret" && args[1] == "get":
		return true
	}
	return false
}

// stdoutClosed reports whether kage started with its standard output
// closed. The Go runtime opens /dev/null read-write in place of a closed
// standard descriptor, so writes would vanish without an error; a shell's
// `> /dev/null` opens it write-only, which stays allowed. Reading that
// descriptor tells them apart: /dev/null never blocks.
func stdoutClosed() bool {
	if runtime.GOOS == "windows" {
		return false
	}
	fi, err := os.Stdout.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	if err != nil || !os.SameFile(fi, null) {
		return false
	}
	_, err = os.Stdout.Read(make([]byte, 1))
	return err == io.EOF
}
