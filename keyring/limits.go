package keyring

import (
	"runtime"
	"strings"
)

// MaxInput is the largest value kage accepts on any system: a limit on what
// it reads from stdin or a file, well above any credential.
const MaxInput = 1 << 20

// MaxValue is the largest value the keychain of this system takes for the
// given scope and name.
func MaxValue(scope, name string) int {
	return maxValueFor(runtime.GOOS, scope, name)
}

func maxValueFor(goos, scope, name string) int {
	switch goos {
	case "darwin":
		// go-keyring feeds `security -i` one command line of at most 4096
		// bytes: add-generic-password -U -s SERVICE -a NAME -w VALUE, the
		// value base64-encoded behind an 18-byte prefix, each part quoted.
		const line = 4096
		fixed := len("add-generic-password -U -s ") + quotedLen(Service(scope)) +
			len(" -a ") + quotedLen(name) + len(" -w ") + 2 + len("go-keyring-base64:") + len("\n")
		room := line - fixed
		if room <= 0 {
			return 0
		}
		return room / 4 * 3
	case "windows":
		return 2560
	default:
		return MaxInput
	}
}

// quotedLen is the length of s after shell quoting as go-keyring does it:
// single quotes around, each ' written as '"'"'.
func quotedLen(s string) int { return len(s) + 2 + 4*strings.Count(s, "'") }

func systemName(goos string) string {
	switch goos {
	case "darwin":
		return "macOS keychain"
	case "windows":
		return "Windows Credential Manager"
	}
	return "Secret Service keychain"
}

func checkSize(scope, name string, value []byte) error {
	if limit := MaxValue(scope, name); len(value) > limit {
		return &TooBigError{Name: name, Size: len(value), Limit: limit, System: systemName(runtime.GOOS)}
	}
	return nil
}
