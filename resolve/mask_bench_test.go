package resolve

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// benchSecrets are n values of the kind agents are handed: API keys of 40
// random letters and digits.
func benchSecrets(n int) []Secret {
	r := rand.New(rand.NewPCG(3, 4))
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := make([]Secret, n)
	for i := range out {
		v := make([]byte, 40)
		for j := range v {
			v[j] = chars[r.IntN(len(chars))]
		}
		out[i] = Secret{Name: fmt.Sprintf("SECRET_%03d", i), Value: v}
	}
	return out
}

// benchText is log-like output: lines of words and numbers, no secret.
func benchText(size int) []byte {
	r := rand.New(rand.NewPCG(5, 6))
	words := []string{"GET", "/api/v1/items", "200", "in", "12ms", "user=42", "ok", "request", "id=7f3a9c", "{\"level\":\"info\"}", "Compiling", "src/main.rs", "warning:", "unused", "variable"}
	b := make([]byte, 0, size+64)
	for len(b) < size {
		b = append(b, words[r.IntN(len(words))]...)
		if r.IntN(8) == 0 {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
	}
	return b[:size]
}

// BenchmarkMasker is the filter over log-like output with 100 values to
// hide, in the pieces a pipe hands over.
func BenchmarkMasker(b *testing.B) {
	text := benchText(1 << 20)
	benchMask(b, text, benchSecrets(100))
}

// benchMask times a Masker over text, in the pieces a pipe hands over.
func benchMask(b *testing.B, text []byte, secrets []Secret) {
	m := NewMasker(io.Discard, secrets)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		for off := 0; off < len(text); off += 32 << 10 {
			if _, err := m.Write(text[off:min(off+32<<10, len(text))]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkMaskerLongValue is BenchmarkMasker with a 3 KiB PEM key among
// the values: every write then looks at its last 4 KiB for a value that
// may still be coming.
func BenchmarkMaskerLongValue(b *testing.B) {
	text := benchText(1 << 20)
	secrets := benchSecrets(100)
	pem := make([]byte, 0, 3<<10)
	for len(pem) < 3<<10 {
		pem = append(pem, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"...)
	}
	benchMask(b, text, append(secrets, Secret{Name: "TLS_KEY", Value: pem}))
}

// BenchmarkNewMatcher is what building the filter costs kage exec before
// it starts the program, for 100 and 1,000 values.
func BenchmarkNewMatcher(b *testing.B) {
	for _, n := range []int{100, 1000} {
		secrets := benchSecrets(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newMatcher(secrets)
			}
		})
	}
}
