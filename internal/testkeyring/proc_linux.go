//go:build linux

package testkeyring

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group, so that cleanup can
// kill everything it started, and has the kernel kill it should the test
// process die without running its cleanup (e.g. on a test timeout).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
