// Package scope names where a secret lives (global, a namespace or a
// repository) and works out which scopes apply to a directory.
package scope

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"
)

// Kind tells the three sorts of scope apart.
type Kind int

const (
	// Global applies everywhere; it is the zero value so an empty Scope is
	// the safe, widest default rather than an invalid one.
	Global Kind = iota
	// Namespace groups repositories that share secrets, such as "backend".
	Namespace
	// Repo belongs to one repository's main work tree.
	Repo
)

// maxNamespaceLen bounds namespace names so they stay usable as keychain
// service names on every platform.
const maxNamespaceLen = 64

// Scope is one place a secret can live. Only the field that matches Kind is
// set, so two equal scopes compare equal with ==.
type Scope struct {
	Kind Kind
	// Name is the namespace name, already lower-cased and validated.
	Name string
	// Path is the repository root: absolute, cleaned and with symlinks
	// resolved, so one repository reached by different paths is one scope.
	Path string
}

// String returns the canonical form that is stored in the keychain and the
// index: "global", "namespace:backend" or "repo:/home/u/code/api".
func (s Scope) String() string {
	switch s.Kind {
	case Global:
		return "global"
	case Namespace:
		return "namespace:" + s.Name
	case Repo:
		return "repo:" + s.Path
	}
	return fmt.Sprintf("invalid-scope-kind-%d", int(s.Kind))
}

// Display is String for people: a repository under the home folder is
// shown with ~ so messages stay short. Never store it; use String.
func (s Scope) Display() string {
	if s.Kind != Repo {
		return s.String()
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return s.String()
	}
	homes := []string{filepath.Clean(home)}
	// Path has its symlinks resolved, so a symlinked $HOME (macOS /var →
	// /private/var, or a home on another disk) only matches once resolved.
	if real, err := filepath.EvalSymlinks(home); err == nil && real != homes[0] {
		homes = append(homes, real)
	}
	for _, h := range homes {
		if h == filepath.Dir(h) {
			// A home at the file-system root would turn every path into ~.
			continue
		}
		if s.Path == h {
			return "repo:~"
		}
		if rest, ok := strings.CutPrefix(s.Path, h+string(filepath.Separator)); ok {
			return "repo:~" + string(filepath.Separator) + rest
		}
	}
	return s.String()
}

// FromCanonical parses a scope as String wrote it. It never touches the
// file system, because stored scopes may name repositories that were moved
// or deleted and must still be listed and removed; for the same reason it
// accepts only the exact canonical form, so one scope has one spelling.
func FromCanonical(s string) (Scope, error) {
	switch {
	case s == "global":
		return Scope{Kind: Global}, nil
	case strings.HasPrefix(s, "namespace:"):
		name := strings.TrimPrefix(s, "namespace:")
		if err := ValidNamespace(name); err != nil {
			return Scope{}, fmt.Errorf("stored scope %q is not canonical: %w", s, err)
		}
		return Scope{Kind: Namespace, Name: name}, nil
	case strings.HasPrefix(s, "repo:"):
		p := strings.TrimPrefix(s, "repo:")
		if p == "" || !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return Scope{}, fmt.Errorf("stored scope %q is not canonical: a repo path must be absolute and clean", s)
		}
		return Scope{Kind: Repo, Path: p}, nil
	}
	return Scope{}, fmt.Errorf("stored scope %q is not canonical: want global, namespace:<name> or repo:<absolute path>", s)
}

// ValidNamespace checks a namespace name in its canonical, lower-case form.
// Parse, Detect and SetMembership lower-case what users type before
// checking, so call this only on names that should already be canonical.
func ValidNamespace(name string) error {
	return checkNamespace(name, name)
}

// normalizeNamespace lower-cases a name a person typed or configured, then
// validates it; errors quote the original so the user recognises it.
func normalizeNamespace(name string) (string, error) {
	lower := asciiLower(name)
	if err := checkNamespace(name, lower); err != nil {
		return "", err
	}
	return lower, nil
}

// asciiLower lower-cases A-Z only: strings.ToLower would turn the Kelvin
// sign (U+212A) into "k" and let a look-alike name pass as a real one.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func checkNamespace(orig, name string) error {
	const rule = "use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
	if name == "" {
		return errors.New("namespace name is empty: " + rule)
	}
	if len(name) > maxNamespaceLen {
		return fmt.Errorf("namespace name %q is too long: use at most %d characters", orig, maxNamespaceLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return fmt.Errorf("namespace name %q is invalid: %s", orig, rule)
		}
	}
	return nil
}

// Parse reads a scope as a user writes it (--scope). ctx supplies the
// current directory for relative repo paths and the meaning of bare "repo"
// and "namespace"; it may be nil, in which case relative paths use the
// process's working directory and the bare forms are errors.
func Parse(s string, ctx *Context) (Scope, error) {
	switch {
	case s == "global":
		return Scope{Kind: Global}, nil
	case s == "repo":
		if ctx == nil || ctx.Repo == "" {
			return Scope{}, errors.New("not inside a git repository; cd into one or give --scope repo:PATH")
		}
		if !utf8.ValidString(ctx.Repo) {
			return Scope{}, fmt.Errorf("this repository's path %q is not valid UTF-8, %s", ctx.Repo, notUTF8)
		}
		return Scope{Kind: Repo, Path: ctx.Repo}, nil
	case s == "namespace":
		if ctx == nil || ctx.Namespace == "" {
			return Scope{}, errors.New("no namespace applies here; set one for this repository with kage namespace set NAME, pass --namespace NAME, or give --scope namespace:NAME")
		}
		return Scope{Kind: Namespace, Name: ctx.Namespace}, nil
	case strings.HasPrefix(s, "namespace:"):
		name, err := normalizeNamespace(strings.TrimPrefix(s, "namespace:"))
		if err != nil {
			return Scope{}, err
		}
		return Scope{Kind: Namespace, Name: name}, nil
	case strings.HasPrefix(s, "repo:"):
		given := strings.TrimPrefix(s, "repo:")
		if given == "" {
			return Scope{}, errors.New("repo path is empty: give repo:PATH, or repo for the current repository")
		}
		base := ""
		if ctx != nil {
			base = ctx.Dir
		}
		p, err := canonicalRepoPath(given, base)
		if err != nil {
			return Scope{}, err
		}
		return Scope{Kind: Repo, Path: p}, nil
	}
	return Scope{}, fmt.Errorf("invalid scope %q: use global, namespace:<name> or repo:<path>", s)
}

// canonicalRepoPath turns a user's repo path into the one spelling that is
// stored, so "repo:.", "repo:~/api" and "repo:api/src" from different
// places all name the same keychain items.
func canonicalRepoPath(given, base string) (string, error) {
	p, err := ExpandHome(given)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		if base == "" {
			if base, err = os.Getwd(); err != nil {
				return "", fmt.Errorf("repo path %q is relative and the current directory is unknown (%v); give an absolute path", given, err)
			}
		}
		p = filepath.Join(base, p)
	}
	if p, err = realDir(p, fmt.Sprintf("repo path %q", given)); err != nil {
		return "", err
	}
	var in []string
	r, found, _, err := findRepo(p, &in)
	if err != nil {
		return "", fmt.Errorf("repo path %q: %w", given, err)
	}
	if found {
		p = r.root
	} else if filepath.Dir(p) == p {
		// Too many ".." end here without a word from filepath.Clean; a
		// scope for a root that is no repository would never apply.
		return "", fmt.Errorf("repo path %q is the file-system root %s, which is not a git repository", given, p)
	}
	if !utf8.ValidString(p) {
		if p == given {
			return "", fmt.Errorf("repo path %q is not valid UTF-8, %s", given, notUTF8)
		}
		return "", fmt.Errorf("repo path %q is %q, which is not valid UTF-8, %s", given, p, notUTF8)
	}
	return p, nil
}

// notUTF8 explains why a repository path must be UTF-8: the Secret
// Service, the index's JSON and the other backends keep names as UTF-8
// text, and a path that is not would reach the keychain garbled, or fail
// there with an error that blames the connection.
const notUTF8 = "and kage names keychain items in UTF-8; rename the folder to keep secrets for it"

// ExpandHome replaces a leading "~" or "~/" with the home folder, as a shell
// would, for paths from flags and config.toml. "~user" is refused rather
// than silently taken as a relative folder of that name.
func ExpandHome(p string) (string, error) {
	rest, ok := "", false
	switch {
	case p == "~":
		ok = true
	case strings.HasPrefix(p, "~/"):
		rest, ok = p[2:], true
	case runtime.GOOS == "windows" && strings.HasPrefix(p, `~\`):
		rest, ok = p[2:], true
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("cannot expand %q: only ~ and ~/ are supported; write the full path", p)
	}
	if !ok {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", fmt.Errorf("cannot expand %q: the home folder is unknown; set HOME or write the full path", p)
	}
	return filepath.Join(home, rest), nil
}
