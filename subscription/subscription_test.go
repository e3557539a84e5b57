package subscription

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kage-cli/kage/keyring"
)

func TestNormalize(t *testing.T) {
	good := map[string]string{
		"work-account": "work-account",
		"Work-Account": "work-account",
		"team.ci_2":    "team.ci_2",
		"9lives":       "9lives",
	}
	for in, want := range good {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "-x", ".x", "a b", "a/b", "a:b", "ü", "\u212a", strings.Repeat("a", 65), "x\x00"}
	for _, in := range bad {
		_, err := Normalize(in)
		if err == nil {
			t.Errorf("Normalize(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), "subscription name") {
			t.Errorf("Normalize(%q) error %q does not say what was wrong", in, err)
		}
	}
	if err := ValidName("Work"); err == nil {
		t.Error("ValidName accepted an upper-case name")
	}
}

func TestScopeRoundTrip(t *testing.T) {
	if got := Scope("work"); got != "subscription:work" {
		t.Fatalf("Scope = %q", got)
	}
	if n, ok := FromScope("subscription:work"); !ok || n != "work" {
		t.Errorf("FromScope = %q, %v", n, ok)
	}
	for _, s := range []string{"global", "namespace:work", "repo:/x", "subscription:", "subscription:Bad", "subscription:a/b"} {
		if _, ok := FromScope(s); ok {
			t.Errorf("FromScope(%q) accepted", s)
		}
	}
}

func TestKeysPicksNewestAndReportsStale(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	entries := []keyring.Entry{
		{Scope: "global", Name: "ANTHROPIC_API_KEY", Updated: t0.Add(5 * time.Hour)},
		{Scope: "subscription:work", Name: "ANTHROPIC_API_KEY", Updated: t0},
		{Scope: "subscription:work", Name: "CLAUDE_KEY", Updated: t0.Add(time.Hour)},
		{Scope: "subscription:home", Name: "OPENAI_API_KEY", Updated: t0},
		{Scope: "subscription:BAD", Name: "X", Updated: t0},
	}
	keys, stale := Keys(entries)
	if len(keys) != 2 {
		t.Fatalf("keys = %v", keys)
	}
	if k := keys["work"]; k.Var != "CLAUDE_KEY" || k.Ref() != (keyring.Ref{Scope: "subscription:work", Name: "CLAUDE_KEY"}) {
		t.Errorf("work = %+v; want the newer key, CLAUDE_KEY", k)
	}
	if keys["home"].Var != "OPENAI_API_KEY" {
		t.Errorf("home = %+v", keys["home"])
	}
	if len(stale) != 1 || stale[0].Name != "ANTHROPIC_API_KEY" || stale[0].Scope != "subscription:work" {
		t.Errorf("stale = %v", stale)
	}
}

func TestBindingsUpdateAndLoad(t *testing.T) {
	dir := t.TempDir()
	b := Open(filepath.Join(dir, "data"))
	if bs, err := b.Load(); err != nil || bs != nil {
		t.Fatalf("missing file: %v, %v", bs, err)
	}
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := b.Update(ctx, func(bs []Binding) ([]Binding, error) {
		return append(bs,
			Binding{Scope: "namespace:prod", Subscription: "work", Bound: now},
			Binding{Scope: "global", Subscription: "home", Bound: now},
			Binding{Scope: "global", Subscription: "ai", Bound: now}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(b.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bindings file: %v, %v", fi, err)
	}
	bs, err := b.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := At(bs, "global"); !reflect.DeepEqual(got, []string{"ai", "home"}) {
		t.Errorf("At(global) = %v", got)
	}
	if got := Of(bs, "work"); !reflect.DeepEqual(got, []string{"namespace:prod"}) {
		t.Errorf("Of(work) = %v", got)
	}
	// An error from fn changes nothing.
	before, _ := os.ReadFile(b.Path())
	boom := errors.New("boom")
	if err := b.Update(ctx, func([]Binding) ([]Binding, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Update error = %v", err)
	}
	if after, _ := os.ReadFile(b.Path()); string(after) != string(before) {
		t.Error("a failed update changed the file")
	}
}

func TestBindingsConcurrentUpdatesLoseNothing(t *testing.T) {
	b := Open(t.TempDir())
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := string(rune('a'+i)) + "-sub"
			err := b.Update(context.Background(), func(bs []Binding) ([]Binding, error) {
				return append(bs, Binding{Scope: "global", Subscription: name}), nil
			})
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	bs, err := b.Load()
	if err != nil || len(bs) != 20 {
		t.Fatalf("after 20 concurrent updates: %d bindings, %v", len(bs), err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	cases := map[string]string{
		"not json":        "{",
		"wrong version":   `{"version": 2, "bindings": []}`,
		"unknown field":   `{"version": 1, "bindings": [], "extra": 1}`,
		"bad scope":       `{"version": 1, "bindings": [{"scope": "repo:relative", "subscription": "work"}]}`,
		"reserved scope":  `{"version": 1, "bindings": [{"scope": "subscription:work", "subscription": "work"}]}`,
		"bad name":        `{"version": 1, "bindings": [{"scope": "global", "subscription": "Work"}]}`,
		"empty name":      `{"version": 1, "bindings": [{"scope": "global", "subscription": ""}]}`,
		"duplicate":       `{"version": 1, "bindings": [{"scope": "global", "subscription": "w"}, {"scope": "global", "subscription": "w"}]}`,
		"trailing object": `{"version": 1, "bindings": []} {"version": 1}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b := Open(dir)
			if err := os.WriteFile(b.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := b.Load()
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load = %v; want a *FileError", err)
			}
			// An unusable file is never overwritten by an update.
			if err := b.Update(context.Background(), func(bs []Binding) ([]Binding, error) { return bs, nil }); err == nil {
				t.Error("Update wrote over an unusable file")
			}
			if got, _ := os.ReadFile(b.Path()); string(got) != content {
				t.Error("the file changed")
			}
		})
	}
}
