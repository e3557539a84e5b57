package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// source is one place a name's value can come from: a scope's own secret,
// a subscription bound to a scope, or a subscription forced for one run.
type source struct {
	// Scope holds the secret, or is where Sub is bound; unset when Forced.
	Scope  scope.Scope
	Sub    string
	Forced bool
	ref    keyring.Ref
}

// String says where a value came from, for --explain and status.
func (s source) String() string {
	switch {
	case s.Forced:
		return fmt.Sprintf("subscription %s (--subscription)", s.Sub)
	case s.Sub != "":
		return fmt.Sprintf("subscription %s (bound at %s)", s.Sub, s.Scope.Display())
	}
	return s.Scope.Display()
}

// resolved is one name's winning value and where it came from.
type resolved struct {
	Name    string
	Value   []byte
	From    source
	Shadows []source
}

// lookup is what decides which values a directory gets: its scope chain,
// most specific first, the subscription bindings, and a subscription
// forced for this run ("" for none).
type lookup struct {
	chain    []scope.Scope
	bindings []subscription.Binding
	forced   string
	// accepted are the refused names stored with --force: the only
	// refused names exported.
	accepted envname.Accepted
	// sel says which names the program is given (--only, --except,
	// [exec.PROGRAM]); the zero Selection gives every name.
	sel resolve.Selection
	// strict makes an Only glob that matches no name kage holds anywhere
	// a usage error (it was typed on the command line: likely a typo);
	// otherwise it is a warning, as a name that does not apply here is.
	strict bool
}

// heldBack is a name that applies here but the selection keeps from the
// program: its value is never read.
type heldBack struct {
	Name string
	From source
	Why  string
}

// resolution is what resolveAll found.
type resolution struct {
	vars []resolved
	held []heldBack
	// unmatched are the selection's Only patterns that no name here
	// matches; nowhere those of them that match no name kage holds at
	// any scope either.
	unmatched, nowhere []string
}

// candidates lists, for every name the lookup supplies, where its value can
// come from, best first: the forced subscription, then each scope of the
// chain, most specific first. At one scope a bound subscription comes
// before the scope's own secret of the same name: binding a scope to a
// subscription is the later, more deliberate choice. A binding to a
// subscription that has no key is skipped with a warning, and so is every
// name the policy refuses (envname) unless it was stored with --force:
// whatever put it in the store, it is never exported.
func (l lookup) candidates(entries []keyring.Entry) (map[string][]source, []string, error) {
	keys, _ := subscription.Keys(entries)
	out := make(map[string][]source, len(entries))
	var warnings []string
	skipped := map[keyring.Ref]bool{}
	skip := func(r keyring.Ref) bool {
		why := skippedName(l.accepted, r)
		if why != "" && !skipped[r] {
			// One warning a name, though two bindings may name one key.
			skipped[r] = true
			warnings = append(warnings, why)
		}
		return why != ""
	}
	if l.forced != "" {
		k, ok := keys[l.forced]
		if !ok {
			return nil, nil, subscriptionNotFound(l.forced)
		}
		if !skip(k.Ref()) {
			out[k.Var] = append(out[k.Var], source{Sub: k.Name, Forced: true, ref: k.Ref()})
		}
	}
	// add gives name a source; the first of each name comes from one
	// allocation for all, as most names have only one.
	slab := make([]source, 0, len(entries))
	add := func(name string, src source) {
		if cur, ok := out[name]; ok || len(slab) == cap(slab) {
			out[name] = append(cur, src)
			return
		}
		slab = append(slab, src)
		out[name] = slab[len(slab)-1 : len(slab) : len(slab)]
	}
	for _, s := range l.chain {
		for _, sub := range subscription.At(l.bindings, s.String()) {
			k, ok := keys[sub]
			if !ok {
				warnings = append(warnings, fmt.Sprintf("%s is bound to subscription %q, which does not exist; skipped (kage subscription unuse %s --scope %s, or kage doctor --fix)", s.Display(), sub, sub, s.Display()))
				continue
			}
			if !skip(k.Ref()) {
				add(k.Var, source{Scope: s, Sub: sub, ref: k.Ref()})
			}
		}
		// A pass over the entries for each scope of the chain (three or
		// four) rather than a copy of them grouped by scope.
		key := s.String()
		for _, en := range entries {
			if en.Scope == key && !skip(en.Ref()) {
				add(en.Name, source{Scope: s, ref: en.Ref()})
			}
		}
	}
	return out, warnings, nil
}

// resolveAll reads the winning value of every name the lookup supplies, in
// one batch: the index and the bindings say which source wins each name,
// GetMany reads the winners. A source whose item is gone from the keychain
// is reported on warn and the next source of the name wins instead.
func resolveAll(ctx context.Context, store keyring.Store, l lookup, warn io.Writer) (resolution, error) {
	var r resolution
	entries, err := store.List(ctx)
	if err != nil {
		return r, err
	}
	cands, warnings, err := l.candidates(entries)
	if err != nil {
		return r, err
	}
	if !l.sel.Empty() {
		r.held, r.unmatched, r.nowhere = l.selectNames(cands, entries)
		if l.strict {
			for _, p := range r.nowhere {
				if strings.Contains(p, "*") {
					return r, usagef("kage secret list shows the names kage holds", "%s %q matches no secret kage holds", l.sel.OnlyFrom, p)
				}
			}
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(warn, "kage: warning: %s\n", w)
	}
	// Few sources are ever missing, and the first round's answer holds
	// every value most commands need: maps of a thousand entries cost a
	// fresh page of memory every 70 entries, and their pages were a sixth
	// of what `kage env` over 1,000 secrets faulted in.
	var missing map[keyring.Ref]bool
	var values map[keyring.Ref][]byte
	// Each round reads the current winners; a winner missing from the
	// keychain passes the name to its next source. The longest candidate
	// list bounds the rounds.
	for {
		want := make([]keyring.Ref, 0, len(cands))
		for _, cs := range cands {
			for _, c := range cs {
				if missing[c.ref] {
					continue
				}
				if _, done := values[c.ref]; !done {
					want = append(want, c.ref)
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
		for _, r := range want {
			if v, ok := got[r]; ok {
				values[r] = v
				continue
			}
			if missing == nil {
				missing = map[keyring.Ref]bool{}
			}
			missing[r] = true
			fmt.Fprintf(warn, "kage: warning: %s; skipped (%s)\n", missingItem(r), missingFix(r))
		}
	}
	// In name order: sorting the names is cheaper than sorting the
	// results, which are large.
	out := make([]resolved, 0, len(cands))
	for _, name := range slices.Sorted(maps.Keys(cands)) {
		cs := cands[name]
		res, won := resolved{Name: name}, false
		for _, c := range cs {
			switch {
			case missing[c.ref]:
			case !won:
				res.Value, res.From, won = values[c.ref], c, true
			default:
				res.Shadows = append(res.Shadows, c)
			}
		}
		if won {
			out = append(out, res)
		}
	}
	r.vars = out
	return r, nil
}

// selectNames takes from cands every name the selection holds back, and
// lists them, and the Only patterns that match no name here (unmatched)
// or nowhere in entries.
func (l lookup) selectNames(cands map[string][]source, entries []keyring.Entry) (held []heldBack, unmatched, nowhere []string) {
	for _, p := range l.sel.Only {
		here := false
		for name := range cands {
			if envname.MatchGlob(p, name) {
				here = true
				break
			}
		}
		if here {
			continue
		}
		unmatched = append(unmatched, p)
		if !slices.ContainsFunc(entries, func(en keyring.Entry) bool { return envname.MatchGlob(p, en.Name) }) {
			nowhere = append(nowhere, p)
		}
	}
	for name, cs := range cands {
		if ok, why := l.sel.Allow(name); !ok {
			held = append(held, heldBack{Name: name, From: cs[0], Why: why})
			delete(cands, name)
		}
	}
	slices.SortFunc(held, func(a, b heldBack) int { return strings.Compare(a.Name, b.Name) })
	return held, unmatched, nowhere
}

// missingItem describes an index entry whose keychain item is gone.
func missingItem(r keyring.Ref) string {
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return fmt.Sprintf("the index lists the key of subscription %s but the keychain has no such item", sub)
	}
	s, _ := scope.FromCanonical(r.Scope)
	return fmt.Sprintf("the index lists %s in %s but the keychain has no such item", r.Name, s.Display())
}

// missingFix says how to clear an index entry whose item is gone.
func missingFix(r keyring.Ref) string {
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return fmt.Sprintf("store the key again with: kage subscription add --name %s --env %s --overwrite", sub, r.Name)
	}
	s, _ := scope.FromCanonical(r.Scope)
	return fmt.Sprintf("remove the entry with: kage secret delete %s --scope %s", r.Name, s.Display())
}
