package bench

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// maskStreamSize is the output BenchmarkMaskedExec streams: large enough
// that kage's start and its keychain read (tens of milliseconds) are a
// small part of the time.
const maskStreamSize = 256 << 20

// BenchmarkMaskedExec times the filter kage exec puts between a program
// and a pipe, with 100 values to mask: `kage exec -- cat FILE | tail -c
// 300`, next to `cat FILE | cat | tail -c 300`, the same stream through cat
// in place of kage. The file is 256 MiB of log-like lines with a value, raw
// or base64-encoded, every 64 KiB. The goal, at least half cat's
// throughput, is a time of at most 2× cat's.
func BenchmarkMaskedExec(b *testing.B) {
	l := newLayout(b, 100)
	values := make([][]byte, 100)
	for i := range values {
		values[i] = []byte(fmt.Sprintf("s3cr3t-%03d-0123456789abcdefghijklmnopqrstuvwxyz", i))
	}
	file := filepath.Join(b.TempDir(), "stream.txt")
	if err := os.WriteFile(file, maskStream(values), 0o600); err != nil {
		b.Fatal(err)
	}
	last := values[len(values)-1]
	masked := func(out []byte) error {
		if !bytes.HasSuffix(out, []byte("<kage:SECRET_099>\n")) || bytes.Contains(out, []byte("s3cr3t-")) {
			return fmt.Errorf("the stream's end is not masked: %q", out)
		}
		return nil
	}
	raw := func(out []byte) error {
		if !bytes.HasSuffix(out, append(last, '\n')) {
			return fmt.Errorf("the stream's end is not the value: %q", out)
		}
		return nil
	}
	compare(b, "exec-mask-256MiB-100-values", goal{Max: 2},
		l.in(masked, "sh", "-c", fmt.Sprintf("%s exec -- cat %s | tail -c 300", l.bins.kage, file)),
		"cat | cat", l.in(raw, "sh", "-c", fmt.Sprintf("cat %s | cat | tail -c 300", file)))
}

// maskStream is maskStreamSize bytes of log lines with one of values,
// raw or in base64, every 64 KiB, and the last value at the very end.
func maskStream(values [][]byte) []byte {
	r := rand.New(rand.NewPCG(1, 1))
	words := []string{"GET", "/api/v1/items", "200", "in", "12ms", "user=42", "ok", "request", "id=7f3a9c", `{"level":"info"}`, "Compiling", "src/main.rs", "warning:", "unused"}
	out := make([]byte, 0, maskStreamSize+4096)
	next := 64 << 10
	for len(out) < maskStreamSize {
		out = append(out, words[r.IntN(len(words))]...)
		out = append(out, " \n"[min(r.IntN(8), 1)^1])
		if len(out) >= next {
			v := values[r.IntN(len(values))]
			if r.IntN(2) == 0 {
				v = []byte(base64.StdEncoding.EncodeToString(v))
			}
			out = append(append(out, v...), '\n')
			next += 64 << 10
		}
	}
	return append(append(out, values[len(values)-1]...), '\n')
}
