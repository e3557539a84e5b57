package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// blockingPipe is os.Pipe with both ends in blocking mode. The copy of a
// masked child's output then waits in read(2) on its own thread rather
// than through the runtime's poller, whose wake-ups (epoll, futex, a
// thread hand-off) were about 15% of kage's time streaming 256 MiB
// through the filter (BenchmarkMaskedExec).
func blockingPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}
