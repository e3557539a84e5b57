package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(plain, Options{Max: 5})
	if err != nil || string(b) != "hello" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if _, err := ReadFile(plain, Options{Max: 4}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over Max: err = %v, want ErrTooLarge", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	if _, err := ReadFile(dir, Options{}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("folder: err = %v, want ErrNotRegular", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(plain, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if _, err := ReadFile(link, Options{}); err == nil || !strings.Contains(Describe(err), "symbolic link") {
		t.Errorf("link not followed: err = %v (%s)", err, Describe(err))
	}
	if b, err := ReadFile(link, Options{Follow: true}); err != nil || string(b) != "hello" {
		t.Errorf("link followed: %q, %v", b, err)
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{tooLarge(256 << 10), "is larger than 256 KiB"},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, "does not exist"},
		{errors.Join(ErrNotRegular), "is not a regular file"},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}, "cannot be read: permission denied"},
	} {
		if got := Describe(c.err); got != c.want {
			t.Errorf("Describe(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
