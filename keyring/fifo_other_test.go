//go:build !unix

package keyring_test

import "errors"

func syscallMkfifo(path string) error { return errors.New("no FIFOs on this system") }
