package main

import (
	"fmt"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/subscription"
)

// forceHint is the hint under a refused name where --force exists.
const forceHint = "pick another name, or pass --force if you really mean it (kage then records it as forced and exports it)"

// checkName refuses names that cannot be environment variables, and the
// names envname's policy refuses unless force is set and the name can be
// forced.
func checkName(name string, force bool) error {
	if err := envname.Check(name); err != nil {
		return usagef(envname.SyntaxHint, "%s", err)
	}
	r, ok := envname.Refused(name)
	switch {
	case !ok:
		return nil
	case !r.Forceable():
		return usagef("pick another name: not even --force stores this one, a shell could not load it or kage needs it", "refusing to store %q: %s", name, r.Why())
	case !force:
		return usagef(forceHint, "refusing to store %q: %s", name, r.Why())
	}
	return nil
}

// skippedName says why a name found in a store is not exported (one
// resolve.Lookup.Skipped), and how to accept or remove it.
func skippedName(r keyring.Ref) string {
	if err := envname.Check(r.Name); err != nil {
		// A hand-edited index or a store another program wrote: never an
		// export, whatever the record says.
		return fmt.Sprintf("%s is not a variable name; not exported (%s)", describeStored(r, display.Safe(err.Error())), removeFix(r))
	}
	rule, _ := envname.Refused(r.Name)
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return fmt.Sprintf("subscription %s exports its key as %s, a name kage refuses: %s; not exported (store it under another name: kage subscription add --name %s --env NAME --overwrite)",
			sub, r.Name, rule.Why(), sub)
	}
	where := display.Scope(r.Scope)
	if !rule.Forceable() {
		return fmt.Sprintf("%s in %s is a name kage refuses even with --force: %s; not exported (remove it: kage secret delete %s --scope %s)",
			r.Name, display.Safe(where), rule.Why(), r.Name, display.ShellWord(where))
	}
	return fmt.Sprintf("%s in %s was not stored with --force, and kage refuses the name: %s; not exported (to export it: kage secret set %s --scope %s --force; to remove it: kage secret delete %s --scope %s)",
		r.Name, display.Safe(where), rule.Why(), r.Name, display.ShellWord(where), r.Name, display.ShellWord(where))
}

// describeStored names an item by its scope, for a name that cannot be
// shown as is.
func describeStored(r keyring.Ref, shown string) string {
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return fmt.Sprintf("the key of subscription %s (%s)", sub, shown)
	}
	return fmt.Sprintf("an item in %s (%s)", display.Safe(display.Scope(r.Scope)), shown)
}

// removeFix says how to remove an item whose name is not a variable name.
func removeFix(r keyring.Ref) string {
	if sub, ok := subscription.FromScope(r.Scope); ok {
		return "remove it with: kage subscription remove " + sub
	}
	return "kage doctor reports it"
}
