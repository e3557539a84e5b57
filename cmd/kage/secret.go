package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

func scopeFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{Name: "scope", Aliases: []string{"s"}, Usage: usage}
}

func secretCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "secret",
		Usage: "set, get, list and delete secrets",
		Description: `Secrets are stored in the OS keychain under a scope: global (the default),
namespace:<name> or repo:<path>.

   kage secret set API_KEY
   kage secret get API_KEY --scope global | pbcopy
   kage secret list --scope namespace:backend
   kage secret delete OLD_TOKEN`,
		Action: groupAction,
		Commands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "store a secret (the value is prompted for, piped in, or read from a file)",
				ArgsUsage: "NAME",
				Description: `Stores NAME in the keychain. On a terminal the value is asked for twice,
hidden; from a pipe, standard input is the value, with one trailing newline
removed; --from-file stores the file's bytes exactly. There is no way to give
the value on the command line, where it would land in shell history and the
process list. Setting an existing name replaces its value (rotation).

   kage secret set API_KEY                                  # global
   kage secret set DB_PASSWORD --scope namespace:backend
   kage secret set DEPLOY_TOKEN --scope repo:~/code/api
   kage secret set TLS_KEY --scope repo --from-file key.pem  # this repo
   op read op://vault/item/password | kage secret set DB_PASSWORD
   kage secret set GITHUB_TOKEN --expires 90d               # due again 90 days after each set

--expires records when the secret is due for rotation: a span (90d, 2w) or a
date (2027-03-01); never removes it. Without it a secret keeps its expiry,
and one given as a span moves on by it each time the value is set again.
kage secret list shows it, kage doctor fails on an expired secret, and the
prompt hook, kage env and kage exec warn when they hand one out.`,
				Flags: []cli.Flag{
					scopeFlag("store in `SCOPE`: global (default), namespace:<name>, repo:<path>, repo or namespace"),
					&cli.StringFlag{Name: "from-file", Usage: "read the value from `PATH`, bytes exactly"},
					&cli.BoolFlag{Name: "force", Usage: "store a name kage refuses (PATH, LD_PRELOAD, …), recorded as forced so that it is exported"},
					expiresFlag(),
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return secretSet(ctx, e, cmd) },
			},
			{
				Name:      "get",
				Usage:     "print a secret's value, for scripts",
				ArgsUsage: "NAME",
				Description: `Prints the value of NAME, resolved repo → namespace → global for the
current directory (a subscription bound to one of those scopes counts at its
place), or from one --scope. It refuses to print to a terminal unless
--reveal is given.

   TOKEN="$(kage secret get GITHUB_TOKEN)"
   kage secret get DB_PASSWORD --scope namespace:backend | pbcopy`,
				Flags: []cli.Flag{
					scopeFlag("read from `SCOPE` only instead of resolving"),
					&cli.BoolFlag{Name: "reveal", Usage: "print to a terminal too"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return secretGet(ctx, e, cmd) },
			},
			{
				Name:    "list",
				Aliases: []string{"ls"},
				Usage:   "list secret names, scopes and update times (never values)",
				Description: `An Expires column shows when any secret has an expiry (kage secret set
--expires); --expired, --expiring and --older-than pick the secrets due for
rotation.

   kage secret list
   kage secret list --scope namespace:backend
   kage secret list --expiring 14d
   kage secret list --older-than 90d --json`,
				Flags: []cli.Flag{
					scopeFlag("only secrets in `SCOPE`"),
					&cli.BoolFlag{Name: "json", Usage: "print JSON"},
					&cli.BoolFlag{Name: "expired", Usage: "only secrets past their expiry"},
					&cli.StringFlag{Name: "expiring", Usage: "only secrets that expire within `SPAN` (14d), or have expired"},
					&cli.StringFlag{Name: "older-than", Usage: "only secrets whose value was set more than `SPAN` (90d) ago"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return secretList(ctx, e, cmd) },
			},
			{
				Name:      "delete",
				Aliases:   []string{"rm"},
				Usage:     "delete a secret from one scope",
				ArgsUsage: "NAME",
				Description: `   kage secret delete OLD_API_KEY                          # global
   kage secret delete DB_PASSWORD --scope namespace:backend`,
				Flags: []cli.Flag{
					scopeFlag("delete from `SCOPE` (default global)"),
					&cli.BoolFlag{Name: "force", Usage: "aws backend: delete at once, with no recovery window (elsewhere deletion is always at once)"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error { return secretDelete(ctx, e, cmd) },
			},
			importCommand(e),
		},
	}
}

func secretSet(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "NAME"); err != nil {
		return err
	}
	name := cmd.Args().First()
	force := cmd.Bool("force")
	if err := checkName(name, force); err != nil {
		return err
	}
	sc, _, err := e.scopeFlag(cmd, "global")
	if err != nil {
		return err
	}
	exp, err := expiresArg(cmd, e.now())
	if err != nil {
		return err
	}
	store, err := e.secrets()
	if err != nil {
		return err
	}
	if err := canExpire(e, store, exp); err != nil {
		return err
	}
	value, err := readValue(ctx, e, name, sc.Display(), cmd.String("from-file"))
	if err != nil {
		return err
	}
	if err := setValue(ctx, store, sc.String(), name, value, exp); err != nil {
		return describe(err, sc)
	}
	if r, refused := envname.Refused(name); force && refused && r.Forceable() {
		// Recorded after the value: if this fails or kage stops first,
		// the name is stored but not exported, the safe side.
		if err := recordForced(ctx, e, sc, []string{name}); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "kage: stored %s in %s%s (recorded as forced: kage exports it although it refuses the name elsewhere)\n", name, sc.Display(), expiresNote(exp))
	} else {
		fmt.Fprintf(e.stderr, "kage: stored %s in %s%s\n", name, sc.Display(), expiresNote(exp))
	}
	if sc.Kind == scope.Repo {
		// Scope parsing maps a path inside a repository to its root, so a
		// path that is still not a root is in no repository at all.
		if c, err := scope.Detect(sc.Path, scope.Options{}); err == nil && c.Repo != sc.Path {
			fmt.Fprintf(e.stderr, "kage: note: %s is not a git repository; its secrets apply once it is one\n", display.Path(sc.Path))
		}
	}
	return nil
}

func secretGet(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "NAME"); err != nil {
		return err
	}
	name := cmd.Args().First()
	if err := checkName(name, true); err != nil {
		return err
	}
	// On a terminal the value is not printed without --reveal; that is
	// said once the value is found, so that a name not stored gets "not
	// found" rather than a refusal to show what does not exist.
	refuseTerminal := !cmd.Bool("reveal") && isTerminal(e.stdout)
	store, err := e.secretsPrepared()
	if err != nil {
		return err
	}
	sc, one, err := e.scopeFlag(cmd, "")
	if err != nil {
		return err
	}
	var chain []scope.Scope
	var refs []keyring.Ref
	if one {
		chain = []scope.Scope{sc}
	} else {
		c, err := e.context(cmd)
		if err != nil {
			return err
		}
		chain = c.Chain()
		if refs, err = boundRefs(ctx, e, store, c, name); err != nil {
			return err
		}
	}
	// One read for the whole chain (one Secret Service batch on Linux),
	// then the most specific scope that holds the name wins.
	rule, refused := envname.Refused(name)
	if refs == nil {
		accepted, err := envname.OpenForced(e.paths.Data).Load()
		if err != nil {
			return err
		}
		for _, s := range chain {
			// The policy holds here as at export: a refused name is read
			// only where it was stored with --force.
			if accepted.Allows(s.String(), name) {
				refs = append(refs, keyring.Ref{Scope: s.String(), Name: name})
			}
		}
	}
	if len(refs) == 0 && refused {
		if !rule.Forceable() {
			return fmt.Errorf("kage never reads %s: %s", name, rule.Why())
		}
		return withHint(fmt.Errorf("kage reads %s only where it was stored with --force: %s", name, rule.Why()),
			fmt.Sprintf("to accept it: kage secret set %s --scope SCOPE --force", name))
	}
	got, err := store.GetMany(ctx, refs)
	if err != nil {
		return err
	}
	for _, r := range refs {
		v, ok := got[r]
		if !ok {
			continue
		}
		if refuseTerminal {
			return withHint(errors.New("refusing to print a secret to a terminal"),
				fmt.Sprintf("pipe or capture it (VAR=\"$(kage secret get %s)\"), or pass --reveal", name))
		}
		if _, err := e.stdout.Write(v); err != nil {
			return fmt.Errorf("cannot write the value: %w", err)
		}
		if isTerminal(e.stdout) {
			fmt.Fprintln(e.stdout)
		}
		logAccess(ctx, e, "secret get", "", "", []accesslog.Secret{gotFrom(r)})
		return nil
	}
	return withHint(fmt.Errorf("secret %q not found in %s", name, scopeList(chain)), "kage secret list shows what is stored")
}

func secretList(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	sc, filter, err := e.scopeFlag(cmd, "")
	if err != nil {
		return err
	}
	due, err := dueFilter(cmd, e.now())
	if err != nil {
		return err
	}
	store, err := e.secrets()
	if err != nil {
		return err
	}
	entries, err := store.List(ctx)
	if err != nil {
		return err
	}
	// A store holds thousands of secrets in a handful of scopes: each
	// scope is checked, and later displayed, once, not once per secret.
	scopes := map[string]*listScope{}
	want := sc.String()
	rows := make([]listRow, 0, len(entries))
	for i := range entries {
		en := &entries[i]
		if filter && en.Scope != want || due != nil && !due(en) {
			continue
		}
		ls := scopes[en.Scope]
		if ls == nil {
			ls = &listScope{}
			if _, ok := subscription.FromScope(en.Scope); ok {
				// Subscription keys are listed by kage subscription list.
				ls.skip = true
			} else if ls.scope, err = scope.FromCanonical(en.Scope); err != nil {
				return withHint(fmt.Errorf("the index holds an invalid scope %q: %w", en.Scope, err), "the index was edited by hand: fix or remove that entry")
			}
			scopes[en.Scope] = ls
		}
		if ls.skip {
			continue
		}
		rows = append(rows, listRow{Entry: en, scope: ls})
	}
	if cmd.Bool("json") {
		return writeListJSON(e, rows)
	}
	if len(rows) == 0 {
		where := ""
		if filter {
			where = " in " + sc.Display()
		}
		if due != nil {
			fmt.Fprintf(e.stderr, "kage: no secret%s matches\n", where)
			return nil
		}
		fmt.Fprintf(e.stderr, "kage: no secrets stored%s; add one with: kage secret set NAME\n", where)
		return nil
	}
	// The cells in one array, row after row: a slice a row would be ten
	// thousand allocations for a large store.
	cols := 3
	for _, r := range rows {
		if !r.Expires.IsZero() {
			cols = 4
			break
		}
	}
	cells := make([]string, 0, cols*(len(rows)+1))
	cells = append(cells, "Name", "Scope", "Updated")
	if cols == 4 {
		cells = append(cells, "Expires")
	}
	now := e.now()
	for _, r := range rows {
		if r.scope.display == "" {
			// Display looks up the home folder and resolves its links.
			r.scope.display = r.scope.scope.Display()
		}
		cells = append(cells, r.Name, r.scope.display, ago(now, r.Updated))
		if cols == 4 {
			cells = append(cells, expiresCell(now, r.Entry))
		}
	}
	// Written as they are: joined, or through fmt, the table of a large
	// store would be copied twice more.
	if _, err := io.WriteString(e.stdout, "Secrets\n=======\n\n"); err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, boxTableCells(cols, cells))
	return err
}

// listRow points into the entries Load returned: a copy of each would be
// as much again for the garbage collector to scan.
type listRow struct {
	*keyring.Entry
	scope *listScope
}

// listScope is what secret list learns of one scope string of the index.
type listScope struct {
	skip    bool
	scope   scope.Scope
	display string
}

// boundRefs returns where name's value can come from in context c, best
// first, when a subscription is bound in the chain; nil when none is, and
// the chain's own scopes are all there is to read.
func boundRefs(ctx context.Context, e *env, store keyring.Store, c *scope.Context, name string) ([]keyring.Ref, error) {
	l, err := e.lookup(c, "")
	if err != nil {
		return nil, err
	}
	bound := false
	for _, s := range l.Chain {
		bound = bound || len(subscription.At(l.Bindings, s.String())) > 0
	}
	if !bound {
		return nil, nil
	}
	entries, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	cands, err := candidates(l, entries, e.stderr)
	if err != nil {
		return nil, err
	}
	refs := []keyring.Ref{}
	for _, src := range cands[name] {
		refs = append(refs, src.Ref)
	}
	return refs, nil
}

// writeListJSON prints rows as encoding/json's Encoder with a two-space
// indent prints them, built by hand: for a large store the encoder cost
// more than everything else secret list does.
func writeListJSON(e *env, rows []listRow) error {
	if len(rows) == 0 {
		_, err := io.WriteString(e.stdout, "[]\n")
		return err
	}
	// About 150 bytes a row besides the name and scope.
	b := make([]byte, 0, len(rows)*(160+len(rows[0].Name)+len(rows[0].Scope)))
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  {\n    \"name\": "...)
		b = appendJSONString(b, r.Name)
		b = append(b, ",\n    \"scope\": "...)
		b = appendJSONString(b, r.Scope)
		b = append(b, ",\n    \"created\": \""...)
		b = appendTimeJSON(b, r.Created)
		b = append(b, "\",\n    \"updated\": \""...)
		b = appendTimeJSON(b, r.Updated)
		b = append(b, '"')
		if !r.Expires.IsZero() {
			b = append(b, ",\n    \"expires\": \""...)
			b = appendTimeJSON(b, r.Expires)
			b = append(b, '"')
			if r.Every != "" {
				b = append(b, ",\n    \"expires_every\": "...)
				b = appendJSONString(b, r.Every)
			}
		}
		b = append(b, "\n  }"...)
	}
	b = append(b, "\n]\n"...)
	_, err := e.stdout.Write(b)
	return err
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// other than " \ < > & as it is, anything else through encoding/json, so
// that escapes stay exactly its own.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, display.EscapeJSON(q)...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

const timeJSON = "2006-01-02T15:04:05Z"

// appendTimeJSON appends t in UTC as timeJSON formats it, digit by digit:
// Format parses its layout on every call, which for two times a secret was
// a tenth of kage secret list --json.
func appendTimeJSON(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeJSON)
	}
	hour, minute, second := t.Clock()
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	b = two(b, year/100)
	b = two(b, year%100)
	b = append(b, '-')
	b = two(b, int(month))
	b = append(b, '-')
	b = two(b, day)
	b = append(b, 'T')
	b = two(b, hour)
	b = append(b, ':')
	b = two(b, minute)
	b = append(b, ':')
	b = two(b, second)
	return append(b, 'Z')
}

func secretDelete(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "NAME"); err != nil {
		return err
	}
	name := cmd.Args().First()
	if err := checkName(name, true); err != nil {
		return err
	}
	sc, _, err := e.scopeFlag(cmd, "global")
	if err != nil {
		return err
	}
	store, err := e.secrets()
	if err != nil {
		return err
	}
	if now, ok := store.(interface {
		DeleteNow(context.Context, string, string) error
	}); ok && cmd.Bool("force") {
		err = now.DeleteNow(ctx, sc.String(), name)
	} else {
		err = store.Delete(ctx, sc.String(), name)
	}
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		// Gone from the scope: a record left behind would let an item
		// planted under the name later be exported.
		if ferr := envname.OpenForced(e.paths.Data).Remove(ctx, sc.String(), []string{name}); ferr != nil {
			fmt.Fprintf(e.stderr, "kage: warning: %s could not be removed from the record of forced names: %s\n", name, display.OneLine(ferr.Error()))
		}
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return notFoundElsewhere(ctx, store, name, sc)
	}
	if err != nil {
		return describe(err, sc)
	}
	fmt.Fprintf(e.stderr, "kage: deleted %s from %s\n", name, sc.Display())
	return nil
}

// recordForced records names, stored with --force in sc, in the record of
// forced names, which decides that they are exported.
func recordForced(ctx context.Context, e *env, sc scope.Scope, names []string) error {
	if err := envname.OpenForced(e.paths.Data).Add(ctx, sc.String(), names, e.now()); err != nil {
		return withHint(fmt.Errorf("stored in %s, but not recorded as forced, so kage does not export it: %s", sc.Display(), display.OneLine(err.Error())),
			"once the cause is fixed, run the same command again")
	}
	return nil
}

// notFoundElsewhere builds the error for a delete of a name that is not in
// the scope given, naming the scopes that do hold it.
func notFoundElsewhere(ctx context.Context, store keyring.Store, name string, sc scope.Scope) error {
	err := fmt.Errorf("secret %q not found in %s", name, sc.Display())
	entries, lerr := store.List(ctx)
	if lerr != nil {
		return err
	}
	var holders []string
	for _, en := range entries {
		if en.Name == name {
			if s, perr := scope.FromCanonical(en.Scope); perr == nil {
				holders = append(holders, s.Display())
			}
		}
	}
	if len(holders) == 0 {
		return withHint(err, "kage secret list shows what is stored")
	}
	sort.Strings(holders)
	return withHint(fmt.Errorf("%w; it exists in %s", err, strings.Join(holders, ", ")),
		fmt.Sprintf("kage secret delete %s --scope %s", name, holders[0]))
}

// describe adds the scope to store errors that lack it.
func describe(err error, sc scope.Scope) error {
	var nf *keyring.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("secret %q not found in %s", nf.Name, sc.Display())
	}
	return err
}

// scopeList writes scopes as "a, b or c".
func scopeList(ss []scope.Scope) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Display()
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
