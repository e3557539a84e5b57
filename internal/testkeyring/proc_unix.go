//go:build unix

package testkeyring

import (
	"os"
	"syscall"
)

// killGroup kills p and its process group, which setProcAttr made p lead.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
