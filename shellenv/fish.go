package shellenv

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// fish writes code for the fish shell (3.x), read with
// `kage env --shell fish | source`.
//
// Quoting, measured with fish 3.6: a value is a run of single-quoted parts,
// double-quoted parts and bare escapes that fish joins into one word.
// Inside fish's single quotes \\ and \' are escapes, and POSIX shells read
// a backslash there as itself; so that a POSIX shell reading this output
// (detection guessed wrong) agrees on where each quote ends, no single
// quote and no backslash goes inside single quotes: they are written in
// double quotes, "'" and "\\", which fish, POSIX sh and elvish read alike.
// These bytes are written outside the quotes:
//   - a newline as \n, so each variable stays on one line of the output;
//   - the other C0 controls and DEL as \xHH, so no terminal control code
//     and no carriage return reaches the output raw;
//   - each byte of invalid UTF-8 as \XHH, fish's escape for one raw byte.
//
// The typographic single quotes U+2018–U+201B, which end a PowerShell
// single-quoted string, are written in double quotes too. No $ is ever
// inside double quotes, where fish would expand it.
//
// Everything else, valid non-ASCII UTF-8 included, stays literal inside
// the quotes. fish 3.6 does keep raw invalid bytes and its private-use
// encoding range (U+F600–U+F6FF) intact even inside quotes, but \XHH does
// not depend on the locale or the fish version. Measured with LC_ALL=C too:
// values set this way reach child programs byte for byte. (In the C locale
// fish itself re-encodes a non-ASCII value it inherited from its parent,
// reading each byte as Latin-1, so a value Restore brings back can differ
// there; that happens with or without kage.)
//
// set stops reading options at the variable name, so a value starting with
// a dash is not taken for an option.
//
// Save records what NAME was before kage replaced it, in global unexported
// variables (set -g without -x): its value, list and all, in
// __kage_saved_NAME, or __kage_unset_NAME if it was unset, so that a second
// Save cannot mistake kage's own value for the user's. Unset and Restore
// erase only the global variable (set -e -g): a plain set -e would erase a
// universal variable of the same name, which fish keeps on disk across
// sessions. Erases are guarded by set -q: erasing a missing variable sets
// status 4, which would become the status of `source`.
type fish struct{}

var _ = register(fish{})

// Name returns "fish".
func (fish) Name() string { return "fish" }

// EvalLine is fish's way to run `kage env` output in the current shell.
func (fish) EvalLine() string { return "kage env --shell fish | source" }

// Render writes p as fish code, one line per variable.
func (fish) Render(p Plan) ([]byte, error) {
	if err := checkPlan("fish", p); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, n := range p.Restore {
		sv, uv := savedVar(n), unsetVar(n)
		b.WriteString("if set -q -g " + sv + "; set -gx " + n + " $" + sv + "; set -e -g " + sv +
			"; else if set -q -g " + n + "; set -e -g " + n + "; end; if set -q -g " + uv + "; set -e -g " + uv + "; end\n")
	}
	for _, n := range p.Save {
		sv, uv := savedVar(n), unsetVar(n)
		b.WriteString("if not set -q -g " + sv + "; and not set -q -g " + uv + "; if set -q " + n +
			"; set -g " + sv + " $" + n + "; else; set -g " + uv + " 1; end; end\n")
	}
	// The state goes first: should a set fail or the code stop half-way,
	// KAGE_LOADED already names every variable this plan sets.
	for _, v := range p.State {
		writeFishSet(&b, v)
	}
	for _, v := range p.Set {
		writeFishSet(&b, v)
	}
	for _, n := range p.Unset {
		b.WriteString("if set -q -g " + n + "; set -e -g " + n + "; end\n")
	}
	return b.Bytes(), nil
}

func writeFishSet(b *bytes.Buffer, v Var) {
	b.WriteString("set -gx " + v.Name + " ")
	b.Write(fishWord(v.Value))
	b.WriteByte('\n')
}

// fishWord returns v as one fish word; see the type comment for the rule.
func fishWord(v []byte) []byte {
	if len(v) == 0 {
		return []byte("''")
	}
	out := make([]byte, 0, len(v)+2)
	// 0: outside any quote, 1: inside '…', 2: inside "…".
	state := 0
	to := func(s int) {
		if state == s {
			return
		}
		switch state {
		case 1:
			out = append(out, '\'')
		case 2:
			out = append(out, '"')
		}
		switch s {
		case 1:
			out = append(out, '\'')
		case 2:
			out = append(out, '"')
		}
		state = s
	}
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '\n':
			to(0)
			out = append(out, `\n`...)
			i++
		case c < 0x20 || c == 0x7f:
			to(0)
			out = fmt.Appendf(out, `\x%02x`, c)
			i++
		case c == '\'':
			to(2)
			out = append(out, c)
			i++
		case c == '\\':
			to(2)
			out = append(out, `\\`...)
			i++
		case c < utf8.RuneSelf:
			to(1)
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && size <= 1 {
				to(0)
				out = fmt.Appendf(out, `\X%02X`, c)
				i++
				continue
			}
			if isSingleCurly(v[i:]) {
				to(2)
			} else {
				to(1)
			}
			out = append(out, v[i:i+size]...)
			i += size
		}
	}
	to(0)
	return out
}
