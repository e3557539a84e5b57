package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteIsPrivateAndRemoveTempsKeepsOthers(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "state.json")
	if err := Write(target, "state", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("written file: %v, %v", fi, err)
	}
	// What a writer killed between WriteTemp and Replace leaves, beside
	// files that must stay.
	tmp, err := WriteTemp(target, "state", func(w io.Writer) error { _, err := w.Write([]byte("v2")); return err })
	if err != nil {
		t.Fatal(err)
	}
	keep := []string{"state.json", "other.json", ".other.json-1.tmp", ".state.json-x.tmpl"}
	for _, n := range keep[1:] {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	RemoveTemps(target)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the killed writer's %s is still there", tmp)
	}
	des, _ := os.ReadDir(dir)
	var left []string
	for _, de := range des {
		left = append(left, de.Name())
	}
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Errorf("left %v, want %v", left, keep)
	}
	if got, _ := os.ReadFile(target); string(got) != "v1" {
		t.Errorf("target = %q", got)
	}
}
