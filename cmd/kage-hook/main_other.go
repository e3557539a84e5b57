//go:build !unix

package main

import (
	"fmt"
	"os"
)

// On Windows the hook runs kage itself: kage hook never names kage-hook.
func main() {
	fmt.Fprintln(os.Stderr, "kage-hook: only Unix shells use it; the PowerShell hook runs kage")
	os.Exit(2)
}
