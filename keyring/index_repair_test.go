package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRepairReplacesEntries(t *testing.T) {
	ix := OpenIndex(filepath.Join(t.TempDir(), "data"))
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := ix.Repair(context.Background(), func(es []Entry, loadErr error) ([]Entry, error) {
		if es != nil || loadErr != nil {
			t.Fatalf("missing index: %v, %v", es, loadErr)
		}
		return []Entry{{Scope: "global", Name: "B", Created: t0, Updated: t0}, {Scope: "global", Name: "A", Created: t0, Updated: t0}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := ix.Load()
	if err != nil || len(got) != 2 || got[0].Name != "A" || got[1].Name != "B" {
		t.Fatalf("after repair: %+v, %v", got, err)
	}
	// An error from fn changes nothing.
	before, _ := os.ReadFile(ix.Path())
	if _, err := ix.Repair(context.Background(), func([]Entry, error) ([]Entry, error) {
		return nil, errors.New("keychain down")
	}); err == nil || err.Error() != "keychain down" {
		t.Fatalf("err = %v", err)
	}
	if after, _ := os.ReadFile(ix.Path()); string(after) != string(before) {
		t.Fatalf("a failed repair changed the index:\n%s", after)
	}
	if fi, err := os.Stat(ix.Path()); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("index mode %v, %v", fi.Mode(), err)
	}
}

func TestRepairMovesCorruptIndexAside(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ix := OpenIndex(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const broken = `{"version": 1, "secrets": [`
	for i := range 2 {
		if err := os.WriteFile(ix.Path(), []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		aside, err := ix.Repair(context.Background(), func(es []Entry, loadErr error) ([]Entry, error) {
			var ie *IndexError
			if es != nil || !errors.As(loadErr, &ie) {
				t.Fatalf("corrupt index: %v, %v", es, loadErr)
			}
			return []Entry{{Scope: "global", Name: "KEPT"}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(aside), "index.json.corrupt-") {
			t.Fatalf("moved aside to %q", aside)
		}
		// Two repairs in the same second keep both files.
		if i == 1 && !strings.HasSuffix(aside, "-2") {
			t.Errorf("second file aside is %q", aside)
		}
		data, err := os.ReadFile(aside)
		if err != nil || string(data) != broken {
			t.Fatalf("aside holds %q, %v", data, err)
		}
		if fi, _ := os.Stat(aside); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("aside is mode %v, want 0600", fi.Mode().Perm())
		}
		if got, err := ix.Load(); err != nil || len(got) != 1 || got[0].Name != "KEPT" {
			t.Fatalf("rebuilt index: %+v, %v", got, err)
		}
	}
}

func TestRepairLeavesCorruptIndexOnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ix := OpenIndex(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ix.Path(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Repair(context.Background(), func([]Entry, error) ([]Entry, error) {
		return nil, errors.New("no")
	}); err == nil {
		t.Fatal("no error")
	}
	if data, _ := os.ReadFile(ix.Path()); string(data) != "{" {
		t.Fatalf("index is now %q", data)
	}
	if m, _ := filepath.Glob(ix.Path() + ".corrupt-*"); len(m) != 0 {
		t.Fatalf("moved aside although nothing was rebuilt: %v", m)
	}
}
