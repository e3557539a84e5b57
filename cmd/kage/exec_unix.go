//go:build !windows

package main

import (
	"fmt"
	"syscall"
)

// runReplacing replaces kage with the program, so signals and the exit
// code are the program's own, and kage holds no secret while it runs.
func runReplacing(path string, args, env []string) error {
	settle()
	unharden()
	if err := syscall.Exec(path, args, env); err != nil {
		return fmt.Errorf("cannot run %s: %w", path, err)
	}
	return nil
}
