package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kage-cli/kage/keyring"
	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f any) bool {
	if file, ok := f.(*os.File); ok {
		fd := file.Fd()
		return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
	}
	return false
}

// readValue gets a secret value: from --from-file exactly, from a terminal
// by a hidden prompt asked twice, or from a pipe with one trailing newline
// removed. There is deliberately no way to pass it as an argument.
func readValue(ctx context.Context, e *env, name, where, fromFile string) ([]byte, error) {
	var v []byte
	var err error
	switch {
	case fromFile != "":
		v, err = readFile(fromFile)
	case isTerminal(e.stdin):
		v, err = prompt(ctx, e, name, where)
	default:
		v, err = readLimited(e.stdin, "standard input")
		v = trimNewline(v)
	}
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, withHint(fmt.Errorf("the value for %q is empty; nothing was stored", name),
			"type the value at the prompt, pipe it in (printf %s \"$VALUE\" | kage …) or use --from-file")
	}
	if bytes.IndexByte(v, 0) >= 0 {
		return nil, withHint(fmt.Errorf("the value for %q contains a NUL byte, which no environment variable can hold; nothing was stored", name),
			"store binary data base64-encoded")
	}
	return v, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read --from-file %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	return readLimited(f, path)
}

// readLimited reads all of r up to keyring.MaxInput bytes.
func readLimited(r io.Reader, what string) ([]byte, error) {
	v, err := io.ReadAll(io.LimitReader(r, keyring.MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, unwrapPathErr(err))
	}
	if len(v) > keyring.MaxInput {
		return nil, fmt.Errorf("%s holds more than %d bytes (1 MiB), the most kage stores; nothing was stored", what, keyring.MaxInput)
	}
	return v, nil
}

// trimNewline removes the one line ending `echo` or a here-string adds.
func trimNewline(v []byte) []byte {
	if bytes.HasSuffix(v, []byte("\r\n")) {
		return v[:len(v)-2]
	}
	return bytes.TrimSuffix(v, []byte("\n"))
}

// prompt asks twice with echo off.
func prompt(ctx context.Context, e *env, name, where string) ([]byte, error) {
	fd := int(e.stdin.(*os.File).Fd())
	first, err := readHidden(ctx, fd, e.stderr, fmt.Sprintf("Value for %s (%s): ", name, where))
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, nil
	}
	second, err := readHidden(ctx, fd, e.stderr, "Repeat to confirm: ")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(first, second) {
		return nil, errors.New("the two values differ; nothing was stored")
	}
	return first, nil
}

// readHidden shows label on w and reads one line from the terminal fd with
// echo off. Ctrl-C and Ctrl-D cancel (readSecretLine), and so does a
// SIGINT from elsewhere, which cancels ctx: the read runs aside so the
// cancellation wins, and the terminal is restored either way.
func readHidden(ctx context.Context, fd int, w io.Writer, label string) ([]byte, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("cannot use the terminal for a hidden prompt: %w", err)
	}
	defer func() { _ = term.Restore(fd, state) }()
	type result struct {
		v   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := readSecretLine(fd, func() { fmt.Fprint(w, label) })
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		_ = term.Restore(fd, state)
		fmt.Fprintln(w)
		return r.v, r.err
	case <-ctx.Done():
		fmt.Fprintln(w)
		return nil, ctx.Err()
	}
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
