package resolve

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// Source is one place a name's value can come from: a scope's own secret,
// a subscription bound to a scope, or a subscription forced for one run.
type Source struct {
	// Scope holds the secret, or is where Sub is bound; unset when Forced.
	Scope  scope.Scope
	Sub    string
	Forced bool
	// Ref is the item the value is read from.
	Ref keyring.Ref
}

// String says where a value came from: "repo:~/code/api", "subscription
// work (bound at global)", "subscription personal (--subscription)".
func (s Source) String() string {
	switch {
	case s.Forced:
		return fmt.Sprintf("subscription %s (--subscription)", s.Sub)
	case s.Sub != "":
		return fmt.Sprintf("subscription %s (bound at %s)", s.Sub, s.Scope.Display())
	}
	return s.Scope.Display()
}

// Var is one name's winning value, where it came from, and the sources it
// won over.
type Var struct {
	Name    string
	Value   []byte
	From    Source
	Shadows []Source
	// Expires is when the winning secret is due for rotation (kage
	// secret set --expires); zero for never. It is handed out all the
	// same once past.
	Expires time.Time
}

// Held is a name that applies but the Selection keeps from the program:
// its value is never read.
type Held struct {
	Name string
	// From is the source that would have won.
	From Source
	// Why says which rule held it back ("not in --only", "--except AWS_*").
	Why string
}

// WarningKind tells what a Warning is about.
type WarningKind int

const (
	// Refused is a stored name the name policy keeps from every export
	// (envname), unless it was stored with --force: Ref says which.
	Refused WarningKind = iota + 1
	// Unbound is a binding, at Scope, to subscription Sub, which has no
	// key.
	Unbound
	// Missing is an index entry, Ref, whose item the store does not have.
	Missing
)

// Warning is something resolution skipped and the user should hear of.
// Resolution goes on without it: the next source of the name wins.
type Warning struct {
	Kind  WarningKind
	Ref   keyring.Ref
	Scope scope.Scope
	Sub   string
}

// SubscriptionNotFoundError is a forced subscription that has no key.
type SubscriptionNotFoundError struct{ Name string }

func (e *SubscriptionNotFoundError) Error() string {
	return fmt.Sprintf("subscription %q not found", e.Name)
}

// NoMatchError is an Only glob, in a Strict lookup, that matches no name
// the store holds at any scope: most likely a typo.
type NoMatchError struct{ From, Pattern string }

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("%s %q matches no secret kage holds", e.From, e.Pattern)
}

// Lookup is what decides which values a directory gets: its scope chain,
// most specific first, the subscription bindings, a subscription forced for
// this run ("" for none), the names stored with --force, and the Selection.
type Lookup struct {
	Chain    []scope.Scope
	Bindings []subscription.Binding
	Forced   string
	// Accepted are the refused names stored with --force: the only
	// refused names exported.
	Accepted envname.Accepted
	// Selection says which names the program is given; the zero
	// Selection gives every name.
	Selection Selection
	// Strict makes an Only glob that matches no name the store holds
	// anywhere a *NoMatchError (typed on a command line: likely a typo);
	// otherwise it is only listed in Result.Nowhere.
	Strict bool
}

// Load is the Lookup for context c with kage's state in the data folder:
// the subscription bindings and the names stored with --force.
func Load(data string, c *scope.Context, forced string) (Lookup, error) {
	bs, err := subscription.Open(data).Load()
	if err != nil {
		return Lookup{}, err
	}
	accepted, err := envname.OpenForced(data).Load()
	if err != nil {
		return Lookup{}, err
	}
	return Lookup{Chain: c.Chain(), Bindings: bs, Forced: forced, Accepted: accepted}, nil
}

// Skipped reports whether the name policy keeps the item r from every
// export: not a variable name, or a refused name not stored with --force.
func (l Lookup) Skipped(r keyring.Ref) bool {
	return envname.Check(r.Name) != nil || !l.Accepted.Allows(r.Scope, r.Name)
}

// Candidates lists, for every name the lookup supplies, where its value
// can come from, best first: the forced subscription, then each scope of
// the chain, most specific first. At one scope a bound subscription comes
// before the scope's own secret of the same name: binding a scope to a
// subscription is the later, more deliberate choice. A binding to a
// subscription that has no key is skipped with a warning, and so is every
// name the policy refuses (Skipped): whatever put it in the store, it is
// never exported. The Selection is not applied here.
func (l Lookup) Candidates(entries []keyring.Entry) (map[string][]Source, []Warning, error) {
	keys, _ := subscription.Keys(entries)
	out := make(map[string][]Source, len(entries))
	var warnings []Warning
	skipped := map[keyring.Ref]bool{}
	skip := func(r keyring.Ref) bool {
		if !l.Skipped(r) {
			return false
		}
		if !skipped[r] {
			// One warning a name, though two bindings may name one key.
			skipped[r] = true
			warnings = append(warnings, Warning{Kind: Refused, Ref: r})
		}
		return true
	}
	if l.Forced != "" {
		k, ok := keys[l.Forced]
		if !ok {
			return nil, nil, &SubscriptionNotFoundError{Name: l.Forced}
		}
		if !skip(k.Ref()) {
			out[k.Var] = append(out[k.Var], Source{Sub: k.Name, Forced: true, Ref: k.Ref()})
		}
	}
	// add gives name a source; the first of each name comes from one
	// allocation for all, as most names have only one.
	slab := make([]Source, 0, len(entries))
	add := func(name string, src Source) {
		if cur, ok := out[name]; ok || len(slab) == cap(slab) {
			out[name] = append(cur, src)
			return
		}
		slab = append(slab, src)
		out[name] = slab[len(slab)-1 : len(slab) : len(slab)]
	}
	for _, s := range l.Chain {
		for _, sub := range subscription.At(l.Bindings, s.String()) {
			k, ok := keys[sub]
			if !ok {
				warnings = append(warnings, Warning{Kind: Unbound, Scope: s, Sub: sub})
				continue
			}
			if !skip(k.Ref()) {
				add(k.Var, Source{Scope: s, Sub: sub, Ref: k.Ref()})
			}
		}
		// A pass over the entries for each scope of the chain (three or
		// four) rather than a copy of them grouped by scope.
		key := s.String()
		for _, en := range entries {
			if en.Scope == key && !skip(en.Ref()) {
				add(en.Name, Source{Scope: s, Ref: en.Ref()})
			}
		}
	}
	return out, warnings, nil
}

// Result is what Resolve found.
type Result struct {
	// Vars are the names given, sorted, each with its value.
	Vars []Var
	// Held are the names the Selection kept back, sorted.
	Held []Held
	// Unmatched are the Selection's Only patterns that no name here
	// matches; Nowhere those of them that match no name the store holds
	// at any scope either.
	Unmatched, Nowhere []string
	// Warnings are what was skipped, in the order it was found.
	Warnings []Warning
}

// Resolve reads the winning value of every name the lookup supplies and
// the Selection gives, in one batch: the index and the bindings say which
// source wins each name, GetMany reads the winners. A source whose item is
// gone from the store is a Missing warning, and the next source of the
// name wins instead. The Result is not nil even with an error: its
// Warnings say what was found before it.
func (l Lookup) Resolve(ctx context.Context, store keyring.Store) (*Result, error) {
	r := &Result{}
	entries, err := store.List(ctx)
	if err != nil {
		return r, err
	}
	cands, warnings, err := l.Candidates(entries)
	r.Warnings = warnings
	if err != nil {
		return r, err
	}
	if !l.Selection.Empty() {
		r.Held, r.Unmatched, r.Nowhere = l.selectNames(cands, entries)
		if l.Strict {
			for _, p := range r.Nowhere {
				if envname.IsGlob(p) {
					return r, &NoMatchError{From: l.Selection.OnlyFrom, Pattern: p}
				}
			}
		}
	}
	// Few sources are ever missing, and the first round's answer holds
	// every value most commands need: maps of a thousand entries cost a
	// fresh page of memory every 70 entries, and their pages were a sixth
	// of what `kage env` over 1,000 secrets faulted in.
	var missing map[keyring.Ref]bool
	var values map[keyring.Ref][]byte
	// Each round reads the current winners; a winner missing from the
	// store passes the name to its next source. The longest candidate
	// list bounds the rounds.
	for {
		want := make([]keyring.Ref, 0, len(cands))
		for _, cs := range cands {
			for _, c := range cs {
				if missing[c.Ref] {
					continue
				}
				if _, done := values[c.Ref]; !done {
					want = append(want, c.Ref)
				}
				break
			}
		}
		if len(want) == 0 {
			break
		}
		// Sorted, a ref two names share (a subscription bound for two
		// variables) is asked once.
		slices.SortFunc(want, func(a, b keyring.Ref) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Scope, b.Scope))
		})
		want = slices.Compact(want)
		got, err := store.GetMany(ctx, want)
		if err != nil {
			return r, err
		}
		if values == nil {
			values = got
		}
		for _, ref := range want {
			if v, ok := got[ref]; ok {
				values[ref] = v
				continue
			}
			if missing == nil {
				missing = map[keyring.Ref]bool{}
			}
			missing[ref] = true
			r.Warnings = append(r.Warnings, Warning{Kind: Missing, Ref: ref})
		}
	}
	// In name order: sorting the names is cheaper than sorting the
	// results, which are large.
	out := make([]Var, 0, len(cands))
	for _, name := range slices.Sorted(maps.Keys(cands)) {
		res, won := Var{Name: name}, false
		for _, c := range cands[name] {
			switch {
			case missing[c.Ref]:
			case !won:
				res.Value, res.From, won = values[c.Ref], c, true
			default:
				res.Shadows = append(res.Shadows, c)
			}
		}
		if won {
			out = append(out, res)
		}
	}
	setExpiry(out, entries)
	r.Vars = out
	return r, nil
}

// setExpiry copies each winner's expiry from its entry. Few stores have
// any, and those pay for the map.
func setExpiry(vars []Var, entries []keyring.Entry) {
	var at map[keyring.Ref]time.Time
	for _, e := range entries {
		if !e.Expires.IsZero() {
			if at == nil {
				at = map[keyring.Ref]time.Time{}
			}
			at[e.Ref()] = e.Expires
		}
	}
	if at == nil {
		return
	}
	for i := range vars {
		vars[i].Expires = at[vars[i].From.Ref]
	}
}

// Expired returns those of vars whose secret expired at or before now.
func Expired(vars []Var, now time.Time) []Var {
	var out []Var
	for _, v := range vars {
		if !v.Expires.IsZero() && !v.Expires.After(now) {
			out = append(out, v)
		}
	}
	return out
}

// selectNames takes from cands every name the selection holds back, and
// lists them, and the Only patterns that match no name here (unmatched)
// or nowhere in entries.
func (l Lookup) selectNames(cands map[string][]Source, entries []keyring.Entry) (held []Held, unmatched, nowhere []string) {
	for _, p := range l.Selection.Only {
		here := false
		for name := range cands {
			if matchName(p, name) {
				here = true
				break
			}
		}
		if here {
			continue
		}
		unmatched = append(unmatched, p)
		if !slices.ContainsFunc(entries, func(en keyring.Entry) bool { return matchName(p, en.Name) }) {
			nowhere = append(nowhere, p)
		}
	}
	for name, cs := range cands {
		if ok, why := l.Selection.Allow(name); !ok {
			held = append(held, Held{Name: name, From: cs[0], Why: why})
			delete(cands, name)
		}
	}
	slices.SortFunc(held, func(a, b Held) int { return strings.Compare(a.Name, b.Name) })
	return held, unmatched, nowhere
}

// Secrets are the values of r, for a Masker.
func (r *Result) Secrets() []Secret {
	out := make([]Secret, len(r.Vars))
	for i, v := range r.Vars {
		out[i] = Secret{Name: v.Name, Value: v.Value}
	}
	return out
}

// Options say what Dir resolves.
type Options struct {
	// Paths are kage's folders: config.DefaultPaths() finds them as kage
	// does (KAGE_HOME, the XDG folders).
	Paths config.Paths
	// Namespace, when set, is the namespace instead of the detected one,
	// as kage's --namespace flag and KAGE_NAMESPACE make it.
	Namespace string
	// Subscription, when set, is forced for this run, as --subscription.
	Subscription string
	// Selection says which names are given; the zero one gives all.
	Selection Selection
}

// Dir resolves the secrets of directory dir ("" for the working one) by
// the rules kage env and kage exec follow: config.toml's namespaces, the
// chain, the subscription bindings and the name policy, then o's
// Selection. store is where the values are: keyring.NewKeychain(data) for
// the OS keychain, keyring.NewFile for the file backend.
func Dir(ctx context.Context, store keyring.Store, dir string, o Options) (*scope.Context, *Result, error) {
	cfg, err := config.Load(o.Paths)
	if err != nil {
		return nil, nil, err
	}
	opts := scope.Options{Config: cfg, Data: o.Paths.Data}
	if o.Namespace != "" {
		opts.Namespace, opts.NamespaceFrom = o.Namespace, "Options.Namespace"
	}
	c, err := scope.Detect(dir, opts)
	if err != nil {
		return nil, nil, err
	}
	l, err := Load(o.Paths.Data, c, o.Subscription)
	if err != nil {
		return c, nil, err
	}
	l.Selection = o.Selection
	r, err := l.Resolve(ctx, store)
	return c, r, err
}
