//go:build unix

package keyring

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"filippo.io/age"
)

func TestFileKeyKind(t *testing.T) {
	dir := t.TempDir()
	enc := func(name string, r age.Recipient) string {
		t.Helper()
		var b bytes.Buffer
		w, err := age.Encrypt(&b, r)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("{}"))
		w.Close()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	sr, err := age.NewScryptRecipient("pass")
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(10)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("not age\n"), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{enc("id.age", id.Recipient()), "identity"},
		{enc("pass.age", sr), "passphrase"},
		{garbage, ""},
		{filepath.Join(dir, "missing"), ""},
		{fifo, ""},
	} {
		if got := FileKeyKind(c.path); got != c.want {
			t.Errorf("FileKeyKind(%s) = %q, want %q", filepath.Base(c.path), got, c.want)
		}
	}
}
