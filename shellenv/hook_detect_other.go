//go:build !linux && !darwin

package shellenv

// parentName is not known here; Detect falls back to $SHELL.
func parentName() string { return "" }
