//go:build !unix

package safefile

import (
	"errors"
	"os"
)

var errLink = errors.New("is a symbolic link")

// open checks for a link first where the system has no O_NOFOLLOW; the
// regular-file check after the open still refuses anything but a file.
func open(path string, follow bool) (*os.File, error) {
	if !follow {
		fi, err := os.Lstat(path)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return nil, &os.PathError{Op: "open", Path: path, Err: errLink}
		}
	}
	return os.Open(path)
}

func isLink(err error) bool { return errors.Is(err, errLink) }
