package shellenv

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// dotenv writes a .env file for tools that read one; it is not evaluated by
// kage's shells and only sets variables (a hook plan is an error).
//
// The format, which `kage secret import` reads back byte for byte, is one
// line per variable:
//
//	NAME="value"
//
// NAME matches [A-Za-z_][A-Za-z0-9_]*. The value is always double-quoted
// and never spans lines. Inside the quotes a backslash starts one of these
// escapes, and no other:
//
//	\\  backslash        \"  double quote
//	\$  dollar sign      \`  backquote
//	\n  newline (LF)     \r  carriage return
//	\t  tab              \xHH  the byte 0xHH (two lower-case hex digits, 01–ff)
//
// Every other byte stands for itself. The writer uses \xHH for the C0
// controls other than LF, CR and TAB, for DEL, and for each byte of invalid
// UTF-8, so the file is valid UTF-8 text without control characters; valid
// non-ASCII UTF-8 is written as is. Any byte 1–255 therefore round-trips.
//
// $ and ` are escaped so that readers which interpolate ${VAR} in double
// quotes (docker compose, python-dotenv) do not, and so that a file someone
// runs with `sh -c '. ./.env'` runs no command: in sh's double quotes \\, \",
// \$ and \` are escapes too, and what remains (\n, \xHH) stays literal text.
type dotenv struct{}

var _ = register(dotenv{})

// Name returns "dotenv".
func (dotenv) Name() string { return "dotenv" }

// EvalLine is empty: a .env file is read by tools, not evaluated.
func (dotenv) EvalLine() string { return "" }

// Render writes p.Set as a .env file; see the type comment for the format.
func (dotenv) Render(p Plan) ([]byte, error) {
	if err := checkPlan("dotenv", p); err != nil {
		return nil, err
	}
	if err := setOnly("dotenv", p); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, v := range p.Set {
		b.WriteString(v.Name + "=")
		b.Write(dotenvString(v.Value))
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// dotenvString returns v as one double-quoted dotenv value.
func dotenvString(v []byte) []byte {
	out := make([]byte, 0, len(v)+2)
	out = append(out, '"')
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '\\' || c == '"' || c == '$' || c == '`':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, `\n`...)
		case c == '\r':
			out = append(out, `\r`...)
		case c == '\t':
			out = append(out, `\t`...)
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
			out = append(out, v[i:i+size]...)
			i += size
			continue
		}
		i++
	}
	return append(out, '"')
}
