package resolve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer the Masker's timer may write to while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var maskSecrets = []Secret{
	{Name: "API_KEY", Value: []byte("sk-live-0123456789abcdef")},
	{Name: "DB_PASSWORD", Value: []byte("p@ss w/rd+?&=%")},
	{Name: "PIN", Value: []byte("1234")},
	{Name: "PREFIXED", Value: []byte("sk-live-0123")}, // begins API_KEY's value
	{Name: "CERT", Value: []byte(pem)},
}

// pem is a multi-line value with quotes and <, > and &.
const pem = "-----BEGIN KEY-----\nMIIB<x>&\"q\"\n-----END KEY-----\n"

// jsonString is s inside a JSON string, as an encoder that leaves <, >
// and & alone writes it; jsonHTML as json.Marshal does.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

func jsonHTML(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func maskAll(t *testing.T, secrets []Secret, chunks ...string) string {
	t.Helper()
	var out lockedBuffer
	m := NewMasker(&out, secrets)
	for _, c := range chunks {
		if n, err := m.Write([]byte(c)); err != nil || n != len(c) {
			t.Fatalf("Write(%q) = %d, %v", c, n, err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestMaskForms(t *testing.T) {
	key := "sk-live-0123456789abcdef"
	pw := "p@ss w/rd+?&=%"
	for _, tc := range []struct{ in, want string }{
		{"key=" + key + "\n", "key=<kage:API_KEY>\n"},
		{base64.StdEncoding.EncodeToString([]byte(key)), "<kage:API_KEY>"},
		{base64.RawURLEncoding.EncodeToString([]byte(pw)) + ".", "<kage:DB_PASSWORD>."},
		{base64.StdEncoding.EncodeToString([]byte(pw)), "<kage:DB_PASSWORD>"},
		{"u?p=" + url.QueryEscape(pw) + "&x", "u?p=<kage:DB_PASSWORD>&x"},
		{"/" + url.PathEscape(pw) + "/", "/<kage:DB_PASSWORD>/"},
		{`{"key":"` + jsonString(pem) + `"}`, `{"key":"<kage:CERT>"}`},
		{`{"key":"` + jsonHTML(pem) + `"}`, `{"key":"<kage:CERT>"}`},
		// Too short to mask, and a value another begins with: the longer wins.
		{"pin 1234", "pin 1234"},
		{"sk-live-0123 and " + key, "<kage:PREFIXED> and <kage:API_KEY>"},
		{key + key, "<kage:API_KEY><kage:API_KEY>"},
		{"nothing here", "nothing here"},
		{"", ""},
	} {
		if got := maskAll(t, maskSecrets, tc.in); got != tc.want {
			t.Errorf("mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMaskAnyChunking writes the same text in every split in two and in
// random pieces: the output is the same as in one write, and no value is
// ever in it.
func TestMaskAnyChunking(t *testing.T) {
	key := maskSecrets[0].Value
	text := "start " + string(key) + " mid " + base64.StdEncoding.EncodeToString(key) + " sk-live-01 " + string(key[:20]) + " end " + string(key)
	want := maskAll(t, maskSecrets, text)
	if strings.Contains(want, string(key)) || strings.Count(want, "<kage:API_KEY>") != 3 {
		t.Fatalf("one write: %q", want)
	}
	for i := 0; i <= len(text); i++ {
		if got := maskAll(t, maskSecrets, text[:i], text[i:]); got != want {
			t.Fatalf("split at %d: %q, want %q", i, got, want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var chunks []string
		for rest := text; rest != ""; {
			n := min(len(rest), 1+r.IntN(12))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		if got := maskAll(t, maskSecrets, chunks...); got != want {
			t.Fatalf("chunks %q: %q, want %q", chunks, got, want)
		}
	}
}

// TestMaskHoldsAtMost writes the start of a value and stops: it comes out
// by itself soon after, and when the rest of the value follows, the rest
// is the marker, so the value is never written whole.
func TestMaskHoldsAtMost(t *testing.T) {
	var out lockedBuffer
	m := NewMasker(&out, maskSecrets[:2])
	key := string(maskSecrets[0].Value)
	if _, err := m.Write([]byte("token: " + key[:15])); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "token: " {
		t.Fatalf("before the hold ran out: %q, want the text before the value only", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "token: "+key[:15] {
		if time.Now().After(deadline) {
			t.Fatalf("the held bytes never came out: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := m.Write([]byte(key[15:] + " done")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "token: "+key[:15]+"…<kage:API_KEY> done"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestMaskNoSecrets passes everything through.
func TestMaskNoSecrets(t *testing.T) {
	if got := maskAll(t, []Secret{{Name: "PIN", Value: []byte("1234")}}, "a", "1234", "b"); got != "a1234b" {
		t.Fatalf("got %q", got)
	}
}

func TestMaskable(t *testing.T) {
	masked, short := Maskable(maskSecrets)
	if strings.Join(masked, ",") != "API_KEY,DB_PASSWORD,PREFIXED,CERT" || strings.Join(short, ",") != "PIN" {
		t.Fatalf("masked %v, short %v", masked, short)
	}
}

// naiveMask is the Masker's rule written plainly: at each position, the
// longest form of any value that starts there is replaced.
func naiveMask(secrets []Secret, text []byte) []byte {
	var forms [][]byte
	var markers []string
	for _, s := range secrets {
		if len(s.Value) < MinMaskLen {
			continue
		}
		for _, f := range Forms(s.Value) {
			forms = append(forms, f)
			markers = append(markers, "<kage:"+s.Name+">")
		}
	}
	var out []byte
	for i := 0; i < len(text); {
		best := -1
		for j, f := range forms {
			if bytes.HasPrefix(text[i:], f) && (best < 0 || len(f) > len(forms[best])) {
				best = j
			}
		}
		if best < 0 {
			out = append(out, text[i])
			i++
			continue
		}
		out = append(out, markers[best]...)
		i += len(forms[best])
	}
	return out
}

// TestMaskMatchesNaive compares the Masker, fed in random pieces, with
// naiveMask on random texts strewn with values of every length, their
// forms and their beginnings.
func TestMaskMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const chars = "abcAB01+/=_-% "
	for round := range 300 {
		secrets := make([]Secret, 1+r.IntN(6))
		for i := range secrets {
			v := make([]byte, 6+r.IntN(50))
			for j := range v {
				v[j] = chars[r.IntN(len(chars))]
			}
			secrets[i] = Secret{Name: string(rune('A' + i)), Value: v}
		}
		var text []byte
		for range 40 {
			s := secrets[r.IntN(len(secrets))].Value
			forms := Forms(s)
			f := forms[r.IntN(len(forms))]
			switch r.IntN(4) {
			case 0:
				text = append(text, f...)
			case 1:
				text = append(text, f[:r.IntN(len(f))]...)
			default:
				for range r.IntN(20) {
					text = append(text, chars[r.IntN(len(chars))])
				}
			}
		}
		want := naiveMask(secrets, text)
		var out bytes.Buffer
		m := NewMasker(&out, secrets)
		for rest := text; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(70))
			if _, err := m.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("round %d, secrets %q:\ntext %q\ngot  %q\nwant %q", round, secrets, text, out.Bytes(), want)
		}
	}
}

// TestMaskCutValueEndingInMarkerStart: a value that ends in "<", written in
// part on time-out, is not completed by the marker's own "<".
func TestMaskCutValueEndingInMarkerStart(t *testing.T) {
	var out lockedBuffer
	m := NewMasker(&out, []Secret{{Name: "PW", Value: []byte("hunter22<")}})
	if _, err := m.Write([]byte("pw=hunter22")); err != nil {
		t.Fatal(err)
	}
	m.expire()
	if _, err := m.Write([]byte("<\n")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "hunter22<") || got != "pw=hunter22…<kage:PW>\n" {
		t.Fatalf("got %q", got)
	}
	if m.Masked() != 1 {
		t.Fatalf("Masked() = %d", m.Masked())
	}
}
