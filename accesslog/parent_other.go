//go:build !linux && !darwin && !windows

package accesslog

import "os"

// Parent is the process that started this one, by pid alone: kage does
// not look up program names on this system.
func Parent() Process { return Process{PID: os.Getppid()} }
