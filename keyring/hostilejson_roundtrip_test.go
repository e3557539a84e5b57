package keyring

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestFileRefusesInvalidUTF8Names: JSON writes each byte of a string
// that is not valid UTF-8 as U+FFFD, so two such names would become one on
// disk, and the next reader would refuse the whole store as holding a name
// twice. File.Set refuses them, and the store stays readable.
func TestFileRefusesInvalidUTF8Names(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	key := FileKey{Identities: []age.Identity{id}}
	ctx := context.Background()
	w := NewFile(path, key)
	if err := w.Set(ctx, "global", "A", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"global", "A\xff"}, {"global", "A\xfe"}, {"repo:/x\xff", "B"}} {
		if err := w.Set(ctx, bad[0], bad[1], []byte("v")); err == nil {
			t.Errorf("Set(%q, %q) took a string that is not UTF-8", bad[0], bad[1])
		}
	}
	es, err := NewFile(path, key).List(ctx)
	if err != nil {
		t.Fatalf("a second reader cannot read the store: %v", err)
	}
	if len(es) != 1 || es[0].Name != "A" {
		t.Fatalf("second reader lists %v, want only A", es)
	}
}

// TestFileHostileReserve is F1 end to end: a store file written by
// someone with only the public key (age1…), whose plaintext is the
// literal {"scope": repeated, makes List allocate ~12x the file before it
// reports the file corrupt — before any MAC is checked.
func TestFileHostileReserve(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	plain := []byte(`{"version":2,"payload":{"store":"x","generation":1,"secrets":[` + strings.Repeat(`{"scope":`, 1<<20))
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient()) // the public key only
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewFile(path, FileKey{Identities: []age.Identity{id}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, lerr := f.List(context.Background())
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("List: %v; file %d bytes, allocated %d bytes (%.1fx)", lerr, buf.Len(), alloc, float64(alloc)/float64(buf.Len()))
	if lerr == nil {
		t.Fatal("List took a malformed store")
	}
	if alloc > 4*uint64(buf.Len()) {
		t.Fatalf("List of a %d-byte hostile file allocated %d bytes (%.1fx)", buf.Len(), alloc, float64(alloc)/float64(buf.Len()))
	}
}
