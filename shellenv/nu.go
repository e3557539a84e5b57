package shellenv

import "bytes"

// nu writes JSON for nushell, which cannot evaluate code from a string:
// `kage env --shell nu | from json | load-env`.
//
// A plan with only Set is written as a flat object, {"NAME": "value", …},
// exactly what load-env takes.
//
// Any other plan (the prompt hook's) is written as one object with all five
// members, always present, in this order:
//
//	{
//	  "restore": ["NAME", …],           // give back the saved value or unset
//	  "save":    ["NAME", …],           // keep the current value if set and not yet saved
//	  "set":     {"NAME": "value", …},  // load-env these
//	  "unset":   ["NAME", …],           // hide-env these
//	  "state":   {"KAGE_…": "value", …} // load-env these too
//	}
//
// The nu hook applies them in that order, keeping saved values in the
// record $env.__KAGE_SAVED. A reader tells the two forms apart by the type
// of "set": a record in the hook form, absent or a string in the flat form
// (where it would be a variable named set).
//
// nu strings are UTF-8 only, and Go's encoding/json silently replaces
// invalid UTF-8 with U+FFFD, so a value that is not valid UTF-8 is refused,
// naming the variable.
type nu struct{}

var _ = register(nu{})

// Name returns "nu".
func (nu) Name() string { return "nu" }

// EvalLine is nushell's way to load `kage env` output.
func (nu) EvalLine() string { return "kage env --shell nu | from json | load-env" }

// Render writes p as JSON for nushell; see the type comment for the schema.
func (nu) Render(p Plan) ([]byte, error) {
	if err := checkPlan("nu", p); err != nil {
		return nil, err
	}
	for _, vars := range [][]Var{p.Set, p.State} {
		if err := requireUTF8("nu", vars); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if len(p.Restore)+len(p.Save)+len(p.Unset)+len(p.State) == 0 {
		writeJSONObject(&b, p.Set, "")
		b.WriteByte('\n')
		return b.Bytes(), nil
	}
	b.WriteString("{\n  \"restore\": ")
	writeJSONNames(&b, p.Restore)
	b.WriteString(",\n  \"save\": ")
	writeJSONNames(&b, p.Save)
	b.WriteString(",\n  \"set\": ")
	writeJSONObject(&b, p.Set, "  ")
	b.WriteString(",\n  \"unset\": ")
	writeJSONNames(&b, p.Unset)
	b.WriteString(",\n  \"state\": ")
	writeJSONObject(&b, p.State, "  ")
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}
