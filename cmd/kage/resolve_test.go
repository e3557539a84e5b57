package main

import (
	"strings"
	"testing"

	"github.com/kage-cli/kage/envname"
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
		Chain: []scope.Scope{repo, ns, glob},
		Bindings: []subscription.Binding{
			{Scope: "namespace:prod", Subscription: "work"},
			{Scope: "global", Subscription: "home"},
			{Scope: "global", Subscription: "ai"},
			{Scope: "global", Subscription: "gone"},
			{Scope: "namespace:other", Subscription: "home"},
		},
	}
	got, warnings, err := candidateTexts(l, entries)
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
	if got["KEY"][1].Ref != (keyring.Ref{Scope: "subscription:work", Name: "KEY"}) {
		t.Errorf("work's ref = %v", got["KEY"][1].Ref)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `bound to subscription "gone", which does not exist`) {
		t.Errorf("warnings = %q", warnings)
	}

	l.Forced = "ai"
	got, _, err = candidateTexts(l, entries)
	if err != nil {
		t.Fatal(err)
	}
	if d := describe(got["OPENAI"]); d != "subscription ai (--subscription); subscription ai (bound at global)" {
		t.Errorf("forced OPENAI candidates: %s", d)
	}
	l.Forced = "gone"
	if _, _, err := candidateTexts(l, entries); err == nil || !strings.Contains(err.Error(), `subscription "gone" not found`) {
		t.Errorf("forcing a missing subscription: %v", err)
	}
}

// TestCandidatesRefusedNames: a name the policy refuses is a candidate only
// in a scope where it was stored with --force; every other one, and a
// subscription exporting its key under such a name, is skipped with one
// warning each, which says how to accept or remove it.
func TestCandidatesRefusedNames(t *testing.T) {
	repo := scope.Scope{Kind: scope.Repo, Path: "/code/my api"}
	glob := scope.Scope{Kind: scope.Global}
	entries := []keyring.Entry{
		{Scope: "global", Name: "PATH"},
		{Scope: "repo:/code/my api", Name: "PATH"},
		{Scope: "repo:/code/my api", Name: "GIT_CONFIG_COUNT"},
		{Scope: "global", Name: "fish_user_paths"},
		{Scope: "global", Name: "API_KEY"},
		{Scope: "global", Name: "not a name"},
		{Scope: "subscription:old", Name: "LD_PRELOAD"},
	}
	l := lookup{
		Chain: []scope.Scope{repo, glob},
		Bindings: []subscription.Binding{
			{Scope: "repo:/code/my api", Subscription: "old"},
			{Scope: "global", Subscription: "old"},
		},
		Accepted: envname.Accepted{{Scope: "global", Name: "PATH"}, {Scope: "namespace:x", Name: "fish_user_paths"}},
	}
	got, warnings, err := candidateTexts(l, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["PATH"]) != 1 || got["PATH"][0].Scope != glob || len(got["API_KEY"]) != 1 {
		t.Errorf("candidates = %v, want PATH from global and API_KEY", got)
	}
	want := []string{
		"subscription old exports its key as LD_PRELOAD, a name kage refuses: like every LD_* name",
		"PATH in repo:/code/my api was not stored with --force, and kage refuses the name: it changes how the shell finds and runs commands (shell behaviour); not exported (to export it: kage secret set PATH --scope 'repo:/code/my api' --force; to remove it: kage secret delete PATH --scope 'repo:/code/my api')",
		"GIT_CONFIG_COUNT in repo:/code/my api was not stored with --force",
		"fish_user_paths in global is a name kage refuses even with --force: like every fish_* name, it is fish's own variable (fish); not exported (remove it: kage secret delete fish_user_paths --scope global)",
		`an item in global (invalid secret name "not a name") is not a variable name; not exported`,
	}
	if len(warnings) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(warnings, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range warnings {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no warning starts %q; got:\n%s", w, strings.Join(warnings, "\n"))
		}
	}
	l.Forced = "old"
	got, _, err = candidateTexts(l, entries)
	if err != nil || got["LD_PRELOAD"] != nil {
		t.Errorf("--subscription old: LD_PRELOAD exported (%v, %v)", got["LD_PRELOAD"], err)
	}
}

// candidateTexts is lookup.Candidates with its warnings in kage's words.
func candidateTexts(l lookup, entries []keyring.Entry) (map[string][]source, []string, error) {
	cands, ws, err := l.Candidates(entries)
	var texts []string
	for _, w := range ws {
		texts = append(texts, warningText(l, w))
	}
	return cands, texts, resolveError(err)
}
