package resolve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/multimatch"
)

// MinMaskLen is the length of the shortest value the Masker hides: a
// shorter one ("true", "8080", a PIN) is so likely to turn up by chance
// that hiding it would garble ordinary output, and it is too short to be a
// credential worth the name.
const MinMaskLen = 8

// Every Form of a value MinMaskLen long is long enough for the matcher.
const _ = uint(MinMaskLen - multimatch.KeyLen)

// MaxHold is the longest a Masker keeps back bytes that may begin a value.
const MaxHold = 50 * time.Millisecond

// Secret is a value to hide and the name its marker shows.
type Secret struct {
	Name  string
	Value []byte
}

// Maskable splits secrets into the names whose values a Masker hides and
// those too short to be hidden (MinMaskLen).
func Maskable(secrets []Secret) (masked, short []string) {
	for _, s := range secrets {
		if len(s.Value) < MinMaskLen {
			short = append(short, s.Name)
		} else {
			masked = append(masked, s.Name)
		}
	}
	return masked, short
}

// Forms are the spellings of a value a Masker hides: the raw bytes, the
// value's own standard and URL-safe base64 (padded and not), its
// percent-encodings (as a query and as a path) and the inside of a JSON
// string holding it (a PEM key in a JSON log line has its newlines as
// \n), with and without Go's escaping of <, > and &. An encoding of the
// value inside a longer encoded text starts at another alignment and is
// not found: that is a scanner's job, not a live filter's.
func Forms(v []byte) [][]byte {
	forms := [][]byte{v,
		[]byte(base64.StdEncoding.EncodeToString(v)),
		[]byte(base64.RawStdEncoding.EncodeToString(v)),
		[]byte(base64.URLEncoding.EncodeToString(v)),
		[]byte(base64.RawURLEncoding.EncodeToString(v)),
		[]byte(url.QueryEscape(string(v))),
		[]byte(url.PathEscape(string(v))),
		jsonBody(v, false),
		jsonBody(v, true),
	}
	out := forms[:0]
	for _, f := range forms {
		if !slices.ContainsFunc(out, func(g []byte) bool { return bytes.Equal(f, g) }) {
			out = append(out, f)
		}
	}
	return out
}

// jsonBody is v as encoding/json writes it in a string, without the
// quotes; invalid UTF-8, which JSON cannot hold, gives v itself.
func jsonBody(v []byte, escapeHTML bool) []byte {
	if !utf8.Valid(v) {
		return v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(string(v)) != nil {
		return v
	}
	return bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte(`"`)), []byte(`"`))
}

// Masker is a writer that replaces every value it was given, in any of its
// Forms, with <kage:NAME> on its way to the writer underneath, whatever
// pieces it comes in. Bytes that may begin a value are held back until the
// next write settles them, or MaxHold passes: then they are written as
// they are, and should the rest of the value follow, the rest is written
// as "…" and the marker. So a value never reaches the writer whole.
//
// A Masker is safe for one writer goroutine; its timer writes from
// another, under the same lock.
type Masker struct {
	mu sync.Mutex
	w  io.Writer
	m  *multimatch.Matcher
	// markers are what replaces each of m's patterns.
	markers [][]byte
	buf     []byte
	// pos is the first position of buf that may begin a pattern, out how
	// many bytes of buf were already written.
	pos, out int
	timer    *time.Timer
	armed    bool
	err      error
	masked   int
}

// cut goes between the start of a value written on time-out and the
// marker that stands for its rest.
var cut = []byte("…")

// Masked reports how many values, or rests of one, were replaced so far.
func (k *Masker) Masked() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.masked
}

// NewMasker returns a Masker that writes to w; values shorter than
// MinMaskLen are passed through (Maskable says which).
func NewMasker(w io.Writer, secrets []Secret) *Masker {
	m, markers := newMatcher(secrets)
	return &Masker{w: w, m: m, markers: markers}
}

// newMatcher is a matcher for every Form of every value at least
// MinMaskLen long, and the marker of each pattern.
func newMatcher(secrets []Secret) (*multimatch.Matcher, [][]byte) {
	var pats, markers [][]byte
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s.Value) < MinMaskLen {
			continue
		}
		marker := []byte("<kage:" + s.Name + ">")
		for _, f := range Forms(s.Value) {
			if seen[string(f)] {
				continue
			}
			seen[string(f)] = true
			pats = append(pats, f)
			markers = append(markers, marker)
		}
	}
	return multimatch.New(pats), markers
}

// Write masks p on its way to the writer underneath. It reports len(p)
// unless writing failed, and then the first error from then on.
func (k *Masker) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return 0, k.err
	}
	if k.m.Empty() {
		_, k.err = k.w.Write(p)
		return len(p), k.err
	}
	k.buf = append(k.buf, p...)
	k.scan(false)
	if k.err == nil && k.out < len(k.buf) && !k.armed {
		k.armed = true
		if k.timer == nil {
			k.timer = time.AfterFunc(MaxHold, k.expire)
		} else {
			k.timer.Reset(MaxHold)
		}
	}
	if k.err != nil {
		return 0, k.err
	}
	return len(p), nil
}

// expire writes what was held back too long.
func (k *Masker) expire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.armed = false
	if k.err == nil {
		k.scan(true)
	}
}

// Close writes whatever is held back; it does not close the writer
// underneath.
func (k *Masker) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.timer != nil {
		k.timer.Stop()
		k.armed = false
	}
	if k.err == nil {
		k.scan(true)
	}
	k.buf, k.pos, k.out = nil, 0, 0
	return k.err
}

// scan masks what buf holds from pos. Unless flush, it stops at the first
// place a pattern may begin but is not yet whole, and writes only what
// comes before it. With flush, it writes everything, and keeps pos at that
// place so that the rest of a value arriving later is masked.
func (k *Masker) scan(flush bool) {
	b, m := k.buf, k.m
	// Where a pattern may begin and not be whole yet: only in the last
	// maxLen-1 bytes.
	var held []int
	for q := max(k.pos, len(b)-m.MaxLen()+1); q < len(b); q++ {
		if m.Pending(b[q:]) {
			held = append(held, q)
		}
	}
	pos := k.pos
	for {
		q, end, i := m.Next(b, pos)
		for len(held) > 0 && held[0] < pos {
			held = held[1:]
		}
		if i < 0 || !flush && len(held) > 0 && q >= held[0] {
			break
		}
		if end > k.out {
			// The bytes before the value, then the marker in place of
			// whatever part of the value is not yet out.
			if q > k.out {
				k.write(b[k.out:q])
			} else if q < k.out {
				// The start of the value is out: an ellipsis says the
				// rest was cut, and keeps the marker's "<" from being
				// the rest of a value that ends in one.
				k.write(cut)
			}
			k.write(k.markers[i])
			k.out = end
			k.masked++
		}
		pos = end
	}
	for len(held) > 0 && held[0] < pos {
		held = held[1:]
	}
	upto := len(b)
	if !flush && len(held) > 0 {
		upto = held[0]
	}
	if upto > k.out {
		k.write(b[k.out:upto])
		k.out = upto
	}
	pos = len(b)
	if len(held) > 0 {
		pos = held[0]
	}
	// Forget what is out and can no longer begin a pattern.
	drop := min(pos, k.out)
	k.buf = append(k.buf[:0], b[drop:]...)
	k.pos, k.out = pos-drop, k.out-drop
}

func (k *Masker) write(p []byte) {
	if k.err == nil {
		_, k.err = k.w.Write(p)
	}
}
