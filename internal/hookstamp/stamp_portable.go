//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hookstamp

import (
	"errors"
	"io/fs"
	"os"
)

// stamp is the Unix one's portable kin, for kage's side of the watch list
// on Windows, where kage-hook is not built: a list written here is only
// ever read back by kage itself.
func stamp(b []byte, p string) []byte {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return append(b, '-')
	}
	if err != nil {
		return append(b, '?')
	}
	b = appendInt(b, int64(fi.Mode()))
	if !fi.IsDir() {
		b = append(b, '.')
		b = appendInt(b, fi.Size())
		b = append(b, '.')
		b = appendInt(b, fi.ModTime().UnixNano())
	}
	return b
}

func euid() int { return os.Geteuid() }

// Wd is the working directory, as kage sums it.
func Wd() (string, error) { return os.Getwd() }

// kind appends whether p is a regular file, following links.
func kind(b []byte, p string) []byte {
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return append(b, 'f')
	}
	return append(b, '-')
}
