package keyring_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kage-cli/kage/keyring"
)

// BenchmarkFileList opens and decrypts a 100-secret store, as kage env
// does on the file backend.
func BenchmarkFileList(b *testing.B) {
	path := filepath.Join(b.TempDir(), keyring.FileName)
	key := newIdentityKey(b)
	f := keyring.NewFile(path, key)
	for i := range 100 {
		if err := f.Set(bg, "global", fmt.Sprintf("NAME_%03d", i), []byte(fmt.Sprintf("value-%d-abcdefghijklmnopqrstuvwxyz", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := keyring.NewFile(path, key).List(bg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileEnv1000 is what kage env asks of a 1,000-secret store: List,
// then GetMany of every entry, on one File as one command has it.
func BenchmarkFileEnv1000(b *testing.B) {
	path := filepath.Join(b.TempDir(), keyring.FileName)
	key := newIdentityKey(b)
	seed(b, path, key, 1000)
	b.ResetTimer()
	for b.Loop() {
		f := keyring.NewFile(path, key)
		entries, err := f.List(bg)
		if err != nil {
			b.Fatal(err)
		}
		refs := make([]keyring.Ref, len(entries))
		for i, e := range entries {
			refs[i] = e.Ref()
		}
		if m, err := f.GetMany(bg, refs); err != nil || len(m) != len(refs) {
			b.Fatalf("GetMany = %d values, %v", len(m), err)
		}
	}
}

// BenchmarkFileLoad is BenchmarkFileEnv1000 at 1,000 and 20,000 secrets:
// the time per secret stays the same when loading and looking up are
// linear.
func BenchmarkFileLoad(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), keyring.FileName)
			key := newIdentityKey(b)
			seed(b, path, key, n)
			for b.Loop() {
				f := keyring.NewFile(path, key)
				entries, err := f.List(bg)
				if err != nil {
					b.Fatal(err)
				}
				refs := make([]keyring.Ref, len(entries))
				for i, e := range entries {
					refs[i] = e.Ref()
				}
				if m, err := f.GetMany(bg, refs); err != nil || len(m) != n {
					b.Fatalf("GetMany = %d values, %v", len(m), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/secret")
		})
	}
}

// seed writes a store of n secrets at path, generation 1, as kage would
// write it, but in one go: n Sets would take minutes at 20,000.
func seed(tb testing.TB, path string, key keyring.FileKey, n int) {
	tb.Helper()
	type secret struct {
		Scope   string    `json:"scope"`
		Name    string    `json:"name"`
		Value   []byte    `json:"value"`
		Created time.Time `json:"created"`
		Updated time.Time `json:"updated"`
	}
	scopes := []string{"global", "namespace:backend", "repo:/home/dev/code/api"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	secrets := make([]secret, n)
	for i := range secrets {
		secrets[i] = secret{Scope: scopes[i%len(scopes)], Name: fmt.Sprintf("SECRET_%05d", i),
			Value: fmt.Appendf(nil, "s3cr3t-%05d-0123456789abcdefghijklmnopqrstuvwxyz", i), Created: now, Updated: now}
	}
	payload, err := json.Marshal(struct {
		Store      string   `json:"store"`
		Generation uint64   `json:"generation"`
		Secrets    []secret `json:"secrets"`
	}{"00112233445566778899aabbccddeeff", 1, secrets})
	if err != nil {
		tb.Fatal(err)
	}
	mk, err := hkdf.Key(sha256.New, []byte(key.Identities[0].(fmt.Stringer).String()), nil, "kage secrets.age payload MAC v2", 32)
	if err != nil {
		tb.Fatal(err)
	}
	plain := fmt.Sprintf(`{"version":2,"payload":%s,"macs":["%s"]}`, payload, macWith(mk, string(payload)))
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, key.Recipients...)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write([]byte(plain)); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
}
