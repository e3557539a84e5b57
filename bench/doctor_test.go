package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDoctor times `kage doctor` with 1,000 secrets stored next to
// attrlist, which reads only each item's Attributes: listing the keychain
// is most of what doctor does there, and the listing cannot read less.
// The goal: within 1.5× of it.
func BenchmarkDoctor(b *testing.B) {
	const n = 1000
	l := newLayout(b, 0)
	importSecrets(b, l, n)
	agree := fmt.Sprintf("ok   index and keychain agree (%d secrets)\n", n)
	healthy := func(out []byte) error {
		if !bytes.Contains(out, []byte(agree)) {
			return fmt.Errorf("does not say %q", strings.TrimSpace(agree))
		}
		return nil
	}
	listed := func(out []byte) error {
		if c := bytes.Count(out, []byte(" SECRET_")); c != n {
			return fmt.Errorf("lists %d secrets, want %d", c, n)
		}
		return nil
	}
	compare(b, "doctor-1000-secrets", goal{Max: 1.5}, l.in(healthy, l.bins.kage, "doctor"),
		"Attributes-only listing", l.in(listed, buildProgram(b, "github.com/kage-cli/kage/bench/attrlist")))
}

// importSecrets stores n secrets, a third each in the scopes newLayout
// uses, with one kage secret import per scope: storing 1,000 with one
// kage secret set each would take longer than the benchmark.
func importSecrets(b *testing.B, l *layout, n int) {
	b.Helper()
	scopes := []string{"global", "namespace:backend", "repo:" + l.repo}
	files := make([]bytes.Buffer, len(scopes))
	for i := range n {
		fmt.Fprintf(&files[i%len(scopes)], "SECRET_%03d=s3cr3t-%03d-0123456789abcdefghijklmnopqrstuvwxyz\n", i, i)
	}
	dir := b.TempDir()
	for i, sc := range scopes {
		f := filepath.Join(dir, fmt.Sprintf("%d.env", i))
		if err := os.WriteFile(f, files[i].Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		l.run(b, "", l.bins.kage, "secret", "import", f, "--scope", sc)
	}
}
