package shellenv

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// elvish writes code for elvish, read with
// `eval (kage env --shell elvish | slurp)`.
//
// Quoting, measured with elvish 0.19: a value is one double-quoted string.
// Elvish has no interpolation, so (, ) and ' are plain characters there;
// \ is escaped as \\ (a backslash before any other letter is a parse
// error, not a literal). $ and ` are plain to elvish too, but a POSIX shell
// or fish reading this output (detection guessed wrong) would run $(…) or
// `…` inside double quotes, so they are written \x24 and \x60; POSIX double
// quotes read \\ as elvish does and leave \xHH alone. " is written \x22,
// not \": PowerShell, whose escape character is the backquote, would end
// the string at the quote of \". For the same reason the typographic
// double quotes U+201C–U+201E, which also end a PowerShell string, are
// written \u201c, \u201d and \u201e. Elvish refuses a whole
// script that is not valid UTF-8 ("source is not UTF-8"), so each byte of
// invalid UTF-8 is written \xHH, which elvish reads as that raw byte.
// Newline, tab and carriage return are written \n, \t and \r, the other C0
// controls and DEL \xHH: raw they would parse fine, but they would put
// terminal control codes into the output. \xHH takes exactly two digits, so
// a hex digit after it stays literal. Valid non-ASCII UTF-8 stays literal.
//
// Save and Restore keep old values in the map $__kage_saved, which the hook
// declares with `var __kage_saved = [&]`: NAME's value, or $nil if NAME was
// unset, so that a second Save cannot mistake kage's own value for the
// user's. eval only sees the variables of
// the code that calls it: at the prompt that is every global, but a hook
// function must mention $__kage_saved itself (for example
// `nop $__kage_saved`) so that its closure captures it. Without it the
// whole chunk fails to compile and nothing runs.
type elvish struct{}

var _ = register(elvish{})

// Name returns "elvish".
func (elvish) Name() string { return "elvish" }

// EvalLine is elvish's way to run `kage env` output in the current shell.
func (elvish) EvalLine() string { return "eval (kage env --shell elvish | slurp)" }

// Render writes p as elvish code, one line per variable.
func (elvish) Render(p Plan) ([]byte, error) {
	if err := checkPlan("elvish", p); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, n := range p.Restore {
		sv := "$__kage_saved[" + n + "]"
		b.WriteString("if (has-key $__kage_saved " + n + ") { if (eq " + sv + " $nil) { unset-env " + n + " } else { set-env " + n + " " + sv +
			" }; del __kage_saved[" + n + "] } else { unset-env " + n + " }\n")
	}
	for _, n := range p.Save {
		b.WriteString("if (not (has-key $__kage_saved " + n + ")) { if (has-env " + n + ") { set __kage_saved[" + n + "] = (get-env " + n +
			") } else { set __kage_saved[" + n + "] = $nil } }\n")
	}
	// The state goes first: should the code stop half-way, KAGE_LOADED
	// already names every variable this plan sets.
	for _, v := range p.State {
		writeElvishSet(&b, v)
	}
	for _, v := range p.Set {
		writeElvishSet(&b, v)
	}
	for _, n := range p.Unset {
		b.WriteString("unset-env " + n + "\n")
	}
	return b.Bytes(), nil
}

func writeElvishSet(b *bytes.Buffer, v Var) {
	b.WriteString("set-env " + v.Name + " ")
	b.Write(elvishString(v.Value))
	b.WriteByte('\n')
}

// elvishString returns v as one double-quoted elvish string.
func elvishString(v []byte) []byte {
	out := make([]byte, 0, len(v)+2)
	out = append(out, '"')
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '\\':
			out = append(out, '\\', c)
		case c == '"' || c == '$' || c == '`':
			out = fmt.Appendf(out, `\x%02x`, c)
		case c == '\n':
			out = append(out, `\n`...)
		case c == '\t':
			out = append(out, `\t`...)
		case c == '\r':
			out = append(out, `\r`...)
		case c < 0x20 || c == 0x7f:
			out = fmt.Appendf(out, `\x%02x`, c)
		case c < utf8.RuneSelf:
			out = append(out, c)
		default:
			r, size := utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && size <= 1 {
				out = fmt.Appendf(out, `\x%02x`, c)
				break
			}
			if isDoubleCurly(v[i:]) {
				out = fmt.Appendf(out, `\u%04x`, r)
			} else {
				out = append(out, v[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(out, '"')
}
