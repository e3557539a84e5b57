// Package atomicfile writes kage's small state files (the index, the
// subscription bindings, the file backend) so that a crash, a full disk or
// a concurrent kage never leaves one half-written or loses a change.
package atomicfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kage-cli/kage/internal/safefile"
)

// LockWait bounds how long a writer waits for another kage process to
// finish its write; each holder is itself bounded by the keychain timeout.
const LockWait = 30 * time.Second

// Lock takes the lock file path, creating its folder 0700, and waits at
// most LockWait for another kage to let go; what names the thing locked in
// the error. Writers hold it from their read to their rename, which is
// what keeps concurrent writers from losing each other's changes.
//
// The lock file lives in kage's data folder, which someone else may have
// written to: it is opened without following a symbolic link and must be a
// regular file, so a planted link cannot make kage create or open a file
// elsewhere, and a FIFO or device in its place cannot block or feed it.
func Lock(ctx context.Context, path, what string) (unlock func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create folder %s: %s", dir, PathErr(err))
	}
	l, err := openLock(path)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", what, err)
	}
	lctx, cancel := context.WithTimeout(ctx, LockWait)
	defer cancel()
	for {
		ok, err := l.tryLock()
		if err != nil {
			l.close()
			return nil, fmt.Errorf("cannot lock %s: %s", what, PathErr(err))
		}
		if ok {
			return l.unlock, nil
		}
		select {
		case <-lctx.Done():
			l.close()
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return nil, fmt.Errorf("cannot lock %s (another kage may be stuck): %s", what, lctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// lockRefused is the error for a lock file kage will not use; it reads
// after the file's path and says how to clear it.
func lockRefused(path, why string) error {
	return fmt.Errorf("%s %s; kage keeps its lock files plain and does not follow links: remove it (no kage is using it)", path, why)
}

// WriteTemp writes a new private (0600) file next to target with write,
// and syncs it; the caller renames it over target (Replace). Writing the
// whole new version aside first means a full disk or a crash never leaves
// target half-written. what names the file in errors.
func WriteTemp(target, what string, write func(io.Writer) error) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write %s: %s", what, PathErr(err))
	}
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %s", what, PathErr(err))
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
		return "", fmt.Errorf("write %s: %s", what, PathErr(err))
	}
	return f.Name(), nil
}

// Replace renames tmp over target and makes the rename durable; on failure
// tmp is removed and target is as it was.
func Replace(tmp, target, what string) error {
	if err := os.Rename(tmp, target); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replace %s: %s", what, PathErr(err))
	}
	SyncDir(filepath.Dir(target))
	return nil
}

// Write replaces target with data atomically: WriteTemp, then Replace.
func Write(target, what string, data []byte) error {
	tmp, err := WriteTemp(target, what, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return Replace(tmp, target, what)
}

// RemoveTemps removes the temporary files WriteTemp left beside target
// (WriteTemp names them .<name>-<random>.tmp). Call it only
// holding target's lock: every writer holds that lock from WriteTemp to
// its rename, so a temporary file found then belongs to a kage killed in
// between. Left alone they would pile up, each listing the names (or, for
// the file backend, the encrypted values) of the secrets of its day, those
// deleted since included. A failure only leaves the file: it is ignored.
func RemoveTemps(target string) {
	dir := filepath.Dir(target)
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + filepath.Base(target) + "-"
	for _, de := range des {
		if n := de.Name(); de.Type().IsRegular() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".tmp") {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}

// CheckPlain refuses a state file at path that kage did not leave as it
// writes them — a private regular file: a symbolic link (a write would
// replace the link and a read would follow it anywhere), a FIFO or device
// (a read would block or never end), or a file every user may write (anyone
// could have changed it). A missing file is fine; other Lstat errors are
// left to the reader. The error reads after the file's path: "index
// /x/index.json" + err.
func CheckPlain(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	return checkMode(fi.Mode())
}

func checkMode(m os.FileMode) error {
	switch {
	case m&os.ModeSymlink != 0:
		return errors.New("is a symbolic link; kage keeps it as a plain file and does not follow links")
	case !m.IsRegular():
		return fmt.Errorf("is not a regular file (mode %s)", m)
	case m.Perm()&0o002 != 0 && runtime.GOOS != "windows":
		// Windows shows every writable file as 0666: the bit means nothing
		// there, and %APPDATA% is private to the user.
		return fmt.Errorf("is writable by every user (mode %04o); kage does not trust it", m.Perm())
	}
	return nil
}

// ReadJSON decodes the JSON object in the state file at path into v,
// strictly: unknown fields and anything after the object are errors, and
// the file must pass CheckPlain. exists is false for a missing file. The
// error reads after the file's path, as CheckPlain's does.
func ReadJSON(path string, v any) (exists bool, err error) {
	data, exists, err := Read(path)
	if err != nil || !exists {
		return exists, err
	}
	return true, DecodeJSON(data, v)
}

// Read returns the content of the state file at path, which must pass
// CheckPlain; exists is false for a missing file. It is ReadJSON's read,
// for a caller that parses the data itself; the error reads after the
// file's path, as CheckPlain's does.
func Read(path string) (data []byte, exists bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		// The common case on every prompt: one call, no open.
		return nil, false, nil
	}
	if err == nil {
		if err := checkMode(fi.Mode()); err != nil {
			return nil, true, err
		}
	}
	return readChecked(path)
}

// readChecked is Read after the mode check. The file can change between
// Lstat and the read: a FIFO put in its place would block kage for good,
// a link to /dev/zero feed it until memory runs out. The read itself
// refuses both, and a file too big.
func readChecked(path string) (data []byte, exists bool, err error) {
	data, err = safefile.ReadFile(path, safefile.Options{Max: MaxState})
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, errors.New(safefile.Describe(err))
	}
	return data, true, nil
}

// MaxState is the largest state file Read takes. An index of 100,000
// secrets is about 13 MB; a bigger file was not written by kage.
const MaxState = 64 << 20

// DecodeJSON is ReadJSON's decoding of data, read by Read, into v.
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("is corrupt: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("is corrupt: data after the JSON object")
	}
	return nil
}

// SyncDir makes a rename durable; failure only weakens durability, so it is
// not reported (and Windows cannot sync a folder).
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// PathErr drops the *PathError wrapper so the path is not named twice.
func PathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
