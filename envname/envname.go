// Package envname is kage's name policy: which variable names kage will
// store and export. A name must be a shell variable name, and must not be
// one that changes how a shell or the programs started from it run
// (PATH, LD_PRELOAD, GIT_CONFIG_COUNT, PS0, fish_user_paths, …), nor one a
// shell cannot assign (UID, zsh's status, nushell's PWD): a secret under
// such a name would hand whoever wrote it — a .env file from a repository,
// a planted keychain item — control of the shell, or make the prompt
// hook's load fail half-way.
//
// Names are compared without regard to case: Windows and PowerShell treat
// environment names so (Path is PATH there), and the upper-case forms of
// the lower-case specials of zsh and fish (STATUS, OPTIONS, VERSION) are
// no names anyone keeps a credential under. A name listed in its own case
// matches that entry first: zsh's array path cannot be forced, PATH can.
//
// --force stores a refused name, recorded as such (Forced), unless it
// cannot be forced (Rule.Forceable): a shell's own and kage's own names.
//
// The tables are plain array literals: nothing is built when the package is
// loaded, which matters for the prompt hook that starts kage at every
// prompt.
package envname

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxLen keeps names well inside every keychain's account field.
const MaxLen = 128

// SyntaxHint says what a valid name looks like, for a hint line.
const SyntaxHint = "names start with a letter or _, then letters, digits or _ (e.g. API_KEY), at most 128 characters"

// SyntaxError is a name that cannot be an environment variable. Its message
// never shows a long name: from a .env file, a long run of letters before
// "=" may be a piece of a secret.
type SyntaxError struct {
	Name string
}

func (e *SyntaxError) Error() string {
	switch {
	case len(e.Name) > MaxLen:
		return fmt.Sprintf("invalid secret name: it is %d characters long", len(e.Name))
	}
	return "invalid secret name " + quoted(e.Name)
}

// quoted shows a name that was refused: quoted, its control characters
// escaped, or only its length when it is long (it may be a value pasted
// in the wrong place).
func quoted(name string) string {
	if len(name) > 32 {
		return fmt.Sprintf("(%d characters, not shown)", len(name))
	}
	return strconv.Quote(name)
}

// Check reports a *SyntaxError unless name matches [A-Za-z_][A-Za-z0-9_]*
// and is at most MaxLen bytes long. It says nothing about the policy:
// see Refused.
func Check(name string) error {
	if !Valid(name) {
		return &SyntaxError{Name: name}
	}
	return nil
}

// Valid reports whether Check accepts name.
func Valid(name string) bool {
	if name == "" || len(name) > MaxLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Rule is one entry of the policy: a name, or a family of names, and why
// kage refuses it.
type Rule struct {
	// Pattern is the name as people write it ("PATH", "PSModulePath"), or
	// a family with * for any run of characters ("LD_*",
	// "CARGO_REGISTRIES_*_INDEX").
	Pattern  string
	Category Category
}

// Family reports whether the rule covers a family of names rather than one.
func (r Rule) Family() bool { return strings.Contains(r.Pattern, "*") }

// Why explains, for an error or warning about name, why kage refuses it:
// "it loads other code into every program (loaders and libc)", or "like
// every LD_* name, it …".
func (r Rule) Why() string {
	if r.Family() {
		return fmt.Sprintf("like every %s name, it %s (%s)", r.Pattern, r.Category.Reason(), r.Category)
	}
	return fmt.Sprintf("it %s (%s)", r.Category.Reason(), r.Category)
}

// Forceable reports whether --force may store a name the rule refuses.
// Names that belong to a shell (fish's, zsh's specials, nushell's, the
// read-only ones) or to kage cannot be forced: a shell would fail to load
// them, stopping the prompt hook's load half-way, or they would break
// kage's own hook. The others change how programs run but load fine, and
// someone may really mean to keep one (an EDITOR, an http_proxy with a
// password in it).
func (r Rule) Forceable() bool {
	switch r.Category {
	case Fish, Zsh, Nushell, ReadOnly, Kage:
		return false
	}
	return true
}

// Refused reports whether kage refuses to store and export name, and the
// rule that refuses it. It expects a name Check accepts; others are not
// refused by the policy (Check already refuses them). A name listed in its
// own case (zsh's path) takes that entry's rule; otherwise names match
// without regard to case.
func Refused(name string) (Rule, bool) {
	if name == "" {
		return Rule{}, false
	}
	if i, ok := exactIndex(name); ok {
		return Rule{Pattern: exact[i].name, Category: exact[i].cat}, true
	}
	for i := range families {
		f := &families[i]
		if !mayStart(f.prefix, name[0]) {
			continue
		}
		if len(name) >= len(f.prefix)+len(f.suffix) && hasFold(name, f.prefix, f.suffix) {
			return Rule{Pattern: f.pattern(), Category: f.cat}, true
		}
	}
	return Rule{}, false
}

// mayStart reports whether a name starting with b may have prefix: a
// cheap test before hasFold's. A byte outside ASCII may fold onto a letter
// (the Kelvin sign onto k), so it may start any prefix.
func mayStart(prefix string, b byte) bool {
	return prefix == "" || b >= 0x80 || prefix[0] >= 0x80 || prefix[0]|0x20 == b|0x20
}

// exactIndex finds name among the exact names: in its own case first, then
// without regard to case, the first entry in table order either way.
func exactIndex(name string) (int, bool) {
	if !isASCII(name) {
		// strings.EqualFold folds beyond ASCII (the Kelvin sign is a K):
		// the rare name outside it is compared as the table was always
		// compared.
		for i, e := range exact {
			if e.name == name {
				return i, true
			}
		}
		for i, e := range exact {
			if strings.EqualFold(e.name, name) {
				return i, true
			}
		}
		return 0, false
	}
	if exactAsked.Add(1) <= scannedLookups {
		return exactScan(name)
	}
	return exactMapped(name)
}

// scannedLookups is how many names exactIndex looks up by scanning the
// table before it indexes it. Building the index costs as much as about
// 200 scans (0.45 ms, most of the policy's cost in a `kage env` of ten
// names); a resolution of 1,000 names would scan the table 1,000 times.
const scannedLookups = 64

var exactAsked atomic.Int32

// exactScan is exactIndex for an ASCII name by scanning the table.
func exactScan(name string) (int, bool) {
	for i, e := range exact {
		if e.name == name {
			return i, true
		}
	}
	for i, e := range exact {
		if len(e.name) == len(name) && equalFoldASCII(e.name, name) {
			return i, true
		}
	}
	return 0, false
}

// exactMapped is exactIndex for an ASCII name by the index.
func exactMapped(name string) (int, bool) {
	m := exactMaps()
	if i, ok := m.cased[name]; ok {
		return i, true
	}
	i, ok := m.folded[upperASCII(name)]
	return i, ok
}

// equalFoldASCII reports whether two ASCII strings of the same length are
// equal without regard to case.
func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// exactMaps indexes the exact names once exactIndex has scanned the table
// scannedLookups times: the prompt hook's fast path never asks, and a
// resolution of 1,000 names asked the whole table 1,000 times.
var exactMaps = sync.OnceValue(func() (m struct{ cased, folded map[string]int }) {
	m.cased = make(map[string]int, len(exact))
	m.folded = make(map[string]int, len(exact))
	for i, e := range exact {
		if _, ok := m.cased[e.name]; !ok {
			m.cased[e.name] = i
		}
		if k := upperASCII(e.name); !hasKey(m.folded, k) {
			m.folded[k] = i
		}
	}
	return m
})

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// upperASCII is strings.ToUpper for an ASCII string, without allocating
// when it is upper case already.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// hasFold reports whether name starts with prefix and ends with suffix,
// ignoring case; name is at least as long as both.
func hasFold(name, prefix, suffix string) bool {
	return strings.EqualFold(name[:len(prefix)], prefix) && strings.EqualFold(name[len(name)-len(suffix):], suffix)
}

// Rules returns the whole policy, one rule per name or family, grouped by
// category in the order of Categories: for documentation and tests.
func Rules() []Rule {
	out := make([]Rule, 0, len(exact)+len(families))
	for _, c := range Categories() {
		for _, e := range exact {
			if e.cat == c {
				out = append(out, Rule{Pattern: e.name, Category: c})
			}
		}
		for _, f := range families {
			if f.cat == c {
				out = append(out, Rule{Pattern: f.pattern(), Category: c})
			}
		}
	}
	return out
}

// Category groups the refused names by what they change.
type Category int

// The categories, in the order the README's table lists them.
const (
	Shell Category = iota + 1
	Prompt
	Loader
	Git
	Session
	Proxy
	Runtime
	Packages
	Tools
	Fish
	Zsh
	Nushell
	PowerShell
	ReadOnly
	Kage
	numCategories = iota
)

// Categories lists every category in order.
func Categories() []Category {
	out := make([]Category, 0, numCategories)
	for c := Shell; c <= Kage; c++ {
		out = append(out, c)
	}
	return out
}

var categoryText = [...]struct{ title, reason string }{
	Shell:      {"shell behaviour", "changes how the shell finds and runs commands"},
	Prompt:     {"prompts and history", "runs code at the prompt or moves the shell's history and mail checks"},
	Loader:     {"loaders and libc", "loads other code into every program"},
	Git:        {"git", "changes which repository, configuration or programs git uses"},
	Session:    {"desktop session", "points programs, kage too, at another session bus, display or configuration folder"},
	Proxy:      {"proxies and CA bundles", "sends or trusts network traffic through someone else"},
	Runtime:    {"language runtimes and build tools", "makes an interpreter, compiler or build tool load or run other code"},
	Packages:   {"package managers and cloud tools", "changes where packages, configuration and credentials come from"},
	Tools:      {"editors, pagers and agents", "names a program or agent that other programs start or trust"},
	Fish:       {"fish", "is fish's own variable"},
	Zsh:        {"zsh specials", "is special to zsh: assigning it changes the shell or fails"},
	Nushell:    {"nushell", "is nushell's own: nushell refuses it or treats it as code"},
	PowerShell: {"PowerShell and Windows", "changes how PowerShell or Windows finds and runs code"},
	ReadOnly:   {"read-only shell variables", "is read-only in a shell, so loading it would fail"},
	Kage:       {"kage's own state", "is kage's own configuration or prompt-hook state"},
}

// String is the category's title, as the README's table shows it.
func (c Category) String() string {
	if c < Shell || c > Kage {
		return fmt.Sprintf("Category(%d)", int(c))
	}
	return categoryText[c].title
}

// Reason completes "it …": what a name of the category does.
func (c Category) Reason() string {
	if c < Shell || c > Kage {
		return "is refused"
	}
	return categoryText[c].reason
}
