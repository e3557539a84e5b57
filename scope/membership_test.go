package scope

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMembershipRoundTrip(t *testing.T) {
	data := filepath.Join(t.TempDir(), "kage")
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if ms, err := Members(data); err != nil || ms != nil {
		t.Fatalf("Members of a missing file = %v, %v", ms, err)
	}
	if old, err := UnsetMembership(ctx, data, "/r/api"); err != nil || old != "" {
		t.Errorf("UnsetMembership with none = %q, %v", old, err)
	}
	if _, err := os.Stat(MembershipPath(data)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an unset of nothing wrote the file: %v", err)
	}
	for _, s := range []struct{ repo, ns, old string }{
		{"/r/web", "Frontend", ""},
		{"/r/api", "backend", ""},
		{"/r/api", "backend", "backend"},
		{"/r/api", "other", "backend"},
	} {
		old, err := SetMembership(ctx, data, s.repo, s.ns, now)
		if err != nil || old != s.old {
			t.Errorf("SetMembership(%s, %s) = %q, %v; want %q", s.repo, s.ns, old, err, s.old)
		}
	}
	ms, err := Members(data)
	want := []Member{{Repo: "/r/api", Namespace: "other", Set: now}, {Repo: "/r/web", Namespace: "frontend", Set: now}}
	if err != nil || fmt.Sprint(ms) != fmt.Sprint(want) {
		t.Errorf("Members = %v, %v; want %v", ms, err, want)
	}
	if n, err := membershipOf(data, "/r/web"); err != nil || n != "frontend" {
		t.Errorf("membershipOf(/r/web) = %q, %v", n, err)
	}
	if n, err := membershipOf(data, "/r/web/sub"); err != nil || n != "" {
		t.Errorf("membershipOf(/r/web/sub) = %q, %v; a membership is the repository's alone", n, err)
	}
	if old, err := UnsetMembership(ctx, data, "/r/api"); err != nil || old != "other" {
		t.Errorf("UnsetMembership = %q, %v", old, err)
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{data, MembershipPath(data)} {
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: %v, mode %v; want private", p, err, fi.Mode())
			}
		}
	}
	for _, bad := range []struct{ repo, ns, err string }{
		{"/r/x", "Bad!", `namespace name "Bad!" is invalid`},
		{"relative", "ok", "absolute and clean"},
		{"/r/x/../y", "ok", "absolute and clean"},
		{"/r/caf\xe9", "ok", `path /r/caf\xe9 is not valid UTF-8`},
	} {
		if _, err := SetMembership(ctx, data, bad.repo, bad.ns, now); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("SetMembership(%q, %q) = %v; want %q", bad.repo, bad.ns, err, bad.err)
		}
	}
}

// TestMembershipConcurrent: writers hold the lock from read to rename, so
// none loses another's change.
func TestMembershipConcurrent(t *testing.T) {
	data := t.TempDir()
	var wg sync.WaitGroup
	const n = 12
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := SetMembership(context.Background(), data, fmt.Sprintf("/r/%02d", i), "ns", time.Now()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ms, err := Members(data); err != nil || len(ms) != n {
		t.Errorf("Members = %d, %v; want %d", len(ms), err, n)
	}
}

// TestMembershipFileHostile: the file is kage's, but anyone who could
// write it could move repositories into namespaces; kage refuses what it
// did not write, and never overwrites it.
func TestMembershipFileHostile(t *testing.T) {
	cases := []struct {
		name, content, err string
		mode               os.FileMode
	}{
		{"unknown field", `{"version": 1, "repositories": [], "extra": 1}`, `is corrupt: json: unknown field "extra"`, 0o600},
		{"trailing data", `{"version": 1, "repositories": []} {}`, "is corrupt: data after the JSON object", 0o600},
		{"version", `{"version": 2, "repositories": []}`, "has version 2; this kage reads version 1", 0o600},
		{"bad namespace", `{"version": 1, "repositories": [{"repo": "/r", "namespace": "Prod"}]}`, `is corrupt: namespace name "Prod" is invalid`, 0o600},
		{"relative repo", `{"version": 1, "repositories": [{"repo": "r", "namespace": "prod"}]}`, "is corrupt: stored scope", 0o600},
		{"twice", `{"version": 1, "repositories": [{"repo": "/r", "namespace": "a"}, {"repo": "/r", "namespace": "b"}]}`, "is corrupt: /r is listed twice", 0o600},
		{"escape in repo", `{"version": 1, "repositories": [{"repo": "/r\u001b[2J/..", "namespace": "a"}]}`, `/r\x1b[2J/..`, 0o600},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name, content, err string
			mode               os.FileMode
		}{"world-writable", `{"version": 1, "repositories": []}`, "is writable by every user", 0o666})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			p := MembershipPath(data)
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				var me *MembershipError
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &me) || !strings.Contains(me.Hint(), "kage namespace set") {
					t.Errorf("%s = %v; want a MembershipError containing %q", what, err, tt.err)
				}
				if err != nil && !printableText(err.Error()) {
					t.Errorf("%s carries control characters: %q", what, err)
				}
			}
			_, err := Members(data)
			check("Members", err)
			_, err = SetMembership(context.Background(), data, "/r/x", "a", time.Now())
			check("SetMembership", err)
			if got, _ := os.ReadFile(p); string(got) != tt.content {
				t.Errorf("the file was changed to %q", got)
			}
			home := testEnv(t)
			api := newRepo(t, filepath.Join(home, "api"))
			if _, err := Detect(api, Options{Data: data}); err == nil {
				t.Error("Detect with a corrupt membership file succeeded")
			}
		})
	}
}
