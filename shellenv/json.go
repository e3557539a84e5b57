package shellenv

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonFormat writes the variables of a Plan as one JSON object,
// {"NAME": "value", …}, in the order given (the caller sorts by name), for
// programs that read kage's output rather than shells that evaluate it.
//
// $ and ` are written \u0024 and \u0060, " as \u0022 and the typographic
// double quotes U+201C–U+201E as \u201c–\u201e: JSON readers decode them,
// and a shell that evaluates the output by mistake reads them as plain
// text (POSIX sh and fish expand $(…) in double quotes; PowerShell, whose
// escape character is the backquote, ends a string at the quote of \" and
// at U+201C).
//
// JSON strings are Unicode: a value that is not valid UTF-8 is refused,
// naming the variable, because encoding/json would silently replace each
// bad byte with U+FFFD. Only Set is allowed; a hook plan is an error.
type jsonFormat struct{}

var _ = register(jsonFormat{})

// Name returns "json".
func (jsonFormat) Name() string { return "json" }

// EvalLine is empty: JSON is read by programs, not evaluated by a shell.
func (jsonFormat) EvalLine() string { return "" }

// Render writes p.Set as a JSON object, one member per line.
func (jsonFormat) Render(p Plan) ([]byte, error) {
	if err := checkPlan("json", p); err != nil {
		return nil, err
	}
	if err := setOnly("json", p); err != nil {
		return nil, err
	}
	if err := requireUTF8("json", p.Set); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeJSONObject(&b, p.Set, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeJSONObject writes vars as a JSON object whose members are indented
// by indent plus two spaces. Values must already be checked to be UTF-8.
func writeJSONObject(b *bytes.Buffer, vars []Var, indent string) {
	if len(vars) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{\n")
	for i, v := range vars {
		b.WriteString(indent + "  ")
		writeJSONString(b, v.Name)
		b.WriteString(": ")
		writeJSONString(b, string(v.Value))
		if i < len(vars)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent + "}")
}

// writeJSONNames writes names as a JSON array on one line.
func writeJSONNames(b *bytes.Buffer, names []string) {
	b.WriteByte('[')
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		writeJSONString(b, n)
	}
	b.WriteByte(']')
}

// writeJSONString writes s as a JSON string. encoding/json does the
// escaping (controls, quotes, backslashes, U+2028/U+2029); HTML escaping is
// off because <, > and & in a secret are nobody's markup here. Then ", $,
// ` and U+201C–U+201E are escaped too (see jsonFormat); outside an escape
// sequence, encoding/json's output holds $, ` and U+201C–U+201E only as
// themselves.
func writeJSONString(b *bytes.Buffer, s string) {
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	// Encoding a string cannot fail; the encoder ends it with a newline,
	// which is dropped.
	_ = e.Encode(s)
	out := enc.Bytes()[:enc.Len()-1]
	b.WriteByte('"')
	out = out[1 : len(out)-1] // the quotes around it
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '\\' && i+1 < len(out) && out[i+1] == '"':
			b.WriteString(`\u0022`)
			i++
		case c == '\\' && i+1 < len(out):
			// Any other escape is copied whole, so that the \\ of an
			// escaped backslash is not read as the start of \".
			b.Write(out[i : i+2])
			i++
		case c == '$' || c == '`':
			fmt.Fprintf(b, `\u%04x`, c)
		case isDoubleCurly(out[i:]):
			fmt.Fprintf(b, `\u%04x`, 0x201c+int(out[i+2]-0x9c))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
