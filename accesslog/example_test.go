package accesslog_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kage-cli/kage/accesslog"
)

func ExampleLog_Append() {
	dir, _ := os.MkdirTemp("", "kage-example-")
	defer os.RemoveAll(dir)
	l := accesslog.Open(dir)
	env := map[string]string{"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a11"}
	err := l.Append(context.Background(), accesslog.Entry{
		Time:    time.Date(2026, 12, 4, 10, 5, 40, 0, time.UTC),
		Command: "exec",
		Secrets: []accesslog.Secret{{Name: "GITHUB_TOKEN", Scope: "global"}},
		Dir:     "/home/you/code/api",
		PID:     5133,
		Program: "claude",
		Parent:  accesslog.Process{PID: 5120, Name: "zsh"},
		Agents:  accesslog.Agents(func(k string) string { return env[k] }),
	})
	if err != nil {
		panic(err)
	}
	c, _ := l.Read()
	f := accesslog.Filter{Name: "GITHUB_*", Since: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for _, e := range c.Entries {
		if f.Match(e) {
			fmt.Println(e.Command, e.Program, e.Secrets[0].Name, e.Agents[0].Name, e.Agents[0].Session)
		}
	}
	data, _ := os.ReadFile(l.Path())
	fmt.Print(string(data))
	// Output:
	// exec claude GITHUB_TOKEN claude-code 5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a11
	// {"time":"2026-12-04T10:05:40Z","command":"exec","secrets":[{"name":"GITHUB_TOKEN","scope":"global"}],"dir":"/home/you/code/api","pid":5133,"program":"claude","parent":{"pid":5120,"name":"zsh"},"agents":[{"name":"claude-code","session":"5c0a7f1e-7d1b-4c4e-9a57-3b1d7f0e2a11"}]}
}
