package keyring

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
)

// FileKeyKind says what the secrets file at path is encrypted to, from its
// age header (which names each recipient's kind in the clear): "passphrase"
// for scrypt, "identity" for anything else (X25519, post-quantum hybrids,
// plugins), "" when there is no such file or it is not an age file kage
// can read — the store's own checks then say what is wrong. It reads the
// header only and decrypts nothing.
func FileKeyKind(path string) string {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	// Non-blocking: a FIFO put in its place since the Lstat must not hang.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, 64<<10))
	first, err := r.ReadBytes('\n')
	if err != nil || !bytes.Equal(bytes.TrimRight(first, "\r\n"), []byte("age-encryption.org/v1")) {
		return ""
	}
	kind := ""
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) || err != nil && len(line) == 0 {
			return kind
		}
		switch {
		case bytes.HasPrefix(line, []byte("-> scrypt ")):
			return "passphrase"
		case bytes.HasPrefix(line, []byte("-> ")):
			kind = "identity"
		case bytes.HasPrefix(line, []byte("---")):
			return kind
		}
	}
}
