//go:build unix && !linux

package testkeyring

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group, so that cleanup can
// kill everything it started.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
