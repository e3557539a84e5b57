//go:build linux

package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// accessLogNeedles are the forms of each value the access log must not
// hold: leakNeedlesFor's (raw, hex, base64 at every alignment), its
// percent- and JSON-escaped forms, and its digests (MD5, SHA-1, SHA-256,
// SHA-512) in hex and base64, which would let anyone holding the log test
// a guess.
func accessLogNeedles(values ...string) []leakNeedle {
	ns := leakNeedlesFor(values...)
	for _, v := range values {
		j, _ := json.Marshal(v)
		ns = append(ns,
			leakNeedle{"query-escaped " + v, []byte(url.QueryEscape(v))},
			leakNeedle{"path-escaped " + v, []byte(url.PathEscape(v))},
			leakNeedle{"JSON-escaped " + v, j[1 : len(j)-1]},
		)
		b := []byte(v)
		m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
		for name, sum := range map[string][]byte{"MD5": m5[:], "SHA-1": s1[:], "SHA-256": s256[:], "SHA-512": s512[:]} {
			ns = append(ns,
				leakNeedle{name + " hex of " + v, []byte(hex.EncodeToString(sum))},
				leakNeedle{name + " HEX of " + v, []byte(strings.ToUpper(hex.EncodeToString(sum)))},
				leakNeedle{name + " base64 of " + v, []byte(base64.RawStdEncoding.EncodeToString(sum))},
				leakNeedle{name + " base64url of " + v, []byte(base64.RawURLEncoding.EncodeToString(sum))},
			)
		}
	}
	return ns
}

// accessLogShape checks every line of an access log against what an entry
// may hold: only the documented keys, and no number but a pid, so that no
// length (nor anything else computed from a value) can be in it. It
// returns the problems and the commands the lines came from.
func accessLogShape(data []byte) (problems []string, commands map[string]int) {
	allowed := map[string][]string{
		"":        {"time", "command", "secrets", "dir", "pid", "program", "parent", "agents"},
		"secrets": {"name", "scope", "subscription"},
		"parent":  {"pid", "name"},
		"agents":  {"name", "session"},
	}
	commands = map[string]int{}
	var walk func(at string, v any, line int)
	walk = func(at string, v any, line int) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !strings.Contains(" "+strings.Join(allowed[at], " ")+" ", " "+k+" ") {
					problems = append(problems, fmt.Sprintf("line %d: key %q in %q is not an entry's", line, k, at))
				}
				walk(k, x, line)
			}
		case []any:
			for _, x := range v {
				walk(at, x, line)
			}
		case json.Number:
			if at != "pid" {
				problems = append(problems, fmt.Sprintf("line %d: a number (%s) in %q: only pids are numbers", line, v, at))
			}
		}
	}
	// Each text field holds what its name says, and nothing appended.
	text := func(e accesslog.Entry, line int) {
		bad := func(what, v string) { problems = append(problems, fmt.Sprintf("line %d: %s %q", line, what, v)) }
		if !slices.Contains([]string{"env", "exec", "secret get", "subscription key", "hook"}, e.Command) {
			bad("command", e.Command)
		}
		if fi, err := os.Stat(e.Dir); err != nil || !fi.IsDir() {
			bad("dir", e.Dir)
		}
		for _, sc := range e.Secrets {
			if !envname.Valid(sc.Name) {
				bad("name", sc.Name)
			}
			if _, err := scope.FromCanonical(sc.Scope); sc.Scope != "" && err != nil {
				bad("scope", sc.Scope)
			}
			if sc.Subscription != "" && subscription.ValidName(sc.Subscription) != nil {
				bad("subscription", sc.Subscription)
			}
		}
		for _, a := range e.Agents {
			if strings.Trim(a.Session, "0123456789abcdef-") != "" {
				bad("session", a.Session)
			}
		}
	}
	for i, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			problems = append(problems, fmt.Sprintf("line %d is not JSON: %v", i+1, err))
			continue
		}
		walk("", m, i+1)
		var e accesslog.Entry
		if err := json.Unmarshal(l, &e); err == nil {
			text(e, i+1)
		}
		if s, _ := m["time"].(string); s != "" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: time %q", i+1, s))
			}
		}
		cmd, _ := m["command"].(string)
		commands[cmd]++
	}
	return problems, commands
}

// TestAccessLogHoldsNoValue runs what a user runs every day (the leak
// tests' workload: env in several shells, exec, secret get, the hook in a
// real bash, subscription key) and reads the access log it leaves: it
// must record each of those commands, and hold none of the values in any
// encoding, no digest of one, and no number but a pid.
func TestAccessLogHoldsNoValue(t *testing.T) {
	bus := testkeyring.Start(t)
	c := newLeakCanaries(t)
	b := newLeakBox(t, bus, c, false)
	b.streams = true
	b.seed()
	b.successWorkload()
	b.runAll([]leakRun{
		{args: leakArgs("subscription", "key"), prints: true, wantOut: c.plain + "-sub"},
		{args: leakArgs("exec", "--only", "PLAIN", "--", "true"), env: []string{"CLAUDECODE=1", "CLAUDE_CODE_SESSION_ID=0f0e4c3a-57c1-4b7e-9a11-2d9d1c0b7a55"}},
	})
	var data []byte
	for _, name := range []string{accesslog.OldFileName, accesslog.FileName} {
		d, err := os.ReadFile(filepath.Join(b.data, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		data = append(data, d...)
	}
	values := []string{c.plain, c.meta, c.plain + "-repo", c.plain + "-ns", c.plain + "-sub", c.plain + "-rot2", c.plain + " in quotes"}
	if what := findLeak(data, accessLogNeedles(values...)); what != "" {
		t.Errorf("LEAK: the access log holds %s:\n%s", what, data)
	}
	problems, commands := accessLogShape(data)
	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range []string{"env", "exec", "secret get", "subscription key", "hook"} {
		if commands[want] == 0 {
			t.Errorf("the access log records no %q (it records %v)", want, commands)
		}
	}
	if !bytes.Contains(data, []byte(`"agents":[{"name":"claude-code","session":"0f0e4c3a-57c1-4b7e-9a11-2d9d1c0b7a55"}]`)) {
		t.Errorf("the access log lacks the agent's session:\n%s", data)
	}
	t.Logf("%d lines, %v", bytes.Count(data, []byte("\n")), commands)

	// The checks see what they are there to see.
	sum := sha256.Sum256([]byte(c.plain + "-repo"))
	for what, planted := range map[string]string{
		"a digest":             `{"time":"2026-12-04T10:00:00Z","command":"env","secrets":[{"name":"A","scope":"global","v":"` + hex.EncodeToString(sum[:]) + `"}]}`,
		"a JSON-escaped value": `{"time":"2026-12-04T10:00:00Z","command":"env","dir":` + string(must(json.Marshal(c.meta))) + `}`,
	} {
		if findLeak([]byte(planted), accessLogNeedles(values...)) == "" {
			t.Errorf("the needles miss %s", what)
		}
	}
	dir := strings.ReplaceAll(b.home, `"`, `\"`)
	for planted, want := range map[string]int{
		`{"time":"2026-12-04T10:00:00Z","command":"env","secrets":[{"name":"A","scope":"global","length":20}],"dir":"` + dir + `","pid":1}`: 2, // the key and the number
		`{"time":"2026-12-04T10:00:00Z","command":"env","secrets":[{"name":"A","scope":"global20"}],"dir":"` + dir + `","pid":1}`:           1,
		`{"time":"2026-12-04T10:00:00Z","command":"env","secrets":[{"name":"A20"}],"dir":"` + dir + `/20","pid":1}`:                         1,
	} {
		if p, _ := accessLogShape([]byte(planted)); len(p) != want {
			t.Errorf("%s: %d problems, want %d: %q", planted, len(p), want, p)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
