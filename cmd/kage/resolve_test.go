package main

import (
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// TestCandidatesOrder pins the precedence: a forced subscription, then each
// scope most specific first, where a subscription bound to a scope comes
// before that scope's own secret.
func TestCandidatesOrder(t *testing.T) {
	repo := scope.Scope{Kind: scope.Repo, Path: "/code/api"}
	ns := scope.Scope{Kind: scope.Namespace, Name: "prod"}
	glob := scope.Scope{Kind: scope.Global}
	entries := []keyring.Entry{
		{Scope: "global", Name: "KEY"},
		{Scope: "namespace:prod", Name: "KEY"},
		{Scope: "repo:/code/api", Name: "KEY"},
		{Scope: "namespace:other", Name: "KEY"},
		{Scope: "subscription:work", Name: "KEY"},
		{Scope: "subscription:home", Name: "KEY"},
		{Scope: "subscription:ai", Name: "OPENAI"},
	}
	l := lookup{
		chain: []scope.Scope{repo, ns, glob},
		bindings: []subscription.Binding{
			{Scope: "namespace:prod", Subscription: "work"},
			{Scope: "global", Subscription: "home"},
			{Scope: "global", Subscription: "ai"},
			{Scope: "global", Subscription: "gone"},
			{Scope: "namespace:other", Subscription: "home"},
		},
	}
	got, warnings, err := l.candidates(entries)
	if err != nil {
		t.Fatal(err)
	}
	describe := func(cs []source) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.String())
		}
		return strings.Join(s, "; ")
	}
	want := "repo:/code/api; subscription work (bound at namespace:prod); namespace:prod; subscription home (bound at global); global"
	if d := describe(got["KEY"]); d != want {
		t.Errorf("KEY candidates:\n got %s\nwant %s", d, want)
	}
	if d := describe(got["OPENAI"]); d != "subscription ai (bound at global)" {
		t.Errorf("OPENAI candidates: %s", d)
	}
	if got["KEY"][1].ref != (keyring.Ref{Scope: "subscription:work", Name: "KEY"}) {
		t.Errorf("work's ref = %v", got["KEY"][1].ref)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `bound to subscription "gone", which does not exist`) {
		t.Errorf("warnings = %q", warnings)
	}

	l.forced = "ai"
	got, _, err = l.candidates(entries)
	if err != nil {
		t.Fatal(err)
	}
	if d := describe(got["OPENAI"]); d != "subscription ai (--subscription); subscription ai (bound at global)" {
		t.Errorf("forced OPENAI candidates: %s", d)
	}
	l.forced = "gone"
	if _, _, err := l.candidates(entries); err == nil || !strings.Contains(err.Error(), `subscription "gone" not found`) {
		t.Errorf("forcing a missing subscription: %v", err)
	}
}
