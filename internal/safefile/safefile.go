// Package safefile reads the small files kage finds on disk — git's files
// in a work tree, kage's own state files, stores and identities — as files
// someone else may have written: never blocking on a FIFO, never reading a
// device or an endless file, and, where a link makes no sense, never
// following one.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Options say how one file may be opened.
type Options struct {
	// Max is the largest size read, in bytes; a bigger file is an error.
	Max int64
	// Follow lets the last element of the path be a symbolic link, for
	// files whose owner may link them (git follows a linked .git/config).
	// Either way the file opened must be a regular file.
	Follow bool
}

// ErrTooLarge is wrapped by the error for a file over Options.Max.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is wrapped by the error for a link (when not followed), a
// FIFO, a device, a socket or a folder.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads the regular file at path, at most o.Max bytes. A missing
// file gives an error satisfying errors.Is(err, fs.ErrNotExist). Errors
// read after the path: "/x/.git/config" + ": " + err.
func ReadFile(path string, o Options) ([]byte, error) {
	b, _, err := ReadFileInfo(path, o)
	return b, err
}

// ReadFileInfo is ReadFile that also returns what the opened file's
// descriptor said of it before the read, for a caller that wants to tell
// later whether the file is still the one it read.
func ReadFileInfo(path string, o Options) ([]byte, fs.FileInfo, error) {
	f, err := open(path, o.Follow)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))
	}
	if o.Max > 0 && fi.Size() > o.Max {
		return nil, nil, tooLarge(o.Max)
	}
	limit := o.Max
	if limit <= 0 {
		limit = 1 << 62
	}
	// The size can change between Stat and the read: read one byte more
	// than allowed to tell a file that grew. The buffer starts at the size
	// Stat gave (io.ReadAll would start at 512 bytes and copy the file as
	// it doubles), up to a bound so that a size that lies costs nothing.
	b := make([]byte, 0, min(fi.Size(), limit, 64<<20)+1)
	r := io.LimitReader(f, limit+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if int64(len(b)) > limit {
		return nil, nil, tooLarge(o.Max)
	}
	return b, fi, nil
}

// Open opens the regular file at path as ReadFile would read it, for a
// caller that reads it in pieces: a link (unless o.Follow), a FIFO, a
// device or a file over o.Max is refused, with ReadFile's errors. The
// caller closes the file.
func Open(path string, o Options) (*os.File, fs.FileInfo, error) {
	f, err := open(path, o.Follow)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))
	} else if err == nil && o.Max > 0 && fi.Size() > o.Max {
		err = tooLarge(o.Max)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// sizeError reads "larger than 256 KiB" and is ErrTooLarge.
type sizeError struct{ max int64 }

func (e sizeError) Error() string        { return "larger than " + Size(e.max) }
func (e sizeError) Is(target error) bool { return target == ErrTooLarge }

func tooLarge(max int64) error { return sizeError{max} }

// Size writes n bytes for a message: "256 KiB", "1 MiB", "300 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Describe turns a ReadFile error into the words after a file's name:
// "is not a regular file (a FIFO)", "is larger than 256 KiB",
// "does not exist", "is a symbolic link, which kage does not follow here".
func Describe(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrNotRegular):
		return "is " + err.Error()
	case isLink(err):
		return "is a symbolic link, which kage does not follow here"
	case errors.As(err, &pe):
		return "cannot be read: " + pe.Err.Error()
	}
	return "cannot be read: " + err.Error()
}

// kind names what a file that is not a regular file is.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "mode " + m.String()
}
