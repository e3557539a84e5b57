package resolve

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// MinMaskLen is the length of the shortest value the Masker hides: a
// shorter one ("true", "8080", a PIN) is so likely to turn up by chance
// that hiding it would garble ordinary output, and it is too short to be a
// credential worth the name.
const MinMaskLen = 8

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

// keyLen is how many bytes of a pattern the index holds at each place:
// MinMaskLen, so that every pattern has them.
const keyLen = MinMaskLen

// maxStride bounds the index's size: patterns × stride entries.
const maxStride = 16

// pattern is one spelling of one value and what replaces it.
type pattern struct {
	text, marker []byte
}

// slot is one entry of the index: the pattern numbered pat-1 has key as
// its keyLen bytes at off; pat 0 is an empty slot.
type slot struct {
	key      uint64
	pat, off int32
}

// matcher finds patterns by sampling: every pattern is at least minLen
// long, so an occurrence of one holds, whole, the keyLen bytes starting at
// one of every stride (minLen-keyLen+1, at most maxStride) positions of
// the text. Only those positions are looked up: a bit filter on a hash of
// their bytes rules out almost all of them with one load and a multiply,
// and the few left are checked against the patterns that have those bytes
// at some offset below stride, found in an open-addressing table.
//
// The table and the filter are flat slices: for 1,000 values (9,000
// patterns, 144,000 keys) a map of slices took 20 ms and 98,000
// allocations to build, which kage exec pays before starting the program;
// the table takes 8 ms and 29,000 (BenchmarkNewMatcher).
type matcher struct {
	filter []uint64
	shift  uint
	table  []slot
	tshift uint
	// prefixes holds every start of a pattern shorter than keyLen, packed
	// (packShort): the last bytes of what has come so far are checked one
	// position at a time for a pattern that may yet follow.
	prefixes map[uint64]struct{}
	pats     []pattern
	stride   int
	maxLen   int
}

func (m *matcher) hash(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> m.shift }

func (m *matcher) mayHold(k uint64) bool {
	h := m.hash(k)
	return m.filter[h/64]&(1<<(h%64)) != 0
}

// home is where the slots of key k begin in the table.
func (m *matcher) home(k uint64) int { return int((k * 0xC2B2AE3D27D4EB4F) >> m.tshift) }

func (m *matcher) insert(k uint64, pat, off int) {
	for j := m.home(k); ; j = (j + 1) & (len(m.table) - 1) {
		if m.table[j].pat == 0 {
			m.table[j] = slot{key: k, pat: int32(pat + 1), off: int32(off)}
			return
		}
	}
}

// packShort packs fewer than 8 bytes, and their count, into a key.
func packShort(b []byte) uint64 {
	k := uint64(len(b)) << 56
	for i, c := range b {
		k |= uint64(c) << (8 * i)
	}
	return k
}

func newMatcher(secrets []Secret) *matcher {
	m := &matcher{prefixes: map[uint64]struct{}{}}
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
			m.pats = append(m.pats, pattern{text: f, marker: marker})
		}
	}
	// Longest first, so that a value's padded base64 wins over its
	// unpadded one, and a value over another it begins with.
	slices.SortStableFunc(m.pats, func(a, b pattern) int { return len(b.text) - len(a.text) })
	if len(m.pats) == 0 {
		return m
	}
	m.maxLen = len(m.pats[0].text)
	m.stride = min(len(m.pats[len(m.pats)-1].text)-keyLen+1, maxStride)
	keys := len(m.pats) * m.stride
	// About 32 bits a key: one position in 30 or so that holds no pattern
	// passes the filter.
	bits := uint(16)
	for bits < 24 && 1<<bits < 32*keys {
		bits++
	}
	m.filter = make([]uint64, 1<<bits/64)
	m.shift = 64 - bits
	// At most half full.
	tbits := uint(4)
	for 1<<tbits < 2*keys {
		tbits++
	}
	m.table = make([]slot, 1<<tbits)
	m.tshift = 64 - tbits
	for i, p := range m.pats {
		for off := 0; off < m.stride; off++ {
			k := binary.LittleEndian.Uint64(p.text[off:])
			h := m.hash(k)
			m.filter[h/64] |= 1 << (h % 64)
			m.insert(k, i, off)
		}
		for n := 1; n < keyLen; n++ {
			m.prefixes[packShort(p.text[:n])] = struct{}{}
		}
	}
	return m
}

// pending reports whether a pattern may begin at the start of b but needs
// more bytes than b holds.
func (m *matcher) pending(b []byte) bool {
	if len(b) < keyLen {
		_, ok := m.prefixes[packShort(b)]
		return ok
	}
	k := binary.LittleEndian.Uint64(b)
	if !m.mayHold(k) {
		// The filter holds every pattern's first bytes too: this test
		// keeps the look at each of the last maxLen positions cheap
		// when a value is long. With a 3 KiB PEM key among 100 values,
		// 290 MB/s without it, about 1 GB/s with it
		// (BenchmarkMaskerLongValue).
		return false
	}
	for j := m.home(k); m.table[j].pat != 0; j = (j + 1) & (len(m.table) - 1) {
		s := m.table[j]
		if s.key != k || s.off != 0 {
			continue
		}
		if t := m.pats[s.pat-1].text; len(t) > len(b) && bytes.HasPrefix(t, b) {
			return true
		}
	}
	return false
}

// next finds the leftmost, then longest, pattern that lies whole in
// b[from:]; q is where it starts, i which it is, i < 0 for none.
func (m *matcher) next(b []byte, from int) (q, i int) {
	for p := from + m.stride - 1; p+keyLen <= len(b); p += m.stride {
		k := binary.LittleEndian.Uint64(b[p:])
		if !m.mayHold(k) {
			continue
		}
		q, i = -1, -1
		for j := m.home(k); m.table[j].pat != 0; j = (j + 1) & (len(m.table) - 1) {
			s := m.table[j]
			if s.key != k {
				continue
			}
			pat := int(s.pat - 1)
			start := p - int(s.off)
			t := m.pats[pat].text
			if start < from || start+len(t) > len(b) || q >= 0 && (start > q || start == q && len(t) <= len(m.pats[i].text)) {
				continue
			}
			if bytes.Equal(b[start:start+len(t)], t) {
				q, i = start, pat
			}
		}
		if i >= 0 {
			return q, i
		}
	}
	return -1, -1
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
	mu  sync.Mutex
	w   io.Writer
	m   *matcher
	buf []byte
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
	return &Masker{w: w, m: newMatcher(secrets)}
}

// Write masks p on its way to the writer underneath. It reports len(p)
// unless writing failed, and then the first error from then on.
func (k *Masker) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return 0, k.err
	}
	if len(k.m.pats) == 0 {
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
	for q := max(k.pos, len(b)-m.maxLen+1); q < len(b); q++ {
		if m.pending(b[q:]) {
			held = append(held, q)
		}
	}
	pos := k.pos
	for {
		q, i := m.next(b, pos)
		for len(held) > 0 && held[0] < pos {
			held = held[1:]
		}
		if i < 0 || !flush && len(held) > 0 && q >= held[0] {
			break
		}
		end := q + len(m.pats[i].text)
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
			k.write(m.pats[i].marker)
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
