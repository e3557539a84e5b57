//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package hookstamp

import "syscall"

func appendTimes(b []byte, st *syscall.Stat_t) []byte {
	b = appendInt(b, syscall.TimespecToNsec(st.Mtimespec))
	b = append(b, '.')
	return appendInt(b, syscall.TimespecToNsec(st.Ctimespec))
}
