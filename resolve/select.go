// Package resolve decides what a program kage starts is given, by the
// rules the kage command follows, for spawners written in Go: a
// directory's secrets (Dir, or Lookup.Resolve for a chain of one's own),
// which of them the program may have (Selection, as --only, --except and
// config.toml's [exec.PROGRAM] make it), the environment to start it with
// (Environ) and a filter that keeps the values out of what it prints
// (Masker).
//
// A spawner opens the store kage uses — keyring.NewKeychain for the OS
// keychain, keyring.NewFile for the file backend — and resolves for the
// folder the agent will run in:
//
//	paths, _ := config.DefaultPaths()
//	store := keyring.NewKeychain(paths.Data)
//	only, _ := envname.ParseList("ANTHROPIC_API_KEY,GITHUB_TOKEN")
//	_, r, err := resolve.Dir(ctx, store, repo, resolve.Options{Paths: paths,
//		Selection: resolve.Selection{Only: only, OnlyFrom: "only"}})
//	cmd := exec.Command("claude")
//	cmd.Dir, cmd.Env = repo, resolve.Environ(os.Environ(), r)
//	m := resolve.NewMasker(os.Stdout, r.Secrets())
//	cmd.Stdout = m
//	err = cmd.Run()
//	m.Close() // writes what it held back
package resolve

import (
	"fmt"

	"github.com/kage-cli/kage/envname"
)

// Selection says which names a program is given: those matching Only (all
// when Only is nil), less those matching Except. Except wins.
type Selection struct {
	Only   []string
	Except []string
	// From says where the lists came from, for explanations: "--only",
	// "[exec.claude] in config.toml".
	OnlyFrom, ExceptFrom string
}

// Empty reports whether the selection gives every name.
func (s Selection) Empty() bool { return s.Only == nil && len(s.Except) == 0 }

// Allow reports whether name is given; when it is not, why says why in a
// few words ("not in --only", "--except AWS_*").
func (s Selection) Allow(name string) (ok bool, why string) {
	if p, hit := matchAny(s.Except, name); hit {
		return false, fmt.Sprintf("%s %s", s.ExceptFrom, p)
	}
	if s.Only != nil {
		if _, hit := matchAny(s.Only, name); !hit {
			return false, "not in " + s.OnlyFrom
		}
	}
	return true, ""
}

// matchName is envname.MatchGlob as the system compares environment
// names: on Windows, where they ignore case, --except GITHUB_TOKEN holds
// back github_token too, which the program would see as the same name.
func matchName(p, name string) bool {
	return envname.MatchGlob(envKey(p), envKey(name))
}

func matchAny(patterns []string, name string) (string, bool) {
	for _, p := range patterns {
		if matchName(p, name) {
			return p, true
		}
	}
	return "", false
}
