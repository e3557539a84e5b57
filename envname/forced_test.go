package envname

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestForced(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	f := OpenForced(dir)
	got, err := f.Load()
	if err != nil || got != nil {
		t.Fatalf("missing file: %v, %v", got, err)
	}
	// Removing what is not recorded creates nothing.
	if err := f.Remove(ctx, "global", []string{"PATH"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Remove created %s", dir)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := f.Add(ctx, "global", []string{"PATH", "API_KEY", "LD_PRELOAD", "UID"}, now); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(ctx, "repo:/x", []string{"PATH"}, now); err != nil {
		t.Fatal(err)
	}
	got, err = f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Has("global", "PATH") || !got.Has("global", "LD_PRELOAD") || !got.Has("repo:/x", "PATH") {
		t.Errorf("record lacks a forced name: %v", got)
	}
	if got.Has("global", "API_KEY") || got.Has("global", "UID") || got.Has("global", "path") || got.Has("namespace:x", "PATH") {
		t.Errorf("record holds what was not forced: %v", got)
	}
	if len(got) != 3 {
		t.Errorf("record holds %d pairs, want 3: %v", len(got), got)
	}
	fi, err := os.Stat(f.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode: %v, %v", fi, err)
	}
	for _, c := range []struct {
		scope, name string
		want        bool
	}{
		{"global", "API_KEY", true}, {"global", "PATH", true}, {"repo:/x", "PATH", true},
		{"namespace:x", "PATH", false}, {"global", "path", false}, {"global", "GIT_DIR", false},
		{"global", "A B", false}, {"global", "UID", false},
	} {
		if got.Allows(c.scope, c.name) != c.want {
			t.Errorf("Allows(%s, %s) = %v", c.scope, c.name, !c.want)
		}
	}
	// A hand-written record cannot make a shell's own name exported.
	if (Accepted{{Scope: "global", Name: "UID"}, {Scope: "global", Name: "__kage_saved_X"}}).Allows("global", "UID") {
		t.Error("a recorded UID is exported")
	}
	if err := f.Remove(ctx, "global", []string{"PATH"}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.Load()
	if got.Has("global", "PATH") || !got.Has("repo:/x", "PATH") {
		t.Errorf("after Remove: %v", got)
	}
}

func TestForcedHostile(t *testing.T) {
	dir := t.TempDir()
	f := OpenForced(dir)
	for name, content := range map[string]string{
		"version":  `{"version": 2, "names": []}`,
		"badname":  `{"version": 1, "names": [{"scope": "global", "name": "A B", "forced": "2020-01-01T00:00:00Z"}]}`,
		"noscope":  `{"version": 1, "names": [{"scope": "", "name": "PATH", "forced": "2020-01-01T00:00:00Z"}]}`,
		"control":  `{"version": 1, "names": [{"scope": "global\u001b[2J", "name": "PATH", "forced": "2020-01-01T00:00:00Z"}]}`,
		"unknown":  `{"version": 1, "names": [], "all": true}`,
		"trailing": `{"version": 1, "names": []} {}`,
	} {
		if err := os.WriteFile(f.Path(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var fe *ForcedError
		if _, err := f.Load(); !errors.As(err, &fe) {
			t.Errorf("%s: Load = %v, want a ForcedError", name, err)
		}
		if err := f.Add(context.Background(), "global", []string{"PATH"}, time.Now()); err == nil {
			t.Errorf("%s: Add wrote over a record it cannot read", name)
		}
	}
	// A link is not followed.
	os.Remove(f.Path())
	target := filepath.Join(dir, "elsewhere.json")
	os.WriteFile(target, []byte(`{"version": 1, "names": [{"scope": "global", "name": "PATH", "forced": "2020-01-01T00:00:00Z"}]}`), 0o600)
	if err := os.Symlink(target, f.Path()); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Load(); err == nil {
		t.Errorf("a symbolic link was followed: %v", got)
	}
}
