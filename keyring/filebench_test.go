package keyring_test

import (
	"fmt"
	"path/filepath"
	"testing"

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
