//go:build !unix

package doctor

import (
	"errors"
	"io/fs"
)

// tightenMode has nothing to do where mode bits mean nothing.
func tightenMode(path string, dir bool, mode fs.FileMode) error {
	return errors.New("file modes do not apply on this system")
}
