//go:build !unix

package main

import "io/fs"

// sameOwner is false where kage-hook is not used.
func sameOwner(a, b fs.FileInfo) bool { return false }
