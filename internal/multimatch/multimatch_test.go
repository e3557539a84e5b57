package multimatch

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// naive is Next by brute force: the leftmost match, then the longest,
// then the first given.
func naive(pats [][]byte, b []byte, from int) (start, end, id int) {
	for q := from; q < len(b); q++ {
		best := -1
		for i, p := range pats {
			if len(p) >= KeyLen && bytes.HasPrefix(b[q:], p) && (best < 0 || len(p) > len(pats[best])) {
				best = i
			}
		}
		if best >= 0 {
			return q, q + len(pats[best]), best
		}
	}
	return -1, -1, -1
}

// TestNextAgreesWithBruteForce on random texts over a small alphabet,
// where patterns overlap, nest and repeat.
func TestNextAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab"[r.IntN(2)]
		}
		return b
	}
	for round := range 300 {
		var pats [][]byte
		for range 1 + r.IntN(6) {
			pats = append(pats, word(KeyLen-2+r.IntN(20)))
		}
		text := word(r.IntN(400))
		// Plant some patterns whole.
		for range r.IntN(4) {
			p := pats[r.IntN(len(pats))]
			at := r.IntN(len(text) + 1)
			text = append(text[:at:at], append(append([]byte{}, p...), text[at:]...)...)
		}
		m := New(pats)
		for from := 0; from <= len(text); {
			gs, ge, gi := m.Next(text, from)
			ws, we, wi := naive(pats, text, from)
			// Two patterns the same: either id is right.
			if gs != ws || ge != we || gi != wi && (gi < 0 || wi < 0 || !bytes.Equal(pats[gi], pats[wi])) {
				t.Fatalf("round %d, from %d: Next = %d,%d,%d; want %d,%d,%d\npats %q\ntext %q", round, from, gs, ge, gi, ws, we, wi, pats, text)
			}
			if gs < 0 {
				break
			}
			from = ge
		}
	}
}

func TestPending(t *testing.T) {
	m := New([][]byte{[]byte("secret-value"), []byte("short")})
	for in, want := range map[string]bool{"s": true, "secret-": true, "secret-valu": true, "secret-value": false, "x": false, "shor": false} {
		if got := m.Pending([]byte(in)); got != want {
			t.Errorf("Pending(%q) = %v, want %v", in, got, want)
		}
	}
	if !New(nil).Empty() || New(nil).Pending([]byte("a")) {
		t.Error("an empty Matcher finds something")
	}
}

func ExampleMatcher_Next() {
	m := New([][]byte{[]byte("ghp_token123"), []byte("Z2hwX3Rva2VuMTIz")})
	text := []byte("log: ghp_token123 and base64 Z2hwX3Rva2VuMTIz\n")
	for from := 0; ; {
		start, end, id := m.Next(text, from)
		if id < 0 {
			break
		}
		fmt.Println(id, start, string(text[start:end]))
		from = end
	}
	// Output:
	// 0 5 ghp_token123
	// 1 29 Z2hwX3Rva2VuMTIz
}
