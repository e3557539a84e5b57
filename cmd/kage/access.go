package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/subscription"
)

// logAccess records in access.log that command handed out secrets, for
// dir ("" is the current directory) and, for kage exec, to program;
// nothing when nothing was handed out or [log] enabled = false. The
// values are already on their way: a log that cannot be written is one
// warning, and the command goes on.
func logAccess(ctx context.Context, e *env, command, dir, program string, secrets []accesslog.Secret) {
	if len(secrets) == 0 {
		return
	}
	if c, err := e.config(); err == nil && !c.Log.On() {
		return
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	en := accesslog.Entry{
		Time: e.now(), Command: command, Secrets: secrets, Dir: dir, PID: os.Getpid(),
		Program: program, Parent: accesslog.Parent(), Agents: accesslog.Agents(e.getenv),
	}
	if err := accesslog.Open(e.paths.Data).Append(ctx, en); err != nil {
		warn(e.stderr, "%s (the values were handed out; [log] enabled = false in config.toml turns the log off)", err)
	}
}

// logged names vars as the access log records them: where each came
// from, never its value.
func logged(vars []resolve.Var) []accesslog.Secret {
	out := make([]accesslog.Secret, len(vars))
	for i, v := range vars {
		s := accesslog.Secret{Name: v.Name, Subscription: v.From.Sub}
		if !v.From.Forced {
			s.Scope = v.From.Scope.String()
		}
		out[i] = s
	}
	return out
}

// handedOut are the names of res the shell did not already hold from
// kage with the same value: the hook reloads at every change of
// directory, config or index, and a reload that gives the shell nothing
// new is not worth a line in the log at each of them.
func handedOut(e *env, loaded []string, res []resolve.Var) []string {
	var fresh []string
	for _, v := range res {
		if !slices.Contains(loaded, v.Name) || e.getenv(v.Name) != string(v.Value) {
			fresh = append(fresh, v.Name)
		}
	}
	return fresh
}

// gotFrom names the item kage secret get read, as the log records it.
func gotFrom(r keyring.Ref) accesslog.Secret {
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return accesslog.Secret{Name: r.Name, Subscription: sub}
	}
	return accesslog.Secret{Name: r.Name, Scope: r.Scope}
}

// warnExpired says in one line which of the secrets handed out are past
// their expiry, and how to rotate them; they are handed out all the same.
func warnExpired(e *env, vars []resolve.Var) {
	expired := resolve.Expired(vars, e.now())
	if len(expired) == 0 {
		return
	}
	var names []string
	for _, v := range expired {
		names = append(names, fmt.Sprintf("%s (%s, %s)", v.Name, v.From, v.Expires.Local().Format(time.DateOnly)))
	}
	v := expired[0]
	fix := fmt.Sprintf("kage secret set %s --scope %s", v.Name, display.ShellWord(v.From.Scope.Display()))
	if v.From.Sub != "" {
		fix = fmt.Sprintf("kage subscription add --name %s --overwrite", v.From.Sub)
	}
	warn(e.stderr, "expired: %s; rotate with %s", strings.Join(names, ", "), fix)
}
