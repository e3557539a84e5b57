package keyring

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// hostileIndexInputs are adversarial index files: decodeIndex must either
// decode them exactly as atomicfile.DecodeJSON does, or leave them to it.
var hostileIndexInputs = []string{
	// case-insensitive keys, which encoding/json accepts
	`{"Version":1,"secrets":[]}`,
	`{"version":1,"SECRETS":[{"Scope":"global","Name":"A"}]}`,
	`{"version":1,"secrets":[{"ſcope":"global","name":"A"}]}`, // U+017F folds to s
	`{"version":1,"secrets":[{"scope":"global","name":"A","created":"2026-01-02T03:04:05Z","uPdated":"2026-01-02T03:04:05Z"}]}`,
	// escaped keys
	`{"\u0076ersion":1,"secrets":[]}`,
	`{"version":1,"secrets":[{"\u0073cope":"global","name":"A"}]}`,
	// duplicates
	`{"version":1,"secrets":[],"secrets":[{"scope":"g","name":"A"}]}`,
	`{"version":1,"secrets":[{"scope":"a","scope":"b","name":"A"}]}`,
	`{"version":1,"version":1,"secrets":[]}`,
	// strings
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\\u0000\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\x00\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\x7f\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\\ud800\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\xed\xa0\x80\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\xc0\x80\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\xf4\x90\x80\x80\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\xef\xbf\xbd\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\",\"name\":\"\xe2\x80\xa8\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"g\xff\",\"name\":\"A\"}]}",
	"{\"version\":1,\"secrets\":[{\"scope\":\"\",\"name\":\"\"}]}",
	// numbers
	`{"version":1e0,"secrets":[]}`, `{"version":1E0,"secrets":[]}`, `{"version":-0,"secrets":[]}`,
	`{"version":0,"secrets":[]}`, `{"version":00,"secrets":[]}`, `{"version":01,"secrets":[]}`,
	`{"version":1.0,"secrets":[]}`, `{"version":10e-1,"secrets":[]}`, `{"version":999999999,"secrets":[]}`,
	`{"version":9223372036854775807,"secrets":[]}`, `{"version":9223372036854775808,"secrets":[]}`,
	`{"version":1` + strings.Repeat("0", 400) + `,"secrets":[]}`,
	`{"version":1}`, `{"version":1 }`, "{\"version\":1\t}", `{"version":1]`, `{"version":1"secrets":[]}`,
	`{"version":+1}`, `{"version":1x}`, `{"version":true}`, `{"version":null}`,
	// nulls
	`{"version":1,"secrets":null}`, `{"version":null,"secrets":[]}`, `{"version":1,"secrets":[null]}`,
	`{"version":1,"secrets":[{"scope":null,"name":null,"created":null,"updated":null}]}`,
	// BOM, trailing garbage, white space
	"\xef\xbb\xbf{\"version\":1}", "{\"version\":1}\xef\xbb\xbf", "{\"version\":1}\x00",
	"{\"version\":1}\f", "{\"version\":1}\v", "\f{\"version\":1}", "{\"version\":1}\u00a0",
	`{"version":1}]`, `{"version":1}}`, `{"version":1} null`, `{"version":1}/*c*/`,
	// times
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05+00:00"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05-00:00"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02t03:04:05z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05,5Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05.Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05.1234567891Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T24:00:00Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-02-30T00:00:00Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"0000-01-01T00:00:00Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"9999-12-31T23:59:59.999999999+23:59"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05+24:00"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:60Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05 Z"}]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05+01:00"}]}`,
	// structure
	`{"version":1,"secrets":[{}]}`, `{"version":1,"secrets":[{},{}]}`, `{"version":1,"secrets":[[]]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A"}],}`, `{,"version":1}`, `{"version":1,}`,
	`{"version":1,"secrets":[,]}`, `{"version":1,"secrets":[{"scope":"g","name":"A"},]}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A","a":1,"b":2}]}`,
	`{"version":1,"secrets":` + strings.Repeat("[", 100000) + `}`,
	`{"version":1,"secrets":[{"scope":"g","name":"A"` + strings.Repeat(",", 3) + `}]}`,
	`{"version":1,"secrets":[` + strings.Repeat(`{},`, 70000) + `{}]}`,
	`{"version":1,"secrets":[]` + strings.Repeat(" ", 1<<20) + `}`,
	`{ }`, `{`, `}`, `"`, `{"`, `{"version"`, `{"version":`, `{"version":1,"secrets":[`,
	`{"version":1,"secrets":[{`, `{"version":1,"secrets":[{"scope"`, `{"version":1,"secrets":[{"scope":"g"`,
	`{"version":1,"secrets":[{"scope":"g",`, `{"version":1,"secrets":[{"scope":"g"}`,
}

func TestHostileJSONDecodeIndexAdversarial(t *testing.T) {
	for _, in := range hostileIndexInputs {
		checkHostileIndex(t, []byte(in))
	}
}

func FuzzHostileJSONDecodeIndex(f *testing.F) {
	for _, in := range append(append([]string{}, indexInputs...), hostileIndexInputs...) {
		if len(in) < 4096 {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkHostileIndex(t, data) })
}

// checkHostileIndex: when decodeIndex accepts, the strict decoder accepts
// too, with the same result — into a fresh value and into the value the
// caller (Index.Load) actually hands it; decodeIndex never changes data.
func checkHostileIndex(t *testing.T, data []byte) {
	t.Helper()
	orig := bytes.Clone(data)
	got, ok := decodeIndex(data)
	if !bytes.Equal(orig, data) {
		t.Fatalf("decodeIndex changed its input")
	}
	if !ok {
		if !reflect.DeepEqual(got, indexFile{}) {
			t.Fatalf("%q: ok=false but result %+v is not zero (Load decodes into it)", data, got)
		}
		return
	}
	var want indexFile
	if err := atomicfile.DecodeJSON(data, &want); err != nil {
		t.Fatalf("decodeIndex took %q, which the strict decoder refuses: %v", trunc(data), err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeIndex gives %+v, the strict decoder %+v", trunc(data), got, want)
	}
	if (got.Secrets == nil) != (want.Secrets == nil) {
		t.Fatalf("%q: nil-ness differs", trunc(data))
	}
}

func trunc(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}
