package main

import (
	"os"
	"syscall"
)

// forwarded are the signals kage passes on to the child it masks; Windows
// delivers Ctrl-C to the whole console, the child included.
var forwarded = []os.Signal{}

func shouldForward(os.Signal) bool { return false }

// killedBy: Windows processes end with an exit code only.
func killedBy(*os.ProcessState) (syscall.Signal, bool) { return 0, false }

func dieBy(syscall.Signal) {}
