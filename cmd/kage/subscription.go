package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

func subscriptionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:    "subscription",
		Aliases: []string{"sub"},
		Usage:   "named API keys (work, personal, …) and the scopes that use them",
		Description: `A subscription is a named API key, kept in the keychain like a secret.
Bind it to a scope and every directory in that scope gets the key as its
variable (ANTHROPIC_API_KEY unless --env says otherwise), at that scope's
place in the chain: a repo binding beats a namespace secret, a global
binding loses to a repo secret.

   kage subscription add --name work-account            # hidden prompt
   kage subscription add --name personal --env ANTHROPIC_API_KEY
   kage subscription use work-account --scope namespace:production
   kage subscription use personal --scope global
   kage subscription list
   kage exec --subscription personal -- claude          # one run only`,
		Action: groupAction,
		Commands: []*cli.Command{
			{
				Name:  "add",
				Usage: "store a subscription's API key (prompted for, or piped in)",
				Description: `Stores the key under the name, to be exported as --env (default
` + subscription.DefaultVar + `). On a terminal the key is asked for twice, hidden; from a
pipe, standard input is the key, with one trailing newline removed. An
existing subscription's key is replaced only with --overwrite (rotation);
its variable (unless --env names another) and its bindings stay.

   kage subscription add --name work-account
   kage subscription add --name openai-work --env OPENAI_API_KEY
   op read op://work/anthropic/key | kage subscription add --name work-account --overwrite`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Usage: "the subscription's `NAME` (lower-case letters, digits, '.', '_', '-')"},
					&cli.StringFlag{Name: "env", Value: subscription.DefaultVar, Usage: "export the key as `VAR`"},
					&cli.BoolFlag{Name: "overwrite", Usage: "replace the key of an existing subscription"},
					&cli.StringFlag{Name: "from-file", Usage: "read the key from `PATH`, bytes exactly"},
					expiresFlag(),
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionAdd(ctx, e, cmd) },
			},
			{
				Name:    "list",
				Aliases: []string{"ls"},
				Usage:   "list subscriptions, their variables and where they are bound (never keys)",
				Description: `   kage subscription list
   kage subscription list --json`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionList(ctx, e, cmd) },
			},
			{
				Name:      "remove",
				Aliases:   []string{"rm"},
				Usage:     "delete a subscription's key",
				ArgsUsage: "NAME",
				Description: `Deletes the key from the keychain. A subscription that is still bound is
kept unless --force is given, which removes its bindings too.

   kage subscription remove old-account
   kage subscription remove work-account --force`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "remove it even if bound, with its bindings"}},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionRemove(ctx, e, cmd) },
			},
			{
				Name:      "use",
				Usage:     "bind a subscription to a scope",
				ArgsUsage: "NAME",
				Description: `From now on the scope's directories get the subscription's key, at the
scope's place in the chain. A subscription with the same variable that
was bound there before is replaced.

   kage subscription use work-account --scope namespace:production
   kage subscription use personal --scope global
   kage subscription use personal --scope repo            # this repository`,
				Flags:  []cli.Flag{scopeFlag("bind to `SCOPE`: global, namespace:<name>, repo:<path>, repo or namespace")},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionUse(ctx, e, cmd) },
			},
			{
				Name:      "key",
				Usage:     "print the API key that applies here, for a tool's key command",
				ArgsUsage: "[NAME]",
				Description: `Prints the key ` + subscription.DefaultVar + ` (or --env VAR) resolves to in this directory,
as kage env and kage exec would export it: the subscription bound nearest,
or a secret of that name that outranks it. With NAME, that subscription's
key, wherever it is bound. For tools that run a command to get their key,
such as Claude Code's apiKeyHelper. It prints the bytes exactly, with no
newline, to a pipe; never to a terminal without --reveal.

   kage subscription key                         # in ~/.claude/settings.json:
                                                 # "apiKeyHelper": "kage subscription key"
   kage subscription key work-account
   kage subscription key --env OPENAI_API_KEY`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "env", Usage: "the key exported as `VAR` (default " + subscription.DefaultVar + ", or NAME's variable)"},
					dirFlag(),
					&cli.BoolFlag{Name: "reveal", Usage: "print to a terminal too"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionKey(ctx, e, cmd) },
			},
			{
				Name:      "unuse",
				Usage:     "unbind a scope's subscription",
				ArgsUsage: "[NAME]",
				Description: `Removes the binding; the key stays stored. NAME is needed only when
several subscriptions are bound to the scope.

   kage subscription unuse --scope namespace:production
   kage subscription unuse openai-work --scope global`,
				Flags:  []cli.Flag{scopeFlag("unbind from `SCOPE`")},
				Action: func(ctx context.Context, cmd *cli.Command) error { return subscriptionUnuse(ctx, e, cmd) },
			},
		},
	}
}

// subscriptionArg normalises a subscription name from the command line.
func subscriptionArg(name string) (string, error) {
	n, err := subscription.Normalize(name)
	if err != nil {
		return "", usagef("subscription names look like work-account, personal or team.ci", "%s", err)
	}
	return n, nil
}

// subscriptionState is what the subscription commands read: the store, the
// keys it holds and the bindings.
type subscriptionState struct {
	store    keyring.Store
	entries  []keyring.Entry
	keys     map[string]subscription.Key
	bindings []subscription.Binding
}

func (e *env) subscriptionState(ctx context.Context) (*subscriptionState, error) {
	store, err := e.secrets()
	if err != nil {
		return nil, err
	}
	bs, err := subscription.Open(e.paths.Data).Load()
	if err != nil {
		return nil, err
	}
	entries, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	keys, _ := subscription.Keys(entries)
	return &subscriptionState{store: store, entries: entries, keys: keys, bindings: bs}, nil
}

// keyOf returns name's key, or the error that it does not exist.
func (st *subscriptionState) keyOf(name string) (subscription.Key, error) {
	k, ok := st.keys[name]
	if !ok {
		return k, subscriptionNotFound(name)
	}
	return k, nil
}

// subscriptionNotFound is the error for a name no subscription has; a name
// long enough to be a pasted key is not repeated.
func subscriptionNotFound(name string) error {
	if len(name) > 32 {
		return withHint(fmt.Errorf("subscription %s not found", subscription.Quote(name)), "kage subscription list shows them")
	}
	return withHint(fmt.Errorf("subscription %q not found", name), "kage subscription list shows them; add it with: kage subscription add --name "+name)
}

func subscriptionAdd(ctx context.Context, e *env, cmd *cli.Command) error {
	if cmd.NArg() == 1 && cmd.String("name") == "" {
		// The argument is not echoed: it may be the key itself.
		return usagef("usage: kage subscription add --name NAME [--env VAR]; the key is asked for, or piped in", "kage subscription add takes the name as --name NAME")
	}
	if err := wantArgs(cmd, 0, "--name NAME [--env VAR]"); err != nil {
		return err
	}
	if cmd.String("name") == "" {
		return usagef("usage: kage subscription add --name NAME [--env VAR]", "kage subscription add needs --name")
	}
	name, err := subscriptionArg(cmd.String("name"))
	if err != nil {
		return err
	}
	exp, err := expiresArg(cmd, e.now())
	if err != nil {
		return err
	}
	st, err := e.subscriptionState(ctx)
	if err != nil {
		return err
	}
	if err := canExpire(e, st.store, exp); err != nil {
		return err
	}
	old, exists := st.keys[name]
	variable := cmd.String("env")
	if exists && !cmd.IsSet("env") {
		// Rotation keeps the variable the scopes bound to it export.
		variable = old.Var
	}
	if err := envname.Check(variable); err != nil {
		return usagef(envname.SyntaxHint, "%s", err)
	}
	if r, ok := envname.Refused(variable); ok {
		hint := "export the key under another name: --env NAME"
		if exists && !cmd.IsSet("env") {
			hint = fmt.Sprintf("it was stored before kage refused the name; move it: kage subscription add --name %s --env NAME --overwrite", name)
		}
		return usagef(hint, "refusing to export a subscription's key as %q: %s", variable, r.Why())
	}
	if exists && !cmd.Bool("overwrite") {
		return withHint(fmt.Errorf("subscription %q already exists (exported as %s)", name, old.Var),
			fmt.Sprintf("to rotate its key: kage subscription add --name %s --overwrite", name))
	}
	value, err := readValue(ctx, e, variable, "subscription "+name, cmd.String("from-file"))
	if err != nil {
		return err
	}
	if exp == nil && exists && old.Var != variable {
		// The key moves to another variable: its expiry goes with it.
		for _, en := range st.entries {
			if en.Ref() == old.Ref() && !en.Expires.IsZero() {
				x := en.Expiry().Renewed(e.now())
				exp = &x
			}
		}
	}
	if err := setValue(ctx, st.store, subscription.Scope(name), variable, value, exp); err != nil {
		return err
	}
	// A key kept under another variable before is now stale: the newest
	// key wins anyway (subscription.Keys), so a failure here only leaves a
	// stray item for kage doctor.
	for _, en := range st.entries {
		if s, ok := subscription.FromScope(en.Scope); ok && s == name && en.Name != variable {
			if err := st.store.Delete(ctx, en.Scope, en.Name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
				fmt.Fprintf(e.stderr, "kage: warning: the old key (as %s) could not be deleted: %s; kage doctor reports it\n", en.Name, display.OneLine(err.Error()))
			}
		}
	}
	switch {
	case exists:
		fmt.Fprintf(e.stderr, "kage: replaced the key of subscription %s (exported as %s)%s\n", name, variable, expiresNote(exp))
	default:
		fmt.Fprintf(e.stderr, "kage: stored subscription %s (exported as %s)%s\n", name, variable, expiresNote(exp))
	}
	if len(subscription.Of(st.bindings, name)) == 0 {
		fmt.Fprintf(e.stderr, "kage: bind it to a scope with: kage subscription use %s --scope global (or namespace:NAME, repo:PATH)\n", name)
	}
	return nil
}

func subscriptionList(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	st, err := e.subscriptionState(ctx)
	if err != nil {
		return err
	}
	type row struct {
		Name     string   `json:"name"`
		Variable string   `json:"variable,omitempty"`
		Bound    []string `json:"bound"`
		Created  string   `json:"created,omitempty"`
		Updated  string   `json:"updated,omitempty"`
		// Missing marks a name that is bound but has no key.
		Missing bool `json:"missing,omitempty"`
		key     subscription.Key
	}
	names := map[string]bool{}
	for n := range st.keys {
		names[n] = true
	}
	for _, b := range st.bindings {
		names[b.Subscription] = true
	}
	rows := []row{}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		r := row{Name: n, Bound: subscription.Of(st.bindings, n)}
		if r.Bound == nil {
			r.Bound = []string{}
		}
		if k, ok := st.keys[n]; ok {
			r.key, r.Variable = k, k.Var
			r.Created, r.Updated = k.Created.UTC().Format(timeJSON), k.Updated.UTC().Format(timeJSON)
		} else {
			r.Missing = true
		}
		rows = append(rows, r)
	}
	if cmd.Bool("json") {
		return display.JSON(e.stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stderr, "kage: no subscriptions; add one with: kage subscription add --name NAME")
		return nil
	}
	table := [][]string{{"Name", "Variable", "Bound to", "Updated"}}
	missing := false
	for _, r := range rows {
		bound := make([]string, len(r.Bound))
		for i, s := range r.Bound {
			bound[i] = display.Scope(s)
		}
		b, v, updated := strings.Join(bound, ", "), r.Variable, ""
		if b == "" {
			b = "-"
		}
		if r.Missing {
			v, updated, missing = "(no key)", "-", true
		} else {
			updated = ago(e.now(), r.key.Updated)
		}
		table = append(table, []string{r.Name, v, b, updated})
	}
	if _, err := fmt.Fprint(e.stdout, "Subscriptions\n=============\n\n"+boxTable(table)); err != nil {
		return err
	}
	if missing {
		fmt.Fprintln(e.stderr, "kage: a subscription marked (no key) is bound but not stored; add it again with kage subscription add, or kage doctor --fix drops its bindings")
	}
	return nil
}

func subscriptionRemove(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "NAME"); err != nil {
		return err
	}
	name, err := subscriptionArg(cmd.Args().First())
	if err != nil {
		return err
	}
	st, err := e.subscriptionState(ctx)
	if err != nil {
		return err
	}
	bound := subscription.Of(st.bindings, name)
	_, hasKey := st.keys[name]
	if !hasKey && len(bound) == 0 {
		_, err := st.keyOf(name)
		return err
	}
	where := make([]string, len(bound))
	for i, s := range bound {
		where[i] = display.Scope(s)
	}
	if len(bound) > 0 {
		if !cmd.Bool("force") {
			return withHint(fmt.Errorf("subscription %q is bound to %s", name, strings.Join(where, ", ")),
				fmt.Sprintf("unbind it first (kage subscription unuse %s --scope %s), or pass --force to remove the bindings too", name, where[0]))
		}
		// Bindings first: if kage stops between the two steps, what is
		// left is an unbound key, not a binding to nothing.
		err := subscription.Open(e.paths.Data).Update(ctx, func(bs []subscription.Binding) ([]subscription.Binding, error) {
			return slices.DeleteFunc(bs, func(b subscription.Binding) bool { return b.Subscription == name }), nil
		})
		if err != nil {
			return err
		}
	}
	// Stale keys first and the key in use last: a failure part way keeps
	// the key the bindings restored below would export.
	var keys []keyring.Entry
	for _, en := range st.entries {
		if s, ok := subscription.FromScope(en.Scope); ok && s == name {
			keys = append(keys, en)
		}
	}
	if cur, ok := st.keys[name]; ok {
		slices.SortStableFunc(keys, func(a, b keyring.Entry) int {
			if a.Ref() == cur.Ref() {
				return 1
			}
			if b.Ref() == cur.Ref() {
				return -1
			}
			return 0
		})
	}
	for _, en := range keys {
		if err := st.store.Delete(ctx, en.Scope, en.Name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			// The key in use is still there: so are its bindings.
			restoreBindings(e, st.bindings, name)
			return err
		}
	}
	msg := "kage: removed subscription " + name
	if len(bound) > 0 {
		msg += " and its bindings to " + strings.Join(where, ", ")
	}
	fmt.Fprintln(e.stderr, msg)
	return nil
}

// restoreBindings puts back the bindings of name from before, after a
// remove --force whose key could not be deleted. If that fails too, the key
// stays stored and unbound: the safe side.
func restoreBindings(e *env, before []subscription.Binding, name string) {
	_ = subscription.Open(e.paths.Data).Update(context.Background(), func(bs []subscription.Binding) ([]subscription.Binding, error) {
		for _, b := range before {
			if b.Subscription != name || slices.ContainsFunc(bs, func(o subscription.Binding) bool {
				return o.Scope == b.Scope && o.Subscription == b.Subscription
			}) {
				continue
			}
			bs = append(bs, b)
		}
		return bs, nil
	})
}

// bindingScope reads the --scope that use and unuse require.
func (e *env) bindingScope(cmd *cli.Command) (scope.Scope, error) {
	sc, ok, err := e.scopeFlag(cmd, "")
	if err != nil {
		return sc, err
	}
	if !ok {
		return sc, usagef(fmt.Sprintf("usage: %s %s --scope SCOPE (global, namespace:<name>, repo:<path>, repo or namespace)", cmd.FullName(), cmd.ArgsUsage), "%s needs --scope", cmd.FullName())
	}
	return sc, nil
}

func subscriptionUse(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "NAME --scope SCOPE"); err != nil {
		return err
	}
	name, err := subscriptionArg(cmd.Args().First())
	if err != nil {
		return err
	}
	sc, err := e.bindingScope(cmd)
	if err != nil {
		return err
	}
	st, err := e.subscriptionState(ctx)
	if err != nil {
		return err
	}
	k, err := st.keyOf(name)
	if err != nil {
		return err
	}
	if r, refused := envname.Refused(k.Var); refused {
		// Stored before kage refused the name: it would never be exported.
		return withHint(fmt.Errorf("subscription %s exports its key as %s, a name kage refuses: %s", name, k.Var, r.Why()),
			fmt.Sprintf("move it first: kage subscription add --name %s --env NAME --overwrite", name))
	}
	var replaced []string
	already := false
	err = subscription.Open(e.paths.Data).Update(ctx, func(bs []subscription.Binding) ([]subscription.Binding, error) {
		out := bs[:0:0]
		for _, b := range bs {
			if b.Scope == sc.String() {
				if b.Subscription == name {
					already = true
					return nil, errUnchanged
				}
				// Another subscription exporting the same variable here:
				// the new binding takes its place.
				if other, ok := st.keys[b.Subscription]; ok && other.Var == k.Var {
					replaced = append(replaced, b.Subscription)
					continue
				}
			}
			out = append(out, b)
		}
		return append(out, subscription.Binding{Scope: sc.String(), Subscription: name, Bound: e.now().UTC()}), nil
	})
	if already {
		fmt.Fprintf(e.stderr, "kage: %s already uses subscription %s\n", sc.Display(), name)
		return nil
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("kage: %s now uses subscription %s (%s)", sc.Display(), name, k.Var)
	if len(replaced) > 0 {
		msg += ", instead of " + strings.Join(replaced, ", ")
	}
	fmt.Fprintln(e.stderr, msg)
	for _, en := range st.entries {
		if en.Scope == sc.String() && en.Name == k.Var {
			fmt.Fprintf(e.stderr, "kage: note: %s also holds a secret %s; the subscription's key is used there instead (kage status shows it)\n", sc.Display(), k.Var)
		}
	}
	return nil
}

// errUnchanged makes a bindings update write nothing.
var errUnchanged = errors.New("unchanged")

func subscriptionUnuse(ctx context.Context, e *env, cmd *cli.Command) error {
	if cmd.NArg() > 1 {
		return wantArgs(cmd, 1, "[NAME] --scope SCOPE")
	}
	name := ""
	if cmd.NArg() == 1 {
		var err error
		if name, err = subscriptionArg(cmd.Args().First()); err != nil {
			return err
		}
	}
	sc, err := e.bindingScope(cmd)
	if err != nil {
		return err
	}
	var gone string
	err = subscription.Open(e.paths.Data).Update(ctx, func(bs []subscription.Binding) ([]subscription.Binding, error) {
		here := subscription.At(bs, sc.String())
		sort.Strings(here)
		switch {
		case len(here) == 0:
			return nil, withHint(fmt.Errorf("no subscription is bound to %s", sc.Display()), "kage subscription list shows the bindings")
		case name != "" && !slices.Contains(here, name):
			return nil, withHint(fmt.Errorf("subscription %s is not bound to %s (bound there: %s)", subscription.Quote(name), sc.Display(), strings.Join(here, ", ")), "kage subscription list shows the bindings")
		case name == "" && len(here) > 1:
			return nil, usagef(fmt.Sprintf("name one: kage subscription unuse %s --scope %s", here[0], sc.Display()), "%s uses several subscriptions (%s)", sc.Display(), strings.Join(here, ", "))
		case name == "":
			name = here[0]
		}
		gone = name
		return slices.DeleteFunc(bs, func(b subscription.Binding) bool { return b.Scope == sc.String() && b.Subscription == name }), nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "kage: %s no longer uses subscription %s\n", sc.Display(), gone)
	return nil
}

// subscriptionKeyOnly resolves subscription name's key alone: none of the
// chain's values is read.
func (e *env) subscriptionKeyOnly(ctx context.Context, cmd *cli.Command, name string) (*resolve.Result, error) {
	name, err := subscriptionArg(name)
	if err != nil {
		return nil, err
	}
	store, err := e.secretsPrepared()
	if err != nil {
		return nil, err
	}
	c, err := e.context(cmd)
	if err != nil {
		return nil, err
	}
	l, err := e.lookup(c, name)
	if err != nil {
		return nil, err
	}
	l.Chain = nil
	return resolveAll(ctx, store, l, e.stderr)
}

// subscriptionKey prints the key a variable resolves to here, or a named
// subscription's key.
func subscriptionKey(ctx context.Context, e *env, cmd *cli.Command) error {
	if cmd.NArg() > 1 {
		return usagef("usage: kage subscription key [NAME] [--env VAR]", "kage subscription key takes at most one subscription NAME, got %d arguments", cmd.NArg())
	}
	name := cmd.Args().First()
	if cmd.NArg() == 1 && name == "" {
		return usagef("name one (kage subscription list shows them), or leave it out for the key that applies here", "the subscription NAME is empty")
	}
	v := cmd.String("env")
	if cmd.IsSet("env") {
		if err := checkName(v, false); err != nil {
			return err
		}
	}
	refuseTerminal := !cmd.Bool("reveal") && isTerminal(e.stdout)
	var c *scope.Context
	var r *resolve.Result
	var err error
	if name == "" {
		if v == "" {
			v = subscription.DefaultVar
		}
		c, r, err = e.resolveAt(ctx, cmd, cmd.String("dir"), "", resolve.Selection{Only: []string{v}, OnlyFrom: "--env"}, false)
	} else {
		r, err = e.subscriptionKeyOnly(ctx, cmd, name)
	}
	if err != nil {
		return err
	}
	var key *resolved
	for i := range r.Vars {
		if name != "" && r.Vars[i].From.Forced || name == "" && r.Vars[i].Name == v {
			key = &r.Vars[i]
		}
	}
	switch {
	case key == nil && name != "":
		// The forced subscription was skipped: the name policy refuses
		// its variable, and resolution said so.
		return fmt.Errorf("subscription %q has no key kage hands out", name)
	case key == nil:
		return withHint(fmt.Errorf("no key for %s applies in %s", v, scopeList(c.Chain())),
			"bind one: kage subscription use NAME --scope SCOPE (kage subscription list shows them)")
	case name != "" && v != "" && key.Name != v:
		return usagef("leave out --env to print its key", "subscription %s exports %s, not %s", name, key.Name, v)
	case refuseTerminal:
		return withHint(errors.New("refusing to print a key to a terminal"), "pipe or capture it, or pass --reveal")
	}
	if _, err := e.stdout.Write(key.Value); err != nil {
		return fmt.Errorf("cannot write the key: %w", err)
	}
	if isTerminal(e.stdout) {
		fmt.Fprintln(e.stdout)
	}
	dir := ""
	if c != nil {
		dir = c.Dir
	}
	logAccess(ctx, e, "subscription key", dir, "", logged([]resolved{*key}))
	return nil
}
