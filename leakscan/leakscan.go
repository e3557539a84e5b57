// Package leakscan finds secret values where they should not be: in a
// work tree, in the transcripts and histories coding agents keep, in the
// blobs of a repository's history. It looks for every spelling a value
// takes on its way into such files (Forms) and reports where it found
// one by path, line, name and scope: never the value, nor any part of it.
//
// A Scanner is built once from the values, and is safe for use by
// several goroutines at once.
package leakscan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/multimatch"
	"github.com/kage-cli/kage/resolve"
)

// MinLen is the length of the shortest value searched for: a shorter one
// ("true", "8080", a PIN) turns up by chance everywhere, as for the
// masking filter.
const MinLen = resolve.MinMaskLen

// DefaultMaxSize is the size past which a file is skipped unless asked
// for: agent transcripts run to tens of MiB, and a file larger than this
// is most often data, not text someone pasted a token into.
const DefaultMaxSize = 64 << 20

// sniffLen is how much of a file is looked at to tell a binary one: a
// NUL byte in it, as git and grep tell.
const sniffLen = 8000

// chunk is how much of a file is read at a time.
const chunk = 1 << 20

var buffers = sync.Pool{New: func() any { return new([]byte) }}

// Secret is a value to look for, with the name and scope a finding
// reports.
type Secret struct {
	Name  string
	Scope string
	Value []byte
}

// Finding is one place a value was found: the file (or, for a blob of a
// repository's history, the blob's id and a path it had), the line, which
// secret, and in which spelling (Form's labels).
type Finding struct {
	Path  string `json:"path"`
	Blob  string `json:"blob,omitempty"`
	Line  int    `json:"line"`
	Name  string `json:"name"`
	Scope string `json:"scope"`
	Form  string `json:"form"`
}

// Form is one spelling of a value and its label.
type Form struct {
	Label string
	Text  []byte
}

// Forms are the spellings Reader looks for, labelled: the raw bytes
// ("raw"); the value in standard and URL-safe base64 at each of the three
// alignments it can take inside a longer base64 text, without the
// characters it shares with the bytes around it ("base64",
// "base64url"); its percent-encodings ("percent"); the inside of a JSON
// string holding it ("json"); and the inside of a single- or
// double-quoted shell word, or the word with backslashes, as a shell
// history or a script holds it ("shell"). A spelling that is the same as
// one before it is left out.
func Forms(v []byte) []Form {
	var out []Form
	add := func(label string, t []byte) {
		if len(t) < multimatch.KeyLen || slices.ContainsFunc(out, func(f Form) bool { return bytes.Equal(f.Text, t) }) {
			return
		}
		out = append(out, Form{label, t})
	}
	add("raw", v)
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		add("base64", []byte(e.EncodeToString(v)))
	}
	for _, e := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding} {
		add("base64url", []byte(e.EncodeToString(v)))
	}
	add("percent", []byte(url.QueryEscape(string(v))))
	add("percent", []byte(url.PathEscape(string(v))))
	add("json", jsonBody(v, false))
	add("json", jsonBody(v, true))
	for _, enc := range []struct {
		label string
		e     *base64.Encoding
	}{{"base64", base64.RawStdEncoding}, {"base64url", base64.RawURLEncoding}} {
		for a := range 3 {
			add(enc.label, aligned(enc.e, v, a))
		}
	}
	s := string(v)
	add("shell", []byte(strings.ReplaceAll(s, `'`, `'\''`)))
	add("shell", []byte(doubleQuoted.Replace(s)))
	add("shell", []byte(backslashed.Replace(s)))
	return out
}

// jsonBody is v as encoding/json writes it inside a string, with or
// without its escaping of <, > and &; nil for invalid UTF-8, which a
// JSON string cannot hold as it is.
func jsonBody(v []byte, escapeHTML bool) []byte {
	if !utf8.Valid(v) {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(string(v)) != nil {
		return nil
	}
	body := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return body[1 : len(body)-1]
}

// aligned is the part of v's base64 that does not depend on the bytes
// around it when v starts a bytes into a group of three: the characters
// of the first group that also encode the bytes before v, and of the last
// that also encode those after it, are dropped.
func aligned(e *base64.Encoding, v []byte, a int) []byte {
	pre := make([]byte, a, a+len(v))
	enc := []byte(e.EncodeToString(append(pre, v...)))
	skip := []int{0, 2, 3}[a]
	end := len(enc)
	if (a+len(v))%3 != 0 {
		end--
	}
	if end <= skip {
		return nil
	}
	return enc[skip:end]
}

var (
	doubleQuoted = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	backslashed  = strings.NewReplacer(`\`, `\\`, `'`, `\'`, `"`, `\"`, `$`, `\$`, "`", "\\`", ` `, `\ `,
		`;`, `\;`, `&`, `\&`, `|`, `\|`, `(`, `\(`, `)`, `\)`, `<`, `\<`, `>`, `\>`, `*`, `\*`, `?`, `\?`,
		`[`, `\[`, `]`, `\]`, `{`, `\{`, `}`, `\}`, `!`, `\!`, `#`, `\#`, `~`, `\~`)
)

// pattern is what one of the matcher's patterns stands for.
type pattern struct {
	secret int
	form   string
}

// Scanner looks for a set of values.
type Scanner struct {
	m       *multimatch.Matcher
	pats    []pattern
	secrets []Secret
}

// New returns a Scanner for every value at least MinLen long; short
// names the secrets left out for being shorter. Secrets with the same
// value are reported each.
func New(secrets []Secret) (s *Scanner, short []string) {
	s = &Scanner{secrets: secrets}
	var texts [][]byte
	for i, sec := range secrets {
		if len(sec.Value) < MinLen {
			short = append(short, sec.Name)
			continue
		}
		for _, f := range Forms(sec.Value) {
			texts = append(texts, f.Text)
			s.pats = append(s.pats, pattern{secret: i, form: f.Label})
		}
	}
	s.m = multimatch.New(texts)
	return s, short
}

// Empty reports whether there is nothing to look for.
func (s *Scanner) Empty() bool { return s.m.Empty() }

// ErrBinary is Reader's error for a stream that looks binary (a NUL byte
// in its first 8,000 bytes), when binary streams are not searched.
var ErrBinary = errors.New("binary")

// Reader searches r, named path in the findings, and returns what it
// found: one finding per line and secret, whatever the number of
// spellings or times it is there. With binary false, a stream that
// looks binary gives ErrBinary and no findings.
func (s *Scanner) Reader(r io.Reader, path string, binary bool) ([]Finding, error) {
	if s.m.Empty() {
		return nil, nil
	}
	keep := s.m.MaxLen() - 1
	// A buffer from the pool: a tree of small files would otherwise cost
	// a megabyte of garbage each.
	pb := buffers.Get().(*[]byte)
	defer buffers.Put(pb)
	if cap(*pb) < chunk+keep {
		*pb = make([]byte, 0, chunk+keep)
	}
	buf := (*pb)[:0]
	var out []Finding
	type seen struct{ line, secret int }
	found := map[seen]bool{}
	// line is the line number at buf[0]; counted up to counted.
	line, counted := 1, 0
	first := true
	for {
		n, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+n]
		if first {
			first = false
			if !binary && bytes.IndexByte(buf[:min(len(buf), sniffLen)], 0) >= 0 {
				return nil, ErrBinary
			}
		}
		for from := 0; ; {
			start, end, id := s.m.Next(buf, from)
			if id < 0 {
				break
			}
			line += bytes.Count(buf[counted:start], []byte{'\n'})
			counted = start
			p := s.pats[id]
			if k := (seen{line, p.secret}); !found[k] {
				found[k] = true
				sec := s.secrets[p.secret]
				out = append(out, Finding{Path: path, Line: line, Name: sec.Name, Scope: sec.Scope, Form: p.form})
			}
			from = end
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		// Keep the last bytes, which may begin a value the next piece
		// ends; a value wholly inside them was found already, and is
		// found again on the same line, which found remembers.
		cut := max(len(buf)-keep, 0)
		if counted <= cut {
			line += bytes.Count(buf[counted:cut], []byte{'\n'})
			counted = 0
		} else {
			counted -= cut
		}
		buf = append(buf[:0], buf[cut:]...)
	}
}
