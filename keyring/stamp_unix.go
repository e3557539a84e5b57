//go:build linux || darwin

package keyring

import (
	"io/fs"
	"syscall"
)

// stampOf is what fileStamp keeps of fi.
func stampOf(fi fs.FileInfo) (fileStamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStamp{}, false
	}
	mtime, ctime := statTimes(st)
	return fileStamp{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: mtime, ctime: ctime}, true
}
