package shellenv

import (
	"bytes"
	"encoding/json"
)

// jsonFormat writes the variables of a Plan as one JSON object,
// {"NAME": "value", …}, in the order given (the caller sorts by name), for
// programs that read kage's output rather than shells that evaluate it.
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
// off because <, > and & in a secret are nobody's markup here.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	// Encoding a string cannot fail; the encoder ends it with a newline,
	// which is dropped.
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1)
}
