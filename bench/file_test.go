package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkFile1000 times the file backend at 1,000 secrets, where what
// kage does beside age shows: kage env next to age -d of the same file
// (goal 1.5×), and kage secret set, which rewrites the whole file, next to
// age -d piped into age -e of it, one decryption and one encryption (goal
// 1.5×).
func BenchmarkFile1000(b *testing.B) {
	const n = 1000
	age, err := exec.LookPath("age")
	if err != nil {
		fmt.Println("# env-1000-secrets-file, set-1000-secrets-file: skipped, age is not installed (sudo apt-get install age)")
		return
	}
	l := newFileLayoutImported(b, n)
	identity := filepath.Join(l.kageHome, "identity.txt")
	secrets := filepath.Join(l.kageHome, "secrets.age")
	decrypted := func(out []byte) error {
		if len(out) == 0 {
			return fmt.Errorf("decrypted nothing")
		}
		return nil
	}
	// An agent starts long after the last secret set: the store is then
	// settled, and kage env reads it once. Within 2 s of a write it reads
	// it twice (see keyring.File's read), which this figure does not time.
	settle(b, secrets)
	compare(b, "env-1000-secrets-file", goal{Max: 1.5}, l.in(hasAll(l.names), l.bins.kage, "env", "--shell", "bash"),
		"age -d of the file", l.in(decrypted, age, "-d", "-i", identity, secrets))

	tmp := b.TempDir()
	value := filepath.Join(tmp, "value")
	if err := os.WriteFile(value, []byte("s3cr3t-000-0123456789abcdefghijklmnopqrstuvwxyz"), 0o600); err != nil {
		b.Fatal(err)
	}
	recipient := publicKey(b, identity)
	out := filepath.Join(tmp, "out.age")
	pipe := fmt.Sprintf("age -d -i %s %s | age -e -r %s -o %s", identity, secrets, recipient, out)
	// The pipeline's status is age -e's alone: prove once that it copies
	// the store whole, since the timed runs cannot tell.
	l.run(b, "", "sh", "-c", pipe)
	if a, c := l.run(b, "", age, "-d", "-i", identity, secrets), l.run(b, "", age, "-d", "-i", identity, out); !bytes.Equal(a, c) || len(a) == 0 {
		b.Fatal("age -d | age -e did not copy the store")
	}
	// SECRET_000 is global (see newFileLayoutImported): each run replaces
	// it with the same value, so the file keeps its size.
	compare(b, "set-1000-secrets-file", goal{Max: 1.5}, l.in(isEmpty, l.bins.kage, "secret", "set", "SECRET_000", "--from-file", value),
		"age -d | age -e of the file", l.in(isEmpty, "sh", "-c", pipe))
}

// newFileLayoutImported is newLayoutFor(b, n, "file") with the secrets
// stored by kage secret import, one .env file per scope, rather than one
// kage secret set each, which at 1,000 takes long: a third each in global,
// namespace:backend and the repository's scope, named and valued as
// newLayoutFor names and values them.
func newFileLayoutImported(b *testing.B, n int) *layout {
	b.Helper()
	l := newLayoutFor(b, 0, "file")
	scopes := []string{"global", "namespace:backend", "repo:" + l.repo}
	envs := make([]strings.Builder, len(scopes))
	for i := range n {
		fmt.Fprintf(&envs[i%len(scopes)], "SECRET_%03d=s3cr3t-%03d-0123456789abcdefghijklmnopqrstuvwxyz\n", i, i)
	}
	dir := b.TempDir()
	for i, sc := range scopes {
		if envs[i].Len() == 0 {
			continue
		}
		file := filepath.Join(dir, fmt.Sprintf("%d.env", i))
		if err := os.WriteFile(file, []byte(envs[i].String()), 0o600); err != nil {
			b.Fatal(err)
		}
		l.run(b, "", l.bins.kage, "secret", "import", file, "--scope", sc)
	}
	var listed []struct{ Scope, Name string }
	if err := json.Unmarshal(l.run(b, "", l.bins.kage, "secret", "list", "--json"), &listed); err != nil {
		b.Fatal(err)
	}
	if len(listed) != n {
		b.Fatalf("kage secret list shows %d secrets, want %d", len(listed), n)
	}
	for _, e := range listed {
		l.pairs = append(l.pairs, e.Scope, e.Name)
		l.names = append(l.names, e.Name)
	}
	return l
}

// publicKey reads the recipient (age1…) from the comment kage init writes
// into the identity file, as age-keygen does.
func publicKey(b *testing.B, identity string) string {
	b.Helper()
	data, err := os.ReadFile(identity)
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, ok := strings.CutPrefix(line, "# public key: "); ok {
			return strings.TrimSpace(k)
		}
	}
	b.Fatalf("%s names no public key", identity)
	return ""
}

// settle waits until the file at path was last changed more than 2 s ago,
// the age at which the file store trusts that a file it read is unchanged.
func settle(b *testing.B, path string) {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Until(fi.ModTime().Add(2100 * time.Millisecond)))
}
