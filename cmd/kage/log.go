package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/internal/when"
	"github.com/kage-cli/kage/scope"
	"github.com/urfave/cli/v3"
)

func logCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "show which secrets were handed to which program, and when",
		Description: `Shows the access log: every kage env, kage exec, kage secret get, kage
subscription key and prompt-hook load that handed out values, one row per
secret, oldest first. Each row says when, which command, the secret's name
and scope, the program kage exec started, the process that ran kage (its
pid and name, never its arguments) with the coding agent its environment
names, and the folder. The log never holds a value, a hash or a length.

It is access.log in kage's data folder (0600), rotated to access.log.1 past
1 MiB; [log] enabled = false in config.toml stops it.

   kage log --since 1h
   kage log --name ANTHROPIC_API_KEY --since 2026-12-01
   kage log --scope repo --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "only since a span ago (`1h`, 7d) or a date (2026-12-01)"},
			&cli.StringFlag{Name: "name", Usage: "only this secret (`NAME`, or a glob such as AWS_*)"},
			scopeFlag("only secrets from this scope (or subscription keys bound there)"),
			&cli.BoolFlag{Name: "json", Usage: "print the entries as JSON"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error { return showLog(e, cmd) },
	}
}

func showLog(e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	var f accesslog.Filter
	if s := cmd.String("since"); cmd.IsSet("since") {
		t, err := when.Since(s, e.now())
		if err != nil {
			return usagef("", "--since: %s", err)
		}
		if t.After(e.now()) {
			return usagef("give a span back from now (1h, 7d) or a past date", "--since %s is in the future", s)
		}
		f.Since = t
	}
	if n := cmd.String("name"); cmd.IsSet("name") {
		if n == "" {
			return usagef("name one secret, like ANTHROPIC_API_KEY, or a glob, like AWS_*", "--name is empty")
		}
		if err := envname.CheckGlob(n); err != nil {
			return usagef("name one secret, like ANTHROPIC_API_KEY, or a glob, like AWS_*", "--name: %s", err)
		}
		f.Name = n
	}
	if gone, ok := goneRepo(cmd.String("scope")); ok {
		f.Scope = gone
	} else if sc, ok, err := e.scopeFlag(cmd, ""); err != nil {
		return err
	} else if ok {
		f.Scope = sc.String()
	}
	l := accesslog.Open(e.paths.Data)
	c, err := l.Read()
	if err != nil {
		return err
	}
	if c.Unread != "" {
		warn(e.stderr, "%s; left out", c.Unread)
	}
	if c.Skipped > 0 {
		warn(e.stderr, "%s of %s are not kage's entries; skipped", countLines(c.Skipped), display.Path(l.Path()))
	}
	entries := c.Entries
	var shown []accesslog.Entry
	for _, en := range entries {
		if f.Match(en) {
			shown = append(shown, en)
		}
	}
	if cmd.Bool("json") {
		if shown == nil {
			shown = []accesslog.Entry{}
		}
		return display.JSON(e.stdout, shown)
	}
	if len(shown) == 0 {
		switch c, err := e.config(); {
		case err == nil && !c.Log.On():
			say(e.stderr, "kage: nothing logged: [log] enabled = false in %s", display.Path(c.File))
		case len(entries) > 0:
			say(e.stderr, "kage: nothing in the access log matches")
		default:
			say(e.stderr, "kage: nothing logged yet: kage env, exec, secret get, subscription key and the prompt hook record here what they hand out")
		}
		return nil
	}
	table := [][]string{{"Time", "Command", "Secret", "From", "Program", "Run by", "Folder"}}
	for _, en := range shown {
		for _, s := range en.Secrets {
			if f.Name != "" && !envname.MatchGlob(f.Name, s.Name) || f.Scope != "" && s.Scope != f.Scope {
				continue
			}
			table = append(table, []string{
				en.Time.Local().Format("2006-01-02 15:04:05"), en.Command, s.Name, logSource(s),
				orDash(en.Program), runBy(en), display.Path(en.Dir),
			})
		}
	}
	_, err = fmt.Fprint(e.stdout, boxTable(table))
	return err
}

// goneRepo is the scope of --scope repo:PATH when PATH is an absolute
// folder that no longer exists: the log keeps entries for repositories
// since moved or deleted, and they must still be found. The path is taken
// as written, cleaned, since there is nothing left to resolve.
func goneRepo(s string) (string, bool) {
	p, ok := strings.CutPrefix(s, "repo:")
	if !ok {
		return "", false
	}
	p, err := scope.ExpandHome(p)
	if err != nil || !filepath.IsAbs(p) {
		return "", false
	}
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	return "repo:" + filepath.Clean(p), true
}

// logSource says where a logged secret came from, as status does.
func logSource(s accesslog.Secret) string {
	switch {
	case s.Subscription != "" && s.Scope != "":
		return fmt.Sprintf("subscription %s (bound at %s)", s.Subscription, display.Scope(s.Scope))
	case s.Subscription != "":
		return "subscription " + s.Subscription
	}
	return display.Scope(s.Scope)
}

// runBy is the process that ran kage, and the agents its environment
// named: "bash 4121 (claude-code)".
func runBy(en accesslog.Entry) string {
	s := strings.TrimSpace(en.Parent.Name + " " + strconv.Itoa(en.Parent.PID))
	var agents []string
	for _, a := range en.Agents {
		agents = append(agents, a.Name)
	}
	if len(agents) > 0 {
		s += " (" + strings.Join(agents, ", ") + ")"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countLines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return strconv.Itoa(n) + " lines"
}
