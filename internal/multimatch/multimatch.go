// Package multimatch finds many byte patterns at once in a text: the
// masking filter of kage exec and the leak scan of kage scan share it.
//
// Every pattern is at least KeyLen bytes long. An occurrence of one holds,
// whole, the KeyLen bytes starting at one of every stride (the shortest
// pattern's length-KeyLen+1, at most maxStride) positions of the text, so
// only those positions are looked up: a bit filter on a hash of their
// bytes rules out almost all of them with one load and a multiply, and
// the few left are checked against the patterns that have those bytes at
// some offset below stride, found in an open-addressing table.
//
// The table and the filter are flat slices: for 1,000 values (9,000
// patterns, 144,000 keys) a map of slices took 20 ms and 98,000
// allocations to build, which kage exec pays before starting the program;
// the table takes 8 ms and 29,000 (resolve's BenchmarkNewMatcher).
package multimatch

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// KeyLen is the length of the shortest pattern a Matcher takes, and how
// many bytes of a pattern its index holds at each place.
const KeyLen = 8

// maxStride bounds the index's size: patterns × stride entries.
const maxStride = 16

// slot is one entry of the index: the pattern numbered pat-1 (in the
// Matcher's order) has key as its KeyLen bytes at off; pat 0 is an empty
// slot.
type slot struct {
	key      uint64
	pat, off int32
}

// Matcher finds its patterns in texts; it is safe for use by several
// goroutines at once, since nothing changes it after New.
type Matcher struct {
	filter []uint64
	shift  uint
	table  []slot
	tshift uint
	// prefixes holds every start of a pattern shorter than KeyLen, packed
	// (packShort): the last bytes of what has come so far are checked one
	// position at a time for a pattern that may yet follow.
	prefixes map[uint64]struct{}
	// pats are the patterns longest first; ids their places in New's
	// argument.
	pats   [][]byte
	ids    []int
	stride int
	maxLen int
}

func (m *Matcher) hash(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> m.shift }

func (m *Matcher) mayHold(k uint64) bool {
	h := m.hash(k)
	return m.filter[h/64]&(1<<(h%64)) != 0
}

// home is where the slots of key k begin in the table.
func (m *Matcher) home(k uint64) int { return int((k * 0xC2B2AE3D27D4EB4F) >> m.tshift) }

func (m *Matcher) insert(k uint64, pat, off int) {
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

// New returns a Matcher for pats; a pattern shorter than KeyLen is left
// out. Where two patterns match at the same place the longer wins, and
// of two the same the first.
func New(pats [][]byte) *Matcher {
	m := &Matcher{prefixes: map[uint64]struct{}{}}
	for i, p := range pats {
		if len(p) >= KeyLen {
			m.pats = append(m.pats, p)
			m.ids = append(m.ids, i)
		}
	}
	// Longest first, so that a value's padded base64 wins over its
	// unpadded one, and a value over another it begins with.
	order := make([]int, len(m.pats))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(m.pats[b]) - len(m.pats[a]) })
	sp, si := make([][]byte, len(order)), make([]int, len(order))
	for i, o := range order {
		sp[i], si[i] = m.pats[o], m.ids[o]
	}
	m.pats, m.ids = sp, si
	if len(m.pats) == 0 {
		return m
	}
	m.maxLen = len(m.pats[0])
	m.stride = min(len(m.pats[len(m.pats)-1])-KeyLen+1, maxStride)
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
			k := binary.LittleEndian.Uint64(p[off:])
			h := m.hash(k)
			m.filter[h/64] |= 1 << (h % 64)
			m.insert(k, i, off)
		}
		for n := 1; n < KeyLen; n++ {
			m.prefixes[packShort(p[:n])] = struct{}{}
		}
	}
	return m
}

// Empty reports whether the Matcher has no pattern to find.
func (m *Matcher) Empty() bool { return len(m.pats) == 0 }

// MaxLen is the length of the longest pattern.
func (m *Matcher) MaxLen() int { return m.maxLen }

// Pending reports whether a pattern may begin at the start of b but needs
// more bytes than b holds.
func (m *Matcher) Pending(b []byte) bool {
	if len(m.pats) == 0 {
		return false
	}
	if len(b) < KeyLen {
		_, ok := m.prefixes[packShort(b)]
		return ok
	}
	k := binary.LittleEndian.Uint64(b)
	if !m.mayHold(k) {
		// The filter holds every pattern's first bytes too: this test
		// keeps the look at each of the last maxLen positions cheap
		// when a value is long. With a 3 KiB PEM key among 100 values,
		// 290 MB/s without it, about 1 GB/s with it
		// (resolve's BenchmarkMaskerLongValue).
		return false
	}
	for j := m.home(k); m.table[j].pat != 0; j = (j + 1) & (len(m.table) - 1) {
		s := m.table[j]
		if s.key != k || s.off != 0 {
			continue
		}
		if t := m.pats[s.pat-1]; len(t) > len(b) && bytes.HasPrefix(t, b) {
			return true
		}
	}
	return false
}

// Next finds the leftmost, then longest, pattern that lies whole in
// b[from:]: start is where it begins, end where it ends, and id its place
// in New's argument; id < 0 for none.
func (m *Matcher) Next(b []byte, from int) (start, end, id int) {
	if len(m.pats) == 0 {
		return -1, -1, -1
	}
	for p := from + m.stride - 1; p+KeyLen <= len(b); p += m.stride {
		k := binary.LittleEndian.Uint64(b[p:])
		if !m.mayHold(k) {
			continue
		}
		q, i := -1, -1
		for j := m.home(k); m.table[j].pat != 0; j = (j + 1) & (len(m.table) - 1) {
			s := m.table[j]
			if s.key != k {
				continue
			}
			pat := int(s.pat - 1)
			start := p - int(s.off)
			t := m.pats[pat]
			if start < from || start+len(t) > len(b) || q >= 0 && (start > q || start == q && len(t) <= len(m.pats[i])) {
				continue
			}
			if bytes.Equal(b[start:start+len(t)], t) {
				q, i = start, pat
			}
		}
		if i >= 0 {
			return q, q + len(m.pats[i]), m.ids[i]
		}
	}
	return -1, -1, -1
}
