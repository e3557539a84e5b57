package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDefaultBuildStaysSmall keeps heavy packages out of the default
// binary: every package's init runs at each prompt (the hook) and each
// `kage env`, and the cloud SDKs belong behind their build tags.
func TestDefaultBuildStaysSmall(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/kage-cli/kage/cmd/kage").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	banned := []string{
		"net/http",                   // pulled in once by a test-only field; 0.9 MB and init time
		"encoding/gob",               // go-git's config decoder; 0.13 ms of init
		"github.com/go-git/",         // see scope/gitcfg.go
		"github.com/aws/",            // -tags aws only
		"github.com/Azure/",          // -tags azure only
		"github.com/BurntSushi/toml", // loads the local time zone at init
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b) && strings.HasSuffix(b, "/") {
				t.Errorf("the default build imports %s", pkg)
			}
		}
	}
}
