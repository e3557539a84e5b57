package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
)

// resolved is one name's winning value and where it came from.
type resolved struct {
	Name    string
	Value   []byte
	From    scope.Scope
	Shadows []scope.Scope
}

// resolve reads the winning value of every name the chain holds, in one
// batch: the index says which scope wins each name, GetMany reads the
// winners. An index entry whose item is gone from the keychain is reported
// on warn and the next scope holding the name wins instead.
func resolve(ctx context.Context, store keyring.Store, chain []scope.Scope, warn io.Writer) ([]resolved, error) {
	entries, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	rank := map[string]int{}
	for i, s := range chain {
		rank[s.String()] = i
	}
	// holders[name] lists the chain positions holding name, most specific
	// first.
	holders := map[string][]int{}
	for _, e := range entries {
		if i, ok := rank[e.Scope]; ok {
			holders[e.Name] = append(holders[e.Name], i)
		}
	}
	for _, h := range holders {
		sort.Ints(h)
	}
	missing := map[keyring.Ref]bool{}
	values := map[keyring.Ref][]byte{}
	// Each round reads the current winners; a winner missing from the
	// keychain passes the name to its next scope. At most len(chain) rounds.
	for range chain {
		var want []keyring.Ref
		for name, h := range holders {
			for _, i := range h {
				r := keyring.Ref{Scope: chain[i].String(), Name: name}
				if missing[r] {
					continue
				}
				if _, done := values[r]; !done {
					want = append(want, r)
				}
				break
			}
		}
		if len(want) == 0 {
			break
		}
		sort.Slice(want, func(a, b int) bool { return want[a].Name < want[b].Name })
		got, err := store.GetMany(ctx, want)
		if err != nil {
			return nil, err
		}
		for _, r := range want {
			if v, ok := got[r]; ok {
				values[r] = v
				continue
			}
			missing[r] = true
			s, _ := scope.FromCanonical(r.Scope)
			fmt.Fprintf(warn, "kage: warning: the index lists %s in %s but the keychain has no such item; skipped (remove the entry with: kage secret delete %s --scope %s)\n", r.Name, s.Display(), r.Name, s.Display())
		}
	}
	var out []resolved
	for name, h := range holders {
		res, won := resolved{Name: name}, false
		for _, i := range h {
			r := keyring.Ref{Scope: chain[i].String(), Name: name}
			switch {
			case missing[r]:
			case !won:
				res.Value, res.From, won = values[r], chain[i], true
			default:
				res.Shadows = append(res.Shadows, chain[i])
			}
		}
		if won {
			out = append(out, res)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}
