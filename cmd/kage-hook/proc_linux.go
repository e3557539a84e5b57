//go:build linux

package main

import "syscall"

// On Linux the arguments and the environment are read from /proc, as they
// were at exec: the os package would give them too, but initialising it
// (and syscall's environment map, built at the first Getenv) costs more
// than everything else kage-hook does.

func argv() []string {
	buf := readProc("/proc/self/cmdline", 1<<10)
	var args []string
	for len(buf) > 0 {
		i := 0
		for i < len(buf) && buf[i] != 0 {
			i++
		}
		args = append(args, string(buf[:i]))
		if i == len(buf) {
			break
		}
		buf = buf[i+1:]
	}
	return args
}

var (
	environ     []byte
	environRead bool
)

// getenv is the value of the first KEY=value for key, as Go's
// syscall.Getenv (and hence kage) sees it.
func getenv(k string) string {
	if !environRead {
		environRead = true
		environ = readProc("/proc/self/environ", 4<<10)
	}
	if environ == nil {
		// A process that cannot read its own /proc entry (not dumpable)
		// still has its environment; syscall's copy is slower, not wrong.
		v, _ := syscall.Getenv(k)
		return v
	}
	for e := environ; len(e) > 0; {
		i := 0
		for i < len(e) && e[i] != 0 {
			i++
		}
		if kv := e[:i]; len(kv) > len(k) && kv[len(k)] == '=' && string(kv[:len(k)]) == k {
			return string(kv[len(k)+1:])
		}
		if i == len(e) {
			break
		}
		e = e[i+1:]
	}
	return ""
}

// readProc reads a file of /proc whole, starting with a buffer of size
// bytes; nil if it cannot.
func readProc(path string, size int) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil
		}
		if n == 0 {
			return buf
		}
		buf = buf[:len(buf)+n]
	}
}
