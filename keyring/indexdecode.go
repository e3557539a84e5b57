package keyring

import (
	"time"
	"unicode/utf8"
)

// decodeIndex parses an index in the layout kage writes, several times
// faster than encoding/json, which dominated `kage secret list` over a
// large store. It accepts only a subset of what the strict decoder
// (atomicfile.DecodeJSON) accepts, and for that subset yields exactly what
// the strict decoder yields: keys spelled exactly as the fields are tagged,
// each at most once; strings with no escape, no control character and
// valid UTF-8; a version of plain digits; times parsed by the very
// time.Time.UnmarshalJSON encoding/json calls; nothing after the object but
// white space. For anything else ok is false and the caller decodes with
// the strict decoder, whose result and error stand. The index may have
// been written by someone else: this is why the fast path never has to
// decide what the file means, only to recognise the simple case.
func decodeIndex(data []byte) (f indexFile, ok bool) {
	d := indexDecoder{data: data, scopes: map[string]string{}}
	if !d.object(func(key []byte) bool {
		switch string(key) {
		case "version":
			return d.version(&f.Version)
		case "secrets":
			return d.entries(&f.Secrets)
		}
		return false
	}) {
		return indexFile{}, false
	}
	d.space()
	if d.i != len(d.data) {
		return indexFile{}, false
	}
	return f, true
}

type indexDecoder struct {
	data []byte
	i    int
	// scopes holds each scope string once: a store has thousands of
	// secrets in a handful of scopes.
	scopes map[string]string
}

// space skips JSON white space.
func (d *indexDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (d *indexDecoder) next(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}; field reads the value of each key and
// reports whether it could. A key seen twice is left to the strict decoder
// (which keeps the last).
func (d *indexDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	var seen [4][]byte
	n := 0
	for {
		d.space()
		start, end, ok := d.str()
		if !ok || !d.next(':') {
			return false
		}
		key := d.data[start:end]
		for _, k := range seen[:n] {
			if string(k) == string(key) {
				return false
			}
		}
		if n == len(seen) {
			return false
		}
		seen[n] = key
		n++
		d.space()
		if !field(key) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// str reads a string with nothing to unescape and returns where its
// content starts and ends, quotes excluded.
func (d *indexDecoder) str() (start, end int, ok bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return 0, 0, false
	}
	start = d.i + 1
	ascii := true
	for j := start; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(d.data[start:j]) {
				// encoding/json would replace the bad bytes.
				return 0, 0, false
			}
			d.i = j + 1
			return start, j, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, 0, false
}

// string reads a string value into s.
func (d *indexDecoder) string(s *string) bool {
	start, end, ok := d.str()
	if ok {
		*s = string(d.data[start:end])
	}
	return ok
}

// scope reads a string value into s, sharing the string with the other
// entries of the same scope.
func (d *indexDecoder) scope(s *string) bool {
	start, end, ok := d.str()
	if !ok {
		return false
	}
	b := d.data[start:end]
	if known, seen := d.scopes[string(b)]; seen {
		*s = known
		return true
	}
	*s = string(b)
	d.scopes[*s] = *s
	return true
}

// time reads a string value into t the way encoding/json does: by handing
// the quoted literal to t's UnmarshalJSON.
func (d *indexDecoder) time(t *time.Time) bool {
	start, end, ok := d.str()
	return ok && t.UnmarshalJSON(d.data[start-1:end+1]) == nil
}

// version reads a number of at most nine digits, with no sign, fraction,
// exponent or leading zero, into v.
func (d *indexDecoder) version(v *int) bool {
	n, digits := 0, 0
	for ; d.i < len(d.data) && '0' <= d.data[d.i] && d.data[d.i] <= '9'; d.i++ {
		if digits > 0 && n == 0 || digits == 9 {
			return false
		}
		n = n*10 + int(d.data[d.i]-'0')
		digits++
	}
	if digits == 0 || d.i < len(d.data) && !isDelimiter(d.data[d.i]) {
		return false
	}
	*v = n
	return true
}

// isDelimiter tells a byte that may end a number in an object.
func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', '}':
		return true
	}
	return false
}

// entries reads the array of secrets into es; an empty array is an empty,
// non-nil slice, as encoding/json makes it.
func (d *indexDecoder) entries(es *[]Entry) bool {
	if !d.next('[') {
		return false
	}
	// kage writes about 150 bytes an entry: one allocation for most files.
	// Bounded, so that a file of blanks cannot make kage reserve more than
	// it holds entries for; beyond, append grows it.
	out := make([]Entry, 0, min(len(d.data)/128, 1<<16))
	if d.next(']') {
		*es = out
		return true
	}
	for {
		out = append(out, Entry{})
		e := &out[len(out)-1]
		if !d.object(func(key []byte) bool {
			switch string(key) {
			case "scope":
				return d.scope(&e.Scope)
			case "name":
				return d.string(&e.Name)
			case "created":
				return d.time(&e.Created)
			case "updated":
				return d.time(&e.Updated)
			}
			return false
		}) {
			return false
		}
		if d.next(',') {
			continue
		}
		if !d.next(']') {
			return false
		}
		*es = out
		return true
	}
}
