package accesslog

import (
	"os"

	"golang.org/x/sys/unix"
)

// Parent is the process that started this one. Its name is the kernel's
// command name (p_comm, at most 16 bytes), never its command line.
func Parent() Process {
	p := Process{PID: os.Getppid()}
	if kp, err := unix.SysctlKinfoProc("kern.proc.pid", p.PID); err == nil {
		p.Name = unix.ByteSliceToString(kp.Proc.P_comm[:])
	}
	return p
}
