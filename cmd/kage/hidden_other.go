//go:build !unix

package main

import "golang.org/x/term"

// readSecretLine shows the prompt (ready) and reads one line from the
// terminal fd without echo.
func readSecretLine(fd int, ready func()) ([]byte, error) {
	ready()
	return term.ReadPassword(fd)
}
