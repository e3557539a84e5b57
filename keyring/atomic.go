package keyring

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// lockFile takes the lock file path, creating its folder 0700, and waits at
// most lockWait for another kage to let go; what names the thing locked in
// the error. Writers hold it from their read to their rename, which is
// what keeps concurrent writers from losing each other's changes.
func lockFile(ctx context.Context, path, what string) (unlock func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create folder %s: %s", dir, pathErr(err))
	}
	lock := flock.New(path, flock.SetPermissions(0o600))
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	ok, err := lock.TryLockContext(lctx, 10*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = lctx.Err()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("cannot lock %s (another kage may be stuck): %s", what, pathErr(err))
	}
	return func() { _ = lock.Unlock() }, nil
}

// writeTemp writes a new private (0600) file next to target with write,
// and syncs it; the caller renames it over target. Writing the whole new
// version aside first means a full disk or a crash never leaves target
// half-written. what names the file in errors.
func writeTemp(target, what string, write func(io.Writer) error) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write %s: %s", what, pathErr(err))
	}
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %s", what, pathErr(err))
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if err := write(f); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %s", what, pathErr(err))
	}
	return f.Name(), nil
}
