package doctor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/subscription"
)

func TestRebuildIndex(t *testing.T) {
	t0 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)
	now := t0.Add(24 * time.Hour)
	entries := []keyring.Entry{
		{Scope: "global", Name: "KEPT", Created: t0, Updated: t0},
		{Scope: "global", Name: "GONE", Created: t0, Updated: t0},
		{Scope: "bogus", Name: "BAD_SCOPE", Created: t0, Updated: t0},
		{Scope: "global", Name: "KEPT", Created: t1, Updated: t1},
		{Scope: "global", Name: "not a name", Created: t0, Updated: t0},
	}
	inv := &keyring.Inventory{Items: []keyring.Item{
		{Scope: "global", Name: "KEPT", Created: t2, Modified: t2, ID: "/1"},
		// Two items for one name: the earliest creation, the latest change.
		{Scope: "namespace:backend", Name: "NEW", Created: t1, Modified: t1, ID: "/2"},
		{Scope: "namespace:backend", Name: "NEW", Created: t0, Modified: t2, ID: "/3"},
		// No times at all: now.
		{Scope: "repo:/src/api", Name: "UNDATED", ID: "/4"},
		// Not kage's: never added.
		{Scope: "bogus", Name: "X", Created: t0, ID: "/5"},
		{Scope: "namespace:Backend", Name: "X", Created: t0, ID: "/6"},
		{Scope: "repo:relative", Name: "X", Created: t0, ID: "/7"},
		{Scope: "global", Name: "", Created: t0, ID: "/8"},
		{Scope: "global", Name: "1X", Created: t0, ID: "/9"},
	}}
	got, changes := rebuildIndex(entries, inv, now, nil)
	want := []keyring.Entry{
		{Scope: "global", Name: "KEPT", Created: t0, Updated: t0},
		{Scope: "namespace:backend", Name: "NEW", Created: t0, Updated: t2},
		{Scope: "repo:/src/api", Name: "UNDATED", Created: now, Updated: now},
	}
	if !slices.Equal(got, want) {
		t.Errorf("rebuilt\n%+v\nwant\n%+v", got, want)
	}
	wantChanges := []string{
		"dropped GONE in global from the index: its keychain item is gone",
		`dropped "BAD_SCOPE" in "bogus" from the index (not a kage scope)`,
		`dropped "KEPT" in "global" from the index (listed twice)`,
		`dropped "not a name" in "global" from the index (not a variable name)`,
		"added NEW in namespace:backend to the index, from its keychain item",
		"added UNDATED in repo:/src/api to the index, from its keychain item",
	}
	if !slices.Equal(changes, wantChanges) {
		t.Errorf("changes\n%q\nwant\n%q", changes, wantChanges)
	}

	// Rebuilding what was rebuilt changes nothing.
	again, changes := rebuildIndex(got, inv, now, nil)
	if len(changes) != 0 || !slices.Equal(again, got) {
		t.Errorf("second rebuild changed %q", changes)
	}
	c := compareIndex(got, inv, nil)
	if len(c.missing)+len(c.invalid)+len(c.lacking) != 0 || len(c.agreed) != 3 || len(c.foreign) != 5 {
		t.Errorf("after rebuild: %d missing, %d invalid, %d lacking, %d agree, %d foreign",
			len(c.missing), len(c.invalid), len(c.lacking), len(c.agreed), len(c.foreign))
	}
}
func TestHookDetection(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"HOME": home}
	getenv := func(k string) string { return vars[k] }
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range rcShells(getenv, home, "linux") {
		if f := hookIn(s.files, s.marks); f != "" {
			t.Errorf("%s: hook found in %s of an empty home", s.name, f)
		}
		// A comment does not load the hook.
		write(s.files[0], "# "+s.line+"\n")
		if f := hookIn(s.files, s.marks); f != "" {
			t.Errorf("%s: a commented line counts as installed (%s)", s.name, f)
		}
		write(s.files[0], "something else\n  "+s.line+"\n")
		if f := hookIn(s.files, s.marks); f != s.files[0] {
			t.Errorf("%s: the hook line %q in %s is not found", s.name, s.line, s.files[0])
		}
	}
	// The files where the shells read them.
	want := map[string]string{
		"bash":   filepath.Join(home, ".bashrc"),
		"zsh":    filepath.Join(home, "zdot", ".zshrc"),
		"fish":   filepath.Join(home, "xdg", "fish", "config.fish"),
		"elvish": filepath.Join(home, "xdg", "elvish", "rc.elv"),
		"nu":     filepath.Join(home, "xdg", "nushell", "config.nu"),
		"pwsh":   filepath.Join(home, "xdg", "powershell", "Microsoft.PowerShell_profile.ps1"),
	}
	vars["ZDOTDIR"] = filepath.Join(home, "zdot")
	vars["XDG_CONFIG_HOME"] = filepath.Join(home, "xdg")
	for _, s := range rcShells(getenv, home, "linux") {
		if s.files[0] != want[s.name] {
			t.Errorf("%s: hook belongs in %s, want %s", s.name, s.files[0], want[s.name])
		}
		delete(want, s.name)
	}
	if len(want) != 0 {
		t.Errorf("no rc files for %v", want)
	}

	for shell, name := range map[string]string{
		"/bin/bash": "bash", "/usr/bin/zsh": "zsh", "/opt/homebrew/bin/fish": "fish", "-zsh": "zsh",
		"/usr/bin/nu": "nu", "/usr/bin/elvish": "elvish", "/usr/bin/pwsh": "pwsh", "/bin/tcsh": "", "": "",
	} {
		vars["SHELL"] = shell
		if got := loginShell(getenv, "linux"); got != name {
			t.Errorf("SHELL=%q: shell %q, want %q", shell, got, name)
		}
	}
}
func TestSubscriptionRefs(t *testing.T) {
	// A subscription's key is kage's: never foreign, never invalid.
	for _, r := range []keyring.Ref{{Scope: "subscription:work", Name: "ANTHROPIC_API_KEY"}, {Scope: "subscription:team.ci", Name: "OPENAI_API_KEY"}} {
		if why := kageName(r.Scope, r.Name); why != "" {
			t.Errorf("kageName(%q, %q) = %q, want a kage secret", r.Scope, r.Name, why)
		}
	}
	for _, r := range []keyring.Ref{{Scope: "subscription:Work", Name: "X"}, {Scope: "subscription:", Name: "X"}, {Scope: "subscription:work", Name: "not a name"}} {
		if why := kageName(r.Scope, r.Name); why == "" {
			t.Errorf("kageName(%q, %q) accepts it", r.Scope, r.Name)
		}
	}
	for _, c := range []struct{ scope, name, want string }{
		{"subscription:work", "ANTHROPIC_API_KEY", "the key of subscription work (ANTHROPIC_API_KEY)"},
		{"namespace:backend", "DB", "DB in namespace:backend"},
		{"bogus", "X", `"X" in "bogus"`},
	} {
		if got := describeRef(c.scope, c.name); got != c.want {
			t.Errorf("describeRef(%q, %q) = %q, want %q", c.scope, c.name, got, c.want)
		}
	}

	// --fix keeps a subscription's key in the index, and adds one the
	// index lacks.
	t0 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := []keyring.Entry{{Scope: "subscription:work", Name: "ANTHROPIC_API_KEY", Created: t0, Updated: t0}}
	inv := &keyring.Inventory{Items: []keyring.Item{
		{Scope: "subscription:work", Name: "ANTHROPIC_API_KEY", Created: t0, Modified: t0, ID: "/1"},
		{Scope: "subscription:personal", Name: "CLAUDE_KEY", Created: t0, Modified: t0, ID: "/2"},
	}}
	got, changes := rebuildIndex(entries, inv, t0, nil)
	want := []keyring.Entry{entries[0], {Scope: "subscription:personal", Name: "CLAUDE_KEY", Created: t0, Updated: t0}}
	if !slices.Equal(got, want) {
		t.Errorf("rebuilt\n%+v\nwant\n%+v", got, want)
	}
	if wantChanges := []string{"added the key of subscription personal (CLAUDE_KEY) to the index, from its keychain item"}; !slices.Equal(changes, wantChanges) {
		t.Errorf("changes %q, want %q", changes, wantChanges)
	}
	if c := compareIndex(got, inv, nil); len(c.foreign)+len(c.invalid)+len(c.missing)+len(c.lacking) != 0 {
		t.Errorf("after rebuild: %d foreign, %d invalid, %d missing, %d lacking", len(c.foreign), len(c.invalid), len(c.missing), len(c.lacking))
	}
}

// TestRebuildIndexRefusedNames: doctor --fix never adopts a keychain item
// under a name kage refuses (planted with secret-tool, say), unless the
// record of forced names says kage stored it with --force; an entry the
// index already lists is kept (kage skips it at export).
func TestRebuildIndexRefusedNames(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	inv := &keyring.Inventory{Items: []keyring.Item{
		{Scope: "global", Name: "PATH", Created: t0, ID: "/1"},
		{Scope: "global", Name: "path", Created: t0, ID: "/2"},
		{Scope: "repo:/src/api", Name: "GIT_CONFIG_COUNT", Created: t0, ID: "/3"},
		{Scope: subscription.Scope("work"), Name: "LD_PRELOAD", Created: t0, ID: "/4"},
		{Scope: "namespace:ops", Name: "LD_PRELOAD", Created: t0, ID: "/5"},
		{Scope: "global", Name: "IFS", Created: t0, ID: "/6"},
		{Scope: "global", Name: "API_KEY", Created: t0, ID: "/7"},
	}}
	entries := []keyring.Entry{{Scope: "global", Name: "IFS", Created: t0, Updated: t0}}
	accepted := envname.Accepted{{Scope: "namespace:ops", Name: "LD_PRELOAD"}}
	got, changes := rebuildIndex(entries, inv, t0, accepted)
	want := []keyring.Entry{
		{Scope: "global", Name: "IFS", Created: t0, Updated: t0},
		{Scope: "global", Name: "API_KEY", Created: t0, Updated: t0},
		{Scope: "namespace:ops", Name: "LD_PRELOAD", Created: t0, Updated: t0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("rebuilt\n%+v\nwant\n%+v\nchanges %q", got, want, changes)
	}
	c := compareIndex(got, inv, accepted)
	var refused []string
	for _, r := range c.refused {
		refused = append(refused, r.Name+"@"+r.Scope)
	}
	slices.Sort(refused)
	wantRefused := []string{"GIT_CONFIG_COUNT@repo:/src/api", "LD_PRELOAD@subscription:work", "PATH@global", "path@global"}
	if !slices.Equal(refused, wantRefused) {
		t.Errorf("refused %q, want %q", refused, wantRefused)
	}
}
