//go:build !windows

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an open lock file and its flock(2) lock.
type fileLock struct{ f *os.File }

// openLock opens (or creates, 0600) the lock file at path. O_NOFOLLOW
// refuses a symbolic link in the last component; O_NONBLOCK keeps a FIFO
// from blocking the open; the file must then be a regular file.
func openLock(path string) (*fileLock, error) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			// EMLINK is what FreeBSD returns for O_NOFOLLOW on a link.
			return nil, lockRefused(path, "is a symbolic link")
		}
		if errors.Is(err, syscall.EISDIR) {
			return nil, lockRefused(path, "is a folder")
		}
		return nil, fmt.Errorf("open %s: %s", path, PathErr(err))
	}
	f := os.NewFile(uintptr(fd), path)
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %s", path, PathErr(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, lockRefused(path, fmt.Sprintf("is not a regular file (mode %s)", fi.Mode()))
	}
	return &fileLock{f: f}, nil
}

// tryLock takes the exclusive lock if it is free; ok is false if another
// process holds it.
func (l *fileLock) tryLock() (ok bool, err error) {
	for {
		err = syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}

func (l *fileLock) unlock() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.close()
}

func (l *fileLock) close() { _ = l.f.Close() }
