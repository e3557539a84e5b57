//go:build !linux

package main

import "os"

// blockingPipe is os.Pipe here; on Linux it avoids the runtime's poller.
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }
