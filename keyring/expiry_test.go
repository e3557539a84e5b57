package keyring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExpiry: both stores keep an expiry with the secret, move it on by
// its span when the value is set again, keep a date as it is, and drop it
// when told; the index says version 2 only while an entry has one.
func TestExpiry(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	id := filepath.Join(dir, "identity.txt")
	if _, err := GenerateIdentityFile(id); err != nil {
		t.Fatal(err)
	}
	key, err := ParseIdentityFile(id)
	if err != nil {
		t.Fatal(err)
	}
	file := NewFile(filepath.Join(dir, "secrets.age"), key)
	kc, _ := newMockStore(t)
	clock := t0
	file.now, kc.now = func() time.Time { return clock }, func() time.Time { return clock }
	for name, s := range map[string]interface {
		Store
		ExpirySetter
	}{"file": file, "keychain": kc} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			clock = t0
			expires := func(n string) Entry {
				t.Helper()
				es, err := s.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					if e.Name == n {
						return e
					}
				}
				t.Fatalf("%s not listed", n)
				return Entry{}
			}
			if err := s.SetExpiring(ctx, "global", "SPAN", []byte("v1"), Expiry{At: t0.Add(90 * day), Every: "90d"}); err != nil {
				t.Fatal(err)
			}
			if err := s.SetExpiring(ctx, "global", "DATE", []byte("v1"), Expiry{At: t0.Add(30 * day)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "global", "NONE", []byte("v1")); err != nil {
				t.Fatal(err)
			}
			clock = t0.Add(10 * day)
			for _, n := range []string{"SPAN", "DATE", "NONE"} {
				if err := s.Set(ctx, "global", n, []byte("v2")); err != nil {
					t.Fatal(err)
				}
			}
			if e := expires("SPAN"); !e.Expires.Equal(t0.Add(100*day)) || e.Every != "90d" {
				t.Errorf("SPAN after rotation: expires %v every %q, want 90 days after the rotation", e.Expires, e.Every)
			}
			if e := expires("DATE"); !e.Expires.Equal(t0.Add(30*day)) || e.Every != "" {
				t.Errorf("DATE after rotation: expires %v every %q, want the date kept", e.Expires, e.Every)
			}
			if e := expires("NONE"); !e.Expires.IsZero() {
				t.Errorf("NONE has expiry %v", e.Expires)
			}
			if name == "keychain" {
				data, _ := os.ReadFile(kc.Index().Path())
				if !strings.Contains(string(data), `"version": 2`) || !strings.Contains(string(data), `"expires_every": "90d"`) {
					t.Errorf("index with expiries:\n%s", data)
				}
			}
			for _, n := range []string{"SPAN", "DATE"} {
				if err := s.SetExpiring(ctx, "global", n, []byte("v3"), Expiry{}); err != nil {
					t.Fatal(err)
				}
				if e := expires(n); !e.Expires.IsZero() || e.Every != "" {
					t.Errorf("%s after removing its expiry: %v %q", n, e.Expires, e.Every)
				}
			}
			if name == "keychain" {
				data, _ := os.ReadFile(kc.Index().Path())
				if !strings.Contains(string(data), `"version": 1`) || strings.Contains(string(data), "expires") {
					t.Errorf("index without expiries:\n%s", data)
				}
			}
		})
	}
}
