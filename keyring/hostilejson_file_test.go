package keyring

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

const hostileStore = "00112233445566778899aabbccddeeff"

// canonicalPlain is a plaintext exactly as write puts it together.
func canonicalPlain(t testing.TB, ss []fileSecret) []byte {
	t.Helper()
	b := []byte(`{"version":2,"payload":`)
	b, err := appendPayload(b, filePayload{Store: hostileStore, Generation: 7, Secrets: ss})
	if err != nil {
		t.Fatal(err)
	}
	return append(b, `,"macs":["AAAA","AQID"]}`...)
}

// generalEnvelope runs parseEnvelope's encoding/json path on plain: a
// leading blank keeps parseWritten from taking it, and changes nothing
// else (the payload's bytes are the same bytes).
func generalEnvelope(plain []byte) (envelope, bool, error) {
	return parseEnvelope(append([]byte(" "), plain...))
}

func checkParseWritten(t *testing.T, plain []byte) {
	t.Helper()
	orig := bytes.Clone(plain)
	got, ok := parseWritten(plain)
	if !bytes.Equal(orig, plain) {
		t.Fatal("parseWritten changed its input")
	}
	if !ok {
		return
	}
	want, _, err := generalEnvelope(plain)
	if err != nil {
		t.Fatalf("parseWritten took %q, which the general parser refuses: %v", trunc(plain), err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nparseWritten %+v\ngeneral      %+v", trunc(plain), got, want)
	}
	// And against plain encoding/json, independently of parseEnvelope.
	var raw struct {
		Version int             `json:"version"`
		Payload json.RawMessage `json:"payload"`
		Macs    [][]byte        `json:"macs"`
	}
	if err := json.Unmarshal(plain, &raw); err != nil {
		t.Fatalf("json.Unmarshal refuses %q: %v", trunc(plain), err)
	}
	var p filePayload
	if err := json.Unmarshal(raw.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if raw.Version != got.version || !bytes.Equal(raw.Payload, got.payload) || !reflect.DeepEqual(p, got.p) || !reflect.DeepEqual(raw.Macs, got.macs) {
		t.Fatalf("%q: parseWritten differs from encoding/json", trunc(plain))
	}
}

func hostileWrittenInputs(t testing.TB) []string {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	canon := string(canonicalPlain(t, []fileSecret{
		{Scope: "global", Name: "A", Value: []byte("v"), Created: t0, Updated: t0},
		{Scope: "repo:/x/é", Name: "B", Value: []byte{}, Created: t0, Updated: t0.Add(time.Hour)},
	}))
	rep := func(old, new string) string { return strings.Replace(canon, old, new, 1) }
	return []string{
		canon,
		string(canonicalPlain(t, []fileSecret{})),
		`{"version":2,"payload":{"store":"x","generation":0,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":0,"secrets":[]},"macs":[]}`,
		`{"version":2,"payload":{"store":"x","generation":0,"secrets":[]},"macs":["AAAA"]} `,
		`{"version":2,"payload":{"store":"x","generation":18446744073709551615,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":18446744073709551616,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":00,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":1e2,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":-0,"secrets":[]}}`,
		`{"version":2,"payload":{"store":"x","generation":1.0,"secrets":[]}}`,
		rep(`"value":"dg=="`, `"value":"dg"`),
		rep(`"value":"dg=="`, `"value":"dh=="`),
		rep(`"value":"dg=="`, `"value":"d g=="`),
		rep(`"value":"dg=="`, "\"value\":\"dg\r\n==\""),
		rep(`"value":"dg=="`, `"value":"dg=\u003d"`),
		rep(`"value":"dg=="`, `"value":"-_8="`),
		rep(`"value":"dg=="`, `"value":null`),
		rep(`"name":"A"`, `"name":"A\u0000"`),
		rep(`"name":"A"`, "\"name\":\"A\xff\""),
		rep(`"name":"A"`, "\"name\":\"A\xed\xa0\x80\""),
		rep(`"scope":"global"`, "\"scope\":\"glob\xc3\""),
		rep(`"scope":"global"`, `"Scope":"global"`),
		rep(`"macs":["AAAA"`, `"macs":["AAAA","AAAA"`),
		rep(`"macs":["AAAA"`, `"MACS":["AAAA"`),
		rep(`"version":2`, `"version":1`),
		rep(`"created":"2026-01-02T03:04:05.000000006Z"`, `"created":"2026-01-02T03:04:05.000000006+01:00"`),
		rep(`"created":"2026-01-02T03:04:05.000000006Z"`, `"created":"2026-01-02T03:04:05.000000006z"`),
		rep(`"created":"2026-01-02T03:04:05.000000006Z"`, `"created":"2026-01-02T03:04:05,000000006Z"`),
		rep(`"created":"2026-01-02T03:04:05.000000006Z"`, `"created":"2026-01-02T03:04:05+24:00"`),
		rep(`"created":"2026-01-02T03:04:05.000000006Z"`, `"created":null`),
		canon + " ", canon + "}", " " + canon, "\xef\xbb\xbf" + canon, canon[:len(canon)-1],
		strings.Replace(canon, `]},"macs"`, `],"x":1},"macs"`, 1),
		strings.Replace(canon, `]},"macs"`, `],"store":"y"},"macs"`, 1),
		strings.Replace(canon, `},{"scope"`, `},,{"scope"`, 1),
		strings.Replace(canon, `},{"scope"`, `}{"scope"`, 1),
		strings.Replace(canon, `"macs":["AAAA","AQID"]`, `"macs":["AAAA",]`, 1),
		strings.Replace(canon, `"macs":["AAAA","AQID"]`, `"macs":[,"AAAA"]`, 1),
		strings.Replace(canon, `"macs":["AAAA","AQID"]`, `"macs":["AAAA""AQID"]`, 1),
	}
}

func TestHostileJSONParseWrittenAdversarial(t *testing.T) {
	for _, in := range hostileWrittenInputs(t) {
		checkParseWritten(t, []byte(in))
	}
	// What write writes must take the fast path.
	if _, ok := parseWritten([]byte(hostileWrittenInputs(t)[0])); !ok {
		t.Fatal("parseWritten refuses kage's own canonical plaintext")
	}
}

func FuzzHostileJSONParseWritten(f *testing.F) {
	for _, in := range hostileWrittenInputs(f) {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParseWritten(t, data) })
}

// TestHostileJSONParseWrittenReserve: parseWritten reserves its secrets slice
// from a count of `{"scope":` anywhere after "secrets":[ — a hostile
// plaintext made of that literal alone makes it allocate about 11 times
// the plaintext (104-byte fileSecret per 9 input bytes) before it finds
// the second entry malformed and falls back. The index decoder bounds the
// same reserve; this one should too.
func TestHostileJSONParseWrittenReserve(t *testing.T) {
	prefix := `{"version":2,"payload":{"store":"x","generation":1,"secrets":[`
	plain := []byte(prefix + strings.Repeat(`{"scope":`, 1<<20)) // 9 MiB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, ok := parseWritten(plain); ok {
		t.Fatal("parseWritten took a malformed plaintext")
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 2*uint64(len(plain)) {
		t.Fatalf("parseWritten of a %d-byte malformed plaintext allocated %d bytes (%.1fx); at maxFileSize (64 MiB) that is ~%d MiB",
			len(plain), alloc, float64(alloc)/float64(len(plain)), (alloc*64)/uint64(len(plain)))
	}
}

// --- encoder ---

func checkAppendPayload(t *testing.T, p filePayload) {
	t.Helper()
	prefix := []byte("PREFIX")
	got, gerr := appendPayload(bytes.Clone(prefix), p)
	want, werr := json.Marshal(p)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%+v: appendPayload err %v, json.Marshal err %v", p, gerr, werr)
	}
	if gerr != nil {
		return
	}
	if !bytes.Equal(got, append(prefix, want...)) {
		t.Fatalf("%+v:\nappendPayload %q\njson.Marshal  %q", p, got[len(prefix):], want)
	}
}

var hostileEncStrings = []string{
	"", "global", "a<b", "a>b", "a&b", "\u2028", "\u2029", "\x7f", "\x00", "\x1f", "\t", "\n",
	"\"", "\\", "/", "\xff", "\xed\xa0\x80", "\xef\xbf\xbd", "é", "\U0001F600", "<script>",
	"repo:/home/dev/My Projects/x~1", "a\xc3", "\u00a0",
}

func TestHostileJSONAppendPayloadAdversarial(t *testing.T) {
	times := []time.Time{
		{}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600+7)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -23*3600-59*60)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now(), time.Unix(0, 0),
	}
	for _, s := range hostileEncStrings {
		for _, v := range [][]byte{nil, {}, {0}, []byte("hello"), {0xff, 0xfe}} {
			for _, tm := range times {
				checkAppendPayload(t, filePayload{Store: s, Generation: 1, Secrets: []fileSecret{{Scope: s, Name: "A", Value: v, Created: tm, Updated: tm}}})
				checkAppendPayload(t, filePayload{Store: "s", Generation: ^uint64(0), Secrets: []fileSecret{{Scope: "g", Name: s, Value: v, Created: tm, Updated: tm}}})
			}
		}
	}
	checkAppendPayload(t, filePayload{Store: "s"})
	checkAppendPayload(t, filePayload{Store: "s", Secrets: []fileSecret{}})
	checkAppendPayload(t, filePayload{Store: "<", Secrets: nil})
}

func FuzzHostileJSONAppendPayload(f *testing.F) {
	for _, s := range hostileEncStrings {
		f.Add(s, s, s, []byte(s), uint64(1), int64(0), int64(0), 0, true)
	}
	f.Fuzz(func(t *testing.T, store, scope, name string, value []byte, gen uint64, sec, nsec int64, off int, nilValue bool) {
		if nilValue && len(value) == 0 {
			value = nil
		}
		tm := time.Unix(sec, nsec).In(time.FixedZone("z", off%(100*3600)))
		p := filePayload{Store: store, Generation: gen, Secrets: []fileSecret{
			{Scope: "global", Name: "A", Value: []byte("x"), Created: tm, Updated: tm},
			{Scope: scope, Name: name, Value: value, Created: tm, Updated: tm.Add(time.Second)},
		}}
		checkAppendPayload(t, p)
		// Round trip: what the encoder writes parses back, by either path,
		// to the same envelope.
		b, err := appendPayload([]byte(`{"version":2,"payload":`), p)
		if err != nil {
			return
		}
		b = append(b, '}')
		checkParseWritten(t, b)
	})
}
