//go:build unix

package doctor

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// tightenMode sets the mode of path, a folder when dir, to mode. It opens
// path without following a link and changes the mode of what it opened,
// so a link put in place of one of kage's files cannot make doctor change
// a file elsewhere; and it changes only what the user owns.
func tightenMode(path string, dir bool, mode fs.FileMode) error {
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	if dir {
		flags |= unix.O_DIRECTORY
	}
	fd, err := unix.Open(path, flags, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch {
	case int(st.Uid) != os.Getuid():
		return errors.New("it belongs to another user")
	case dir && st.Mode&unix.S_IFMT != unix.S_IFDIR, !dir && st.Mode&unix.S_IFMT != unix.S_IFREG:
		return errors.New("it is not a plain file or folder")
	}
	return unix.Fchmod(fd, uint32(mode.Perm()))
}
