package hookstamp

import "syscall"

func appendTimes(b []byte, st *syscall.Stat_t) []byte {
	b = appendInt(b, st.Mtim.Nano())
	b = append(b, '.')
	return appendInt(b, st.Ctim.Nano())
}
