package keyring

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"
)

// stampedStore makes a file store holding global A = "one" on a system that
// stamps files, and returns its path and key.
func stampedStore(t *testing.T) (string, FileKey) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no stamps here: every read reads the file")
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseIdentity(id.String())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := NewFile(path, key).Set(context.Background(), "global", "A", []byte("one")); err != nil {
		t.Fatal(err)
	}
	return path, key
}

// readsOf is how many times f opened and read its file.
func readsOf(f *File) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// TestFileReadsOnceWhileUnchanged: a File's List, GetMany and Get open the
// file once while nobody changes it, and open it again as soon as someone
// does: another File writing (a new file put in place), or anything
// writing the file in place.
func TestFileReadsOnceWhileUnchanged(t *testing.T) {
	path, key := stampedStore(t)
	ctx := context.Background()
	w := NewFile(path, key)
	r := NewFile(path, key)
	// The reader's clock runs ahead: the file was written racyWindow
	// before, as a file kage env reads usually was.
	r.now = func() time.Time { return time.Now().Add(racyWindow + time.Second) }
	reads := func() int { return readsOf(r) }
	a, b := Ref{Scope: "global", Name: "A"}, Ref{Scope: "global", Name: "B"}
	if _, err := r.List(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetMany(ctx, []Ref{a}); err != nil || string(got[a]) != "one" {
		t.Fatalf("GetMany = %q, %v", got, err)
	}
	if _, err := r.Get(ctx, "global", "A"); err != nil {
		t.Fatal(err)
	}
	if n := reads(); n != 1 {
		t.Errorf("List, GetMany and Get of an unchanged file read it %d times, want 1", n)
	}

	// Another writer: a new file in place.
	if err := w.Set(ctx, "global", "B", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetMany(ctx, []Ref{a, b}); err != nil || string(got[b]) != "two" {
		t.Fatalf("GetMany after another File stored B = %q, %v", got, err)
	}
	if n := reads(); n != 2 {
		t.Errorf("after another File wrote, the file was read %d times in all, want 2", n)
	}

	// Written in place (cp of another version over it): another size,
	// read again, and refused as the damaged file it now is.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.List(ctx); err == nil {
		t.Error("List after the file was damaged in place succeeded: it served the last read")
	}
	if n := reads(); n != 3 {
		t.Errorf("after the file was written in place, it was read %d times in all, want 3", n)
	}
}

// TestFileRacyStampNotTrusted: a file changed within racyWindow of its
// read is read again next time, though its stamp is the same: another
// version could have the same times and, its inode reused, the same inode.
func TestFileRacyStampNotTrusted(t *testing.T) {
	path, key := stampedStore(t)
	ctx := context.Background()
	r := NewFile(path, key)
	for range 3 {
		if _, err := r.List(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := readsOf(r); n != 3 {
		t.Errorf("a file written just now was read %d times by three Lists, want 3", n)
	}
}
