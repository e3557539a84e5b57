package accesslog

import (
	"errors"
	"os"
)

// openAppend opens the log for appending, creating it; a link in its
// place is refused. %APPDATA% is private to the user.
func openAppend(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, errors.New("it is not a regular file: remove it")
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}
