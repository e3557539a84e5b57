//go:build unix

package accesslog

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openAppend opens the log for appending, creating it 0600. O_NOFOLLOW
// refuses a link and O_NONBLOCK keeps a FIFO from blocking the open; what
// is opened must be a regular file of the user's, and is made private if
// it is not.
func openAppend(path string) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CREAT|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.EMLINK):
		return nil, errors.New("it is a symbolic link; kage keeps it a plain file and does not follow links: remove it")
	case errors.Is(err, syscall.ENXIO):
		// A FIFO nobody reads.
		return nil, errors.New("it is not a regular file (a named pipe): remove it")
	case err != nil:
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		f.Close()
		return nil, fmt.Errorf("it is not a regular file (mode %#o): remove it", st.Mode&syscall.S_IFMT)
	case int(st.Uid) != os.Getuid():
		f.Close()
		return nil, errors.New("it belongs to another user: remove it")
	case st.Mode&0o077 != 0:
		_ = f.Chmod(0o600)
	}
	return f, nil
}
