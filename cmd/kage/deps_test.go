package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestLibrariesPrintNothing keeps DESIGN.md's rule: library packages (the
// resolution, doctor's checks, the stores) return what they found and
// never print or exit; cmd/kage alone decides how it is shown.
func TestLibrariesPrintNothing(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}} {{.Dir}} {{join .GoFiles \" \"}}", "github.com/kage-cli/kage/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	banned := regexp.MustCompile(`\bos\.(Stdout|Stderr|Exit)\b|\bfmt\.Print|\blog\.(Print|Fatal|Panic)`)
	libraries := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] == "main" {
			continue
		}
		libraries++
		for _, name := range f[3:] {
			data, err := os.ReadFile(filepath.Join(f[2], name))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range strings.Split(string(data), "\n") {
				if code, _, _ := strings.Cut(l, "//"); banned.MatchString(code) {
					t.Errorf("%s/%s:%d prints or exits: %s", f[1], name, i+1, strings.TrimSpace(l))
				}
			}
		}
	}
	if libraries < 10 {
		t.Fatalf("go list found %d library packages; the test looks in the wrong place", libraries)
	}
}
