//go:build !unix

package testkeyring

import (
	"os"
	"os/exec"
)

// setProcAttr does nothing: Available fails on this system anyway.
func setProcAttr(*exec.Cmd) {}

// killGroup kills p.
func killGroup(p *os.Process) { _ = p.Kill() }
