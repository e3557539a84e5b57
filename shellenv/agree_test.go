package shellenv

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kage-cli/kage/internal/hostile"
)

// TestQuotingAgrees checks, without running a shell and for many more
// values than the real-shell tests can afford, the rule that makes every
// format safe in every other shell: in POSIX and fish words no single-
// quoted run holds a backslash (and none can hold a quote), the double-
// quoted runs hold only ', \\ and PowerShell's single curly quotes, and
// nothing but fish's \n, \xHH and \XHH stands outside the quotes; in the
// elvish and JSON strings no $, `, ", \" or U+201C–U+201E appears raw.
func TestQuotingAgrees(t *testing.T) {
	vals := append(hostile.Values("M"), hostile.Random("M", 7, 5000)...)
	for _, v := range vals {
		checkSingleQuoted(t, "posix", posixWord(v.Bytes), v.Label)
		checkSingleQuoted(t, "fish", fishWord(v.Bytes), v.Label)
		e := elvishString(v.Bytes)
		checkDoubleQuoted(t, "elvish", e[1:len(e)-1], v.Label)
		if !utf8Valid(v.Bytes) {
			continue
		}
		var b bytes.Buffer
		writeJSONString(&b, string(v.Bytes))
		j := b.Bytes()
		checkDoubleQuoted(t, "json", j[1:len(j)-1], v.Label)
	}
}

func checkSingleQuoted(t *testing.T, enc string, w []byte, label string) {
	t.Helper()
	state := 0 // 0 outside, 1 in '…', 2 in "…"
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch state {
		case 0:
			switch {
			case c == '\'':
				state = 1
			case c == '"':
				state = 2
			case enc == "fish" && c == '\\' && i+1 < len(w) && w[i+1] == 'n':
				i++
			case enc == "fish" && c == '\\' && i+3 < len(w) && (w[i+1] == 'x' || w[i+1] == 'X'):
				i += 3
			default:
				t.Errorf("%s %s: %q outside the quotes at %d in %q", enc, label, c, i, w)
				return
			}
		case 1:
			switch c {
			case '\'':
				state = 0
				if i+1 < len(w) && w[i+1] == '\'' {
					t.Errorf("%s %s: two single-quoted runs touch at %d in %q (zsh's RC_QUOTES would read a quote)", enc, label, i, w)
				}
			case '\\':
				t.Errorf("%s %s: a backslash inside single quotes at %d in %q", enc, label, i, w)
				return
			}
		case 2:
			switch {
			case c == '"':
				state = 0
			case c == '\'':
			case c == '\\' && i+1 < len(w) && w[i+1] == '\\':
				i++
			case isSingleCurly(w[i:]):
				i += 2
			default:
				t.Errorf("%s %s: %q inside double quotes at %d in %q", enc, label, c, i, w)
				return
			}
		}
	}
	if state != 0 {
		t.Errorf("%s %s: a quote left open in %q", enc, label, w)
	}
}

func checkDoubleQuoted(t *testing.T, enc string, inner []byte, label string) {
	t.Helper()
	for i := 0; i < len(inner); i++ {
		switch c := inner[i]; {
		case c == '\\':
			if i+1 < len(inner) && inner[i+1] == '"' {
				t.Errorf(`%s %s: \" at %d in %q`, enc, label, i, inner)
				return
			}
			i++ // the escaped byte cannot end the string
		case c == '$' || c == '`' || c == '"' || isDoubleCurly(inner[i:]):
			t.Errorf("%s %s: a raw %q at %d in %q", enc, label, c, i, inner)
			return
		}
	}
	if strings.Count(string(inner), "\n") > 0 {
		t.Errorf("%s %s: a raw newline in %q", enc, label, inner)
	}
}
