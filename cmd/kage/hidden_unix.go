//go:build unix

package main

import (
	"context"
	"errors"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// readSecretLine reads one line from the terminal fd without echo. The
// terminal is raw for the read, so kage sees the keys itself: Ctrl-C and
// Ctrl-D cancel (x/term's ReadPassword keeps reading after Ctrl-D, so a
// user who pressed it sat at a prompt that ignored them), backspace and
// Ctrl-U edit, Enter ends the line. ready runs once echo is off, to show
// the prompt: a key typed as soon as the prompt shows is never echoed.
func readSecretLine(fd int, ready func()) ([]byte, error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	defer func() { _ = term.Restore(fd, old) }()
	ready()
	var line []byte
	var b [1]byte
	for {
		n, err := unix.Read(fd, b[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			clear(line)
			if err == nil {
				err = context.Canceled // the terminal closed
			}
			return nil, err
		}
		switch c := b[0]; c {
		case '\r', '\n':
			return line, nil
		case 0x03, 0x04: // Ctrl-C, Ctrl-D
			clear(line)
			return nil, context.Canceled
		case 0x7f, 0x08: // backspace: one character, UTF-8 or not
			for len(line) > 0 {
				last := line[len(line)-1]
				line = line[:len(line)-1]
				if last&0xc0 != 0x80 {
					break
				}
			}
		case 0x15: // Ctrl-U
			clear(line)
			line = line[:0]
		default:
			line = append(line, c)
		}
	}
}
