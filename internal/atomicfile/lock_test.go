//go:build !windows

package atomicfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockRefusesWhatIsNotAPlainFile plants, where a lock file goes, what
// someone who can write kage's data folder might: a link to a file to be
// created or to one of the user's files, a link to a device, a dangling
// link, a FIFO. Each is refused at once with an error naming it, nothing
// is created or changed where a link points, and a plain lock file works.
func TestLockRefusesWhatIsNotAPlainFile(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("the user's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, plant := range map[string]func(lock string) error{
		"link to a new file": func(lock string) error { return os.Symlink(filepath.Join(dir, "created"), lock) },
		"link to a file":     func(lock string) error { return os.Symlink(victim, lock) },
		"link to /dev/zero":  func(lock string) error { return os.Symlink("/dev/zero", lock) },
		"relative link":      func(lock string) error { return os.Symlink("../victim", lock) },
		"FIFO":               func(lock string) error { return syscall.Mkfifo(lock, 0o600) },
		"folder":             func(lock string) error { return os.Mkdir(lock, 0o700) },
	} {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.NewReplacer(" ", "-", "/", "-").Replace(name))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join(sub, "index.lock")
			if err := plant(lock); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			unlock, err := Lock(context.Background(), lock, "the index")
			if err == nil {
				unlock()
				t.Fatalf("Lock took %s", name)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Lock took %v to refuse", d)
			}
			if msg := err.Error(); !strings.Contains(msg, "cannot lock the index: "+lock) || !strings.Contains(msg, "remove it") {
				t.Errorf("error %q does not name the lock file and the fix", msg)
			}
			if _, err := os.Lstat(filepath.Join(dir, "created")); !os.IsNotExist(err) {
				t.Errorf("a file was created where the link points (%v)", err)
			}
			if fi, err := os.Stat(victim); err != nil || fi.Size() != int64(len("the user's file")) || fi.Mode().Perm() != 0o644 {
				t.Errorf("the linked file changed: %v %v", fi, err)
			}
		})
	}
}

// TestLockExcludes checks the lock still does its job: a second taker
// waits until the first lets go, and gives up with the context.
func TestLockExcludes(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "sub", "x.lock")
	unlock, err := Lock(context.Background(), lock, "x")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(lock); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v, %v", fi, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if u2, err := Lock(ctx, lock, "x"); err == nil {
		u2()
		t.Fatal("a second Lock took a held lock")
	} else if err != context.DeadlineExceeded {
		t.Errorf("second Lock = %v, want the context's error", err)
	}
	done := make(chan error, 1)
	go func() {
		u2, err := Lock(context.Background(), lock, "x")
		if err == nil {
			u2()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting Lock never got the lock")
	}
}
