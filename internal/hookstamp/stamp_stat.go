//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package hookstamp

import "syscall"

// stamp appends what identifies the version of the file at p: its device,
// inode, type, permissions and owner, and for anything but a folder its
// size and modification and change times. A folder's times move whenever
// an entry in it changes (git's lock files, at every git command), while
// what kage reads of a folder is only that it is there and whose it is;
// the files it reads inside are listed on their own. A link adds the
// stamp of what it points to.
func stamp(b []byte, p string) []byte {
	var st syscall.Stat_t
	if err := lstat(p, &st); err != nil {
		return appendErr(b, err)
	}
	b = appendStat(b, &st)
	if st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		b = append(b, '>')
		if err := statFollow(p, &st); err != nil {
			return appendErr(b, err)
		}
		b = appendStat(b, &st)
	}
	return b
}

func appendStat(b []byte, st *syscall.Stat_t) []byte {
	b = appendInt(b, int64(st.Dev))
	b = append(b, '.')
	b = appendInt(b, int64(st.Ino))
	b = append(b, '.')
	b = appendInt(b, int64(st.Mode))
	b = append(b, '.')
	b = appendInt(b, int64(st.Uid))
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		b = append(b, '.')
		b = appendInt(b, st.Size)
		b = append(b, '.')
		b = appendTimes(b, st)
	}
	return b
}

func appendErr(b []byte, err error) []byte {
	if err == syscall.ENOENT || err == syscall.ENOTDIR {
		return append(b, '-')
	}
	b = append(b, '?')
	if e, ok := err.(syscall.Errno); ok {
		b = appendInt(b, int64(e))
	}
	return b
}

func lstat(p string, st *syscall.Stat_t) error {
	for {
		if err := syscall.Lstat(p, st); err != syscall.EINTR {
			return err
		}
	}
}

func statFollow(p string, st *syscall.Stat_t) error {
	for {
		if err := syscall.Stat(p, st); err != syscall.EINTR {
			return err
		}
	}
}

func euid() int { return syscall.Geteuid() }

// Wd is the working directory as the kernel has it, links resolved: what
// kage-hook and kage both sum, so that they agree.
func Wd() (string, error) { return syscall.Getwd() }

// kind appends whether p is a regular file, following links.
func kind(b []byte, p string) []byte {
	var st syscall.Stat_t
	if statFollow(p, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG {
		return append(b, 'f')
	}
	return append(b, '-')
}
