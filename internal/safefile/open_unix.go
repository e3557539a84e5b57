//go:build unix

package safefile

import (
	"errors"
	"os"
	"syscall"
)

// open opens path for reading without blocking: O_NONBLOCK makes opening a
// FIFO with no writer return at once instead of waiting for one, and the
// caller's regular-file check then refuses it. O_NOFOLLOW refuses a link.
func open(path string, follow bool) (*os.File, error) {
	flags := syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}

func isLink(err error) bool { return errors.Is(err, syscall.ELOOP) }
