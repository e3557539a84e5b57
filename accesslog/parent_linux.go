package accesslog

import (
	"os"
	"strconv"
	"strings"
)

// Parent is the process that started this one. Its name is the kernel's
// command name (/proc/PID/comm, at most 15 bytes), never its command line.
func Parent() Process {
	p := Process{PID: os.Getppid()}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/comm"); err == nil {
		p.Name = strings.TrimSuffix(string(b), "\n")
	}
	return p
}
