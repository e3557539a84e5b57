package atomicfile

import (
	"fmt"
	"os"

	"github.com/gofrs/flock"
)

// fileLock is a lock file locked with LockFileEx (gofrs/flock).
type fileLock struct{ l *flock.Flock }

// openLock refuses a lock file that is a link (a reparse point) or not a
// regular file. Windows has no O_NOFOLLOW; creating a symbolic link there
// takes a privilege or developer mode, and %APPDATA% is private to the
// user, so checking just before the open is what is left to do.
func openLock(path string) (*fileLock, error) {
	if fi, err := os.Lstat(path); err == nil {
		switch m := fi.Mode(); {
		case m&os.ModeSymlink != 0:
			return nil, lockRefused(path, "is a symbolic link")
		case !m.IsRegular():
			return nil, lockRefused(path, fmt.Sprintf("is not a regular file (mode %s)", m))
		}
	}
	return &fileLock{l: flock.New(path, flock.SetPermissions(0o600))}, nil
}

func (l *fileLock) tryLock() (bool, error) { return l.l.TryLock() }

func (l *fileLock) unlock() { _ = l.l.Unlock() }

func (l *fileLock) close() { _ = l.l.Close() }
