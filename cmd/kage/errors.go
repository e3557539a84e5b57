package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/display"
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
	fmt.Fprintf(w, "%skage:%s %s\n", red, reset, sanitize(display.OneLine(err.Error())))
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(w, "%skage: hint:%s %s\n", yellow, reset, sanitize(display.OneLine(h.Hint())))
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

// say prints one message line on w, such as "kage: stored X in global":
// kept on one line and stripped of control characters (sanitize), since
// its arguments may quote a path, a name or a file's content someone else
// chose. Every message of kage's that is not an error goes through it.
func say(w io.Writer, format string, args ...any) {
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	fmt.Fprintln(w, sanitize(display.OneLine(msg)))
}

// warn prints a "kage: warning: …" line, as say does.
func warn(w io.Writer, format string, args ...any) {
	say(w, "kage: warning: "+format, args...)
}

// sanitize makes s safe to show on a terminal: every control character
// (C0, DEL, C1), every byte that is not UTF-8, and the Unicode controls
// that reorder or break lines (bidi embeddings, overrides and isolates,
// the line and paragraph separators) are written as a visible escape
// (\x1b, \u202e). A file name or a .git file holding ESC sequences would
// otherwise set the terminal's title, move the cursor or erase what was
// printed before; a bidi override would show a name other than the one
// kage means. Tabs stay. Newlines are escaped too; messages pass oneLine
// first, which makes them spaces.
func sanitize(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case 0x80 <= r && r <= 0x9f, isLayoutControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isLayoutControl reports the invisible characters that change how the
// text around them is laid out: the bidi marks, embeddings, overrides and
// isolates, and the line and paragraph separators.
func isLayoutControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f, 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// messageWriter is the standard error every command writes to. Each
// Write is one message — kage prints each with one Fprintf — and comes out
// as say makes it: one line (a newline inside becomes a space, so a path
// holding one cannot forge a "kage: hint:" line) with no control
// character, even where its text was not built with say. report writes to
// the raw stream, since it adds the colours itself.
type messageWriter struct{ w io.Writer }

func (m messageWriter) Write(p []byte) (int, error) {
	s := string(p)
	end := ""
	if strings.HasSuffix(s, "\n") {
		s, end = strings.TrimSuffix(s, "\n"), "\n"
	}
	if _, err := io.WriteString(m.w, sanitize(display.OneLine(s))+end); err != nil {
		return 0, err
	}
	return len(p), nil
}
