package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// Resolution is package resolve's, as a spawner in Go gets it; these are
// its names here. What is left is how kage words what it skipped.
type (
	source   = resolve.Source
	resolved = resolve.Var
	lookup   = resolve.Lookup
)

// lookup gathers what decides the values of context c.
func (e *env) lookup(c *scope.Context, forced string) (lookup, error) {
	return resolve.Load(e.paths.Data, c, forced)
}

// resolveAll resolves l in store, saying on warn what it skipped.
func resolveAll(ctx context.Context, store keyring.Store, l lookup, warn io.Writer) (*resolve.Result, error) {
	r, err := l.Resolve(ctx, store)
	warnAll(warn, l, r.Warnings)
	return r, resolveError(err)
}

// candidates is l.Candidates, saying on warn what it skipped.
func candidates(l lookup, entries []keyring.Entry, warn io.Writer) (map[string][]source, error) {
	cands, ws, err := l.Candidates(entries)
	warnAll(warn, l, ws)
	return cands, resolveError(err)
}

// resolveError gives resolution's own errors their exit code and hint.
func resolveError(err error) error {
	var nm *resolve.NoMatchError
	var nf *resolve.SubscriptionNotFoundError
	switch {
	case errors.As(err, &nm):
		return usagef("kage secret list shows the names kage holds", "%s", err)
	case errors.As(err, &nf):
		return subscriptionNotFound(nf.Name)
	}
	return err
}

func warnAll(warn io.Writer, l lookup, ws []resolve.Warning) {
	for _, w := range ws {
		fmt.Fprintf(warn, "kage: warning: %s\n", warningText(l, w))
	}
}

// warningText says what resolution skipped and how to settle it.
func warningText(l lookup, w resolve.Warning) string {
	switch w.Kind {
	case resolve.Refused:
		return skippedName(w.Ref)
	case resolve.Unbound:
		return fmt.Sprintf("%s is bound to subscription %q, which does not exist; skipped (kage subscription unuse %s --scope %s, or kage doctor --fix)", w.Scope.Display(), w.Sub, w.Sub, w.Scope.Display())
	case resolve.Missing:
		return fmt.Sprintf("%s; skipped (%s)", missingItem(w.Ref), missingFix(w.Ref))
	}
	return fmt.Sprintf("skipped %s in %s", w.Ref.Name, w.Ref.Scope)
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
