package accesslog

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func entry(i int) Entry {
	return Entry{
		Time: time.Date(2026, 12, 4, 10, 0, i, 0, time.UTC), Command: "exec",
		Secrets: []Secret{{Name: "API_KEY", Scope: "global"}, {Name: "ANTHROPIC_API_KEY", Scope: "repo:/src/api", Subscription: "work"}},
		Dir:     "/src/api", PID: 100 + i, Program: "claude", Parent: Process{PID: 99, Name: "bash"},
	}
}

func TestAppendRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kage")
	l := Open(dir)
	for i := range 3 {
		if err := l.Append(context.Background(), entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := l.Read()
	got := c.Entries
	if err != nil || c.Skipped != 0 || len(got) != 3 {
		t.Fatalf("Read: %d entries, %d skipped, %v", len(got), c.Skipped, err)
	}
	if got[2].PID != 102 || got[2].Secrets[1].Subscription != "work" || got[2].Parent.Name != "bash" {
		t.Errorf("entry read back as %+v", got[2])
	}
	fi, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("access.log is mode %04o, want 0600", fi.Mode().Perm())
	}
	// A line that is not an entry is skipped, and counted.
	f, _ := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"time\":\"2026-12-04T10:00:0\n")
	f.Close()
	if c, err := l.Read(); err != nil || c.Skipped != 1 || len(c.Entries) != 3 {
		t.Errorf("with a torn line: %d entries, %d skipped, %v", len(c.Entries), c.Skipped, err)
	}
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	l := Open(dir)
	big := strings.Repeat("x", MaxSize)
	if err := os.WriteFile(l.Path(), []byte(big+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), entry(1)); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(dir, OldFileName))
	if err != nil || len(old) != MaxSize+1 {
		t.Fatalf("access.log.1: %d bytes, %v; want the full old log", len(old), err)
	}
	cur, _ := os.ReadFile(l.Path())
	if n := bytes.Count(cur, []byte("\n")); n != 1 {
		t.Errorf("the new access.log has %d lines, want 1", n)
	}
	// Under the limit nothing moves.
	if err := l.Append(context.Background(), entry(2)); err != nil {
		t.Fatal(err)
	}
	if cur, _ := os.ReadFile(l.Path()); bytes.Count(cur, []byte("\n")) != 2 {
		t.Errorf("access.log rotated under MaxSize")
	}
}

// TestReadBounds: lines someone else wrote cannot make Read hold much
// more than the file: one with a hundred thousand secrets, an overlong
// one, and one naming a secret without a name are skipped, and a file
// far past MaxSize is read only up to its bound.
func TestReadBounds(t *testing.T) {
	dir := t.TempDir()
	l := Open(dir)
	if err := l.Append(context.Background(), entry(1)); err != nil {
		t.Fatal(err)
	}
	head := `{"time":"2026-12-04T10:00:00Z","command":"env","dir":"/x","pid":1,"parent":{"pid":1},"secrets":[`
	many := head + strings.Repeat(`{"name":"A"},`, 100_000) + `{"name":"B"}]}`
	long := head + `{"name":"A","scope":"` + strings.Repeat("x", maxLine) + `"}]}`
	unnamed := head + `{},{"name":"A"}]}`
	none := head + `]}`
	f, err := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{many, long, unnamed, none} {
		f.WriteString(line + "\n")
	}
	f.Close()
	c, err := l.Read()
	if err != nil || len(c.Entries) != 1 || c.Skipped != 4 {
		t.Fatalf("Read: %d entries, %d skipped, %v; want 1 and 4", len(c.Entries), c.Skipped, err)
	}
	// A far larger file is refused, not read whole.
	big := bytes.Repeat([]byte(" "), maxRead+1)
	if err := os.WriteFile(l.Path(), big, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(); err == nil {
		t.Fatalf("Read took a %d-byte access.log", len(big))
	}
}

// TestConcurrentAppends: many writers at once lose and tear no line.
func TestConcurrentAppends(t *testing.T) {
	l := Open(t.TempDir())
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if err := l.Append(context.Background(), entry(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	c, err := l.Read()
	if err != nil || c.Skipped != 0 || len(c.Entries) != 40 {
		t.Errorf("%d entries, %d skipped, %v; want 40, 0", len(c.Entries), c.Skipped, err)
	}
}

func TestEntryFields(t *testing.T) {
	// What a line may hold: these keys and no other (no value, hash or
	// length can hide in a field this test does not know).
	b, _ := json.Marshal(Entry{Agents: []Agent{{Name: "codex", Session: "x"}}})
	var m map[string]any
	json.Unmarshal(b, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	want := "agents command dir parent pid secrets time"
	slices.Sort(keys)
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("entry keys %q, want %q", got, want)
	}
}

func TestAgents(t *testing.T) {
	env := map[string]string{
		"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a11",
		"CODEX_THREAD_ID": "019d1afb-$(touch x)", "CURSOR_AGENT": "1",
	}
	got := Agents(func(k string) string { return env[k] })
	want := []Agent{{Name: "claude-code", Session: "5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a11"}, {Name: "codex"}, {Name: "cursor"}}
	if len(got) != len(want) {
		t.Fatalf("Agents = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("agent %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A session variable holding anything but a UUID is left out: a
	// token put there by mistake or on purpose must not reach the log.
	for _, id := range []string{
		"sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAA", "ghp_0123456789abcdefghijABCDEFGHIJ0123",
		"5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a1g", "5c0a7f1e7d1b-4c4e-9a57-3b1d7f0e2a11-", "",
	} {
		env := map[string]string{"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": id}
		if got := Agents(func(k string) string { return env[k] }); len(got) != 1 || got[0].Session != "" {
			t.Errorf("session id %q recorded: %+v", id, got)
		}
	}
	upper := map[string]string{"CODEX_THREAD_ID": "019D1AFB-0C2E-7A41-B3A9-5E8F2D6C4B10"}
	if got := Agents(func(k string) string { return upper[k] }); len(got) != 1 || got[0].Session != upper["CODEX_THREAD_ID"] {
		t.Errorf("a Codex thread id in capitals: %+v", got)
	}
	if got := Agents(func(string) string { return "" }); got != nil {
		t.Errorf("no markers: %+v", got)
	}
}

func TestFilter(t *testing.T) {
	e := entry(5)
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Since: e.Time}, true},
		{Filter{Since: e.Time.Add(time.Second)}, false},
		{Filter{Name: "API_KEY"}, true},
		{Filter{Name: "API_*"}, true},
		{Filter{Name: "OTHER"}, false},
		{Filter{Scope: "repo:/src/api"}, true},
		{Filter{Name: "API_KEY", Scope: "repo:/src/api"}, false},
		{Filter{Name: "ANTHROPIC_API_KEY", Scope: "repo:/src/api"}, true},
	} {
		if got := c.f.Match(e); got != c.want {
			t.Errorf("%+v matches %v, want %v", c.f, got, c.want)
		}
	}
}

func TestParent(t *testing.T) {
	p := Parent()
	if p.PID != os.Getppid() {
		t.Errorf("Parent().PID = %d, want %d", p.PID, os.Getppid())
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
		if p.Name == "" || strings.Contains(p.Name, "\n") {
			t.Errorf("Parent().Name = %q", p.Name)
		}
	}
}
