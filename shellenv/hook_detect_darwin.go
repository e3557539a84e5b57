package shellenv

import (
	"bytes"
	"os"

	"golang.org/x/sys/unix"
)

// parentName asks the kernel for the parent's command name.
func parentName() string {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", os.Getppid())
	if err != nil {
		return ""
	}
	comm := kp.Proc.P_comm[:]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	return string(comm)
}
