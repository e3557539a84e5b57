// Package display writes what kage shows people: paths with ~, scopes as
// they are typed, names from other programs quoted when they would act on
// a terminal, and the shell words of the fixes kage suggests. A folder's
// name, an item's name or a file's content may have been chosen by
// someone else, so none reaches a terminal raw.
package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kage-cli/kage/scope"
)

// Path shows p with ~ for the home folder, as scopes are shown, and
// control characters escaped: an escape sequence in a folder's name would
// act on the terminal.
func Path(p string) string {
	return escapeControl(scope.Scope{Kind: scope.Repo, Path: p}.Display()[len("repo:"):])
}

// escapeControl writes C0 and C1 control characters and DEL as \xNN and
// leaves everything else, invalid UTF-8 included, as it is.
func escapeControl(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			if b.Len() == 0 && i > 0 {
				b.WriteString(s[:i])
			}
			fmt.Fprintf(&b, "\\x%02x", r)
		} else if b.Len() > 0 {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

// Scope shows a canonical scope as people type it (repo:~/code/api), or s
// as it is when it is no scope.
func Scope(s string) string {
	if sc, err := scope.FromCanonical(s); err == nil {
		return sc.Display()
	}
	return s
}

// Safe writes s as it is, or Go-quoted when it is empty or holds control
// characters or invalid UTF-8.
func Safe(s string) string {
	if Printable(s) && s != "" {
		return s
	}
	return strconv.Quote(s)
}

// Printable reports whether s is valid UTF-8 with no character but the
// printable ones and spaces.
func Printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// ShellWord writes s as one POSIX shell word, for the commands kage
// suggests.
func ShellWord(s string) string {
	if s != "" && !needsQuote(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellPath quotes a path Path wrote, leaving a leading ~/ outside the
// quotes so that the shell still expands it.
func ShellPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return "~/" + ShellWord(rest)
	}
	return ShellWord(p)
}

func needsQuote(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_@%+=:,./~-", c) >= 0:
		default:
			return true
		}
	}
	return false
}

// OneLine keeps a message on one line whatever a lower layer put in it.
func OneLine(s string) string {
	if strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0 {
		// Tables call it on every cell: building a Replacer costs far more
		// than the look.
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// JSON writes v as indented JSON, as encoding/json's Encoder with a
// two-space indent, with the C1 controls and DEL escaped too (see
// EscapeJSON).
func JSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(EscapeJSON(b.Bytes()))
	return err
}

// EscapeJSON rewrites DEL and the C1 controls (U+0080 to U+009F) in
// encoding/json's output as \u escapes. encoding/json writes them as they
// are, and some terminals act on a C1 control as on its escape sequence
// (U+009B is CSI): a name or a folder read from a hostile file must not
// reach the terminal as one. In JSON these can only stand inside strings,
// where the escape means the same character.
func EscapeJSON(b []byte) []byte {
	if !bytes.ContainsRune(b, 0x7f) && !bytes.Contains(b, []byte{0xc2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}
