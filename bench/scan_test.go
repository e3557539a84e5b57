package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kage-cli/kage/leakscan"
)

// BenchmarkScan times kage scan over a generated tree, 2,000 files of
// 64 KiB log-like text in 40 folders (125 MiB) with a value, raw or in
// base64, in one file of 100, next to `grep -rnoF -f PATTERNS` of the same
// tree, PATTERNS being every spelling kage looks for (leakscan.Forms of
// each value: 23 a value). kage's time includes its start and reading
// the 100 values from the keychain. The goal: within 3× of grep.
func BenchmarkScan(b *testing.B) {
	l := newLayout(b, 100)
	values := make([][]byte, 100)
	var pats bytes.Buffer
	for i := range values {
		values[i] = []byte(fmt.Sprintf("s3cr3t-%03d-0123456789abcdefghijklmnopqrstuvwxyz", i))
		for _, f := range leakscan.Forms(values[i]) {
			pats.Write(f.Text)
			pats.WriteByte('\n')
		}
	}
	root := b.TempDir()
	patterns := filepath.Join(root, "patterns.txt")
	if err := os.WriteFile(patterns, pats.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	tree := filepath.Join(root, "tree")
	text := maskStream(values)
	const files, size = 2000, 64 << 10
	leaks := 0
	for i := range files {
		dir := filepath.Join(tree, fmt.Sprintf("d%02d", i%40))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		// maskStream has a value every 64 KiB: most files take a stretch
		// between two, one in a hundred the stretch around one.
		off := (i%1000+1)*size + 1000
		if i%100 == 0 {
			off -= size / 2
			leaks++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.log", i)), text[off:off+size-2000], 0o600); err != nil {
			b.Fatal(err)
		}
	}
	found := func(out []byte) error {
		if n := bytes.Count(out, []byte("\n")); n < leaks {
			return fmt.Errorf("found %d leaks, want at least %d", n, leaks)
		}
		return nil
	}
	compare(b, "scan-125MiB-2000-files-100-values", goal{Max: 3},
		l.in(found, "sh", "-c", fmt.Sprintf("%s scan %s 2>/dev/null; test $? = 1", l.bins.kage, tree)),
		"grep -rnoF -f", l.in(found, "grep", "-rnoF", "-f", patterns, tree))
}
