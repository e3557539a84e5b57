//go:build unix

package accesslog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAppendRefusesPlantedFiles: a link or a FIFO where the log belongs
// is refused, and neither followed nor blocked on.
func TestAppendRefusesPlantedFiles(t *testing.T) {
	dir := t.TempDir()
	l := Open(dir)
	target := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(target, []byte("keep\n"), 0o600)
	if err := os.Symlink(target, l.Path()); err != nil {
		t.Fatal(err)
	}
	err := l.Append(context.Background(), entry(1))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	os.Remove(l.Path())
	if err := syscall.Mkfifo(l.Path(), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Append(context.Background(), entry(1)) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("onto a FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Append blocked on a FIFO")
	}
	if _, err := l.Read(); err == nil {
		t.Errorf("Read took a FIFO")
	}
}

// TestAppendMakesTheLogPrivate: a log someone made readable by others
// is made 0600 again by the next append.
func TestAppendMakesTheLogPrivate(t *testing.T) {
	l := Open(t.TempDir())
	if err := os.WriteFile(l.Path(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(l.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), entry(1)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(l.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("access.log after an append: %v, %v; want 0600", fi.Mode(), err)
	}
}

// TestAppendRefusesAnotherUsersLog: a log that belongs to someone else
// (who could read what kage appends) is refused, not written to.
func TestAppendRefusesAnotherUsersLog(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("making a file of another user needs root")
	}
	l := Open(t.TempDir())
	if err := os.WriteFile(l.Path(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(l.Path(), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := l.Append(context.Background(), entry(1))
	if err == nil || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("onto another user's log: %v", err)
	}
	if fi, _ := os.Stat(l.Path()); fi.Size() != 0 {
		t.Errorf("another user's log was written: %d bytes", fi.Size())
	}
}

// TestRotateAroundAFolder: an access.log.1 that is an empty folder is
// replaced; one that is a folder with files makes Append say what to
// remove; and Read still shows access.log when access.log.1 cannot be
// read.
func TestRotateAroundAFolder(t *testing.T) {
	dir := t.TempDir()
	l := Open(dir)
	old := filepath.Join(dir, OldFileName)
	full := func() {
		t.Helper()
		if err := os.WriteFile(l.Path(), []byte(strings.Repeat("x", MaxSize)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	full()
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), entry(1)); err != nil {
		t.Fatalf("rotating over an empty folder: %v", err)
	}
	if fi, err := os.Stat(old); err != nil || !fi.Mode().IsRegular() || fi.Size() != MaxSize+1 {
		t.Fatalf("access.log.1 after rotating: %v, %v", fi, err)
	}
	os.Remove(old)
	os.MkdirAll(filepath.Join(old, "sub"), 0o700)
	full()
	err := l.Append(context.Background(), entry(2))
	if err == nil || !strings.Contains(err.Error(), "access.log.1 is not a plain file: remove it") {
		t.Fatalf("rotating over a folder with files: %v", err)
	}
	os.WriteFile(l.Path(), nil, 0o600)
	if err := l.Append(context.Background(), entry(3)); err != nil {
		t.Fatal(err)
	}
	c, err := l.Read()
	if err != nil || len(c.Entries) != 1 || !strings.Contains(c.Unread, OldFileName) {
		t.Fatalf("Read with a folder for access.log.1: %+v, %v", c, err)
	}
}

// TestAppendDoesNotWaitOnAHeldLock: a lock another process holds on to
// (a stuck kage, or a program holding it on purpose) costs an append a
// fraction of a second and an error, not the 30 s kage waits for its
// index.
func TestAppendDoesNotWaitOnAHeldLock(t *testing.T) {
	dir := t.TempDir()
	l := Open(dir)
	fd, err := syscall.Open(filepath.Join(dir, lockName), syscall.O_RDWR|syscall.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Append(context.Background(), entry(1)) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("with the lock held: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Append waited over 10 s for a held lock")
	}
}
