//go:build !unix

package main

import "golang.org/x/term"

// readSecretLine reads one line from the terminal fd without echo.
func readSecretLine(fd int) ([]byte, error) { return term.ReadPassword(fd) }
