// Package subscription keeps named API keys — subscriptions, such as a work
// and a personal account — and the scopes that use them.
//
// A subscription's key is stored as an ordinary secret under the reserved
// scope "subscription:<name>", named by the variable it is exported as, so
// every backend keeps it as it keeps secrets: in the OS keychain it is the
// item with service kage-subscription:<name> and account ANTHROPIC_API_KEY.
// Which scopes use which subscription is not secret and lives beside the
// index, in subscriptions.json.
package subscription

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kage-cli/kage/internal/atomicfile"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
)

// ScopePrefix starts the reserved scope a subscription's key is stored in.
// scope.Parse refuses it, so no secret command can write there.
const ScopePrefix = "subscription:"

// DefaultVar is the variable a subscription's key is exported as unless
// `kage subscription add --env` names another.
const DefaultVar = "ANTHROPIC_API_KEY"

// File is the bindings file's name in kage's data folder.
const File = "subscriptions.json"

const fileVersion = 1

// Scope is the store scope of subscription name's key.
func Scope(name string) string { return ScopePrefix + name }

// FromScope returns the subscription a store scope holds the key of; ok is
// false for every other scope.
func FromScope(s string) (name string, ok bool) {
	name, ok = strings.CutPrefix(s, ScopePrefix)
	if !ok || ValidName(name) != nil {
		return "", false
	}
	return name, true
}

// Normalize lower-cases a subscription name as typed and checks it. Names
// follow the namespace rule, so they are safe in every backend's item
// names and in shell completion.
func Normalize(name string) (string, error) {
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	lower := string(b)
	if scope.ValidNamespace(lower) != nil {
		const rule = "use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64 characters"
		if lower == "" {
			return "", errors.New("subscription name is empty: " + rule)
		}
		return "", fmt.Errorf("subscription name %s is invalid: %s", Quote(name), rule)
	}
	return lower, nil
}

// Quote shows a subscription name as typed in a message, unless it is long
// enough to be an API key pasted in the wrong place (a key is 40 to 110
// characters; a name rarely passes 20): that is described, never shown.
func Quote(name string) string {
	if len(name) > 32 {
		return fmt.Sprintf("(%d characters, not shown)", len(name))
	}
	return fmt.Sprintf("%q", name)
}

// ValidName checks a subscription name in its canonical, lower-case form.
func ValidName(name string) error {
	if _, err := Normalize(name); err != nil {
		return err
	}
	if strings.ToLower(name) != name {
		return fmt.Errorf("subscription name %q is not lower-case", name)
	}
	return nil
}

// Key is what the store records about a subscription's key: never the key.
type Key struct {
	Name    string
	Var     string
	Created time.Time
	Updated time.Time
}

// Ref is the store reference of the key.
func (k Key) Ref() keyring.Ref { return keyring.Ref{Scope: Scope(k.Name), Name: k.Var} }

// Keys picks the subscriptions out of a store's entries. A subscription
// normally has one key; one with keys under several variables (an --env
// change that was interrupted between storing the new key and deleting the
// old one) uses its newest, and the others are returned as stale for
// `kage doctor` to report.
func Keys(entries []keyring.Entry) (keys map[string]Key, stale []keyring.Entry) {
	keys = map[string]Key{}
	var all []keyring.Entry
	for _, e := range entries {
		if _, ok := FromScope(e.Scope); ok {
			all = append(all, e)
		}
	}
	// Newest first, so the first key seen of each subscription is used.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Updated.After(all[j].Updated) })
	for _, e := range all {
		name, _ := FromScope(e.Scope)
		if _, seen := keys[name]; seen {
			stale = append(stale, e)
			continue
		}
		keys[name] = Key{Name: name, Var: e.Name, Created: e.Created, Updated: e.Updated}
	}
	return keys, stale
}

// Binding says that a scope uses a subscription: the subscription's key is
// exported, as its variable, at that scope's place in the chain.
type Binding struct {
	// Scope is canonical: global, namespace:<name> or repo:<path>.
	Scope        string    `json:"scope"`
	Subscription string    `json:"subscription"`
	Bound        time.Time `json:"bound"`
}

// Bindings is the bindings file of one data folder.
type Bindings struct {
	dir string
}

// FileError reports a bindings file kage cannot use; kage never overwrites
// such a file.
type FileError struct {
	Path string
	Msg  string
}

func (e *FileError) Error() string { return fmt.Sprintf("subscription bindings %s %s", e.Path, e.Msg) }

// Hint tells the user how to recover.
func (e *FileError) Hint() string {
	return "it holds only which scopes use which subscription, never a key: fix it, or move it aside and bind again with kage subscription use"
}

type file struct {
	Version  int       `json:"version"`
	Bindings []Binding `json:"bindings"`
}

// Open returns the bindings kept in dir; nothing is read or created yet.
func Open(dir string) *Bindings { return &Bindings{dir: dir} }

// Path is the bindings file's path.
func (b *Bindings) Path() string { return filepath.Join(b.dir, File) }

// Load reads the bindings, sorted by scope then subscription. A missing
// file holds none. Readers take no lock: writers replace the file
// atomically.
func (b *Bindings) Load() ([]Binding, error) {
	var f file
	exists, err := atomicfile.ReadJSON(b.Path(), &f)
	if err != nil {
		return nil, &FileError{Path: b.Path(), Msg: err.Error()}
	}
	if !exists {
		return nil, nil
	}
	if f.Version != fileVersion {
		return nil, &FileError{Path: b.Path(), Msg: fmt.Sprintf("has version %d; this kage reads version %d", f.Version, fileVersion)}
	}
	seen := map[Binding]bool{}
	for _, bd := range f.Bindings {
		if _, err := scope.FromCanonical(bd.Scope); err != nil {
			return nil, &FileError{Path: b.Path(), Msg: "is corrupt: " + err.Error()}
		}
		if err := ValidName(bd.Subscription); err != nil {
			return nil, &FileError{Path: b.Path(), Msg: "is corrupt: " + err.Error()}
		}
		k := Binding{Scope: bd.Scope, Subscription: bd.Subscription}
		if seen[k] {
			return nil, &FileError{Path: b.Path(), Msg: fmt.Sprintf("is corrupt: %s is bound to %s twice", bd.Scope, bd.Subscription)}
		}
		seen[k] = true
	}
	sortBindings(f.Bindings)
	return f.Bindings, nil
}

// Update changes the bindings under the file's lock: fn gets the current
// ones and returns the new ones, or an error to change nothing.
func (b *Bindings) Update(ctx context.Context, fn func([]Binding) ([]Binding, error)) error {
	unlock, err := atomicfile.Lock(ctx, filepath.Join(b.dir, "subscriptions.lock"), "the subscription bindings "+b.Path())
	if err != nil {
		return err
	}
	defer unlock()
	atomicfile.RemoveTemps(b.Path())
	cur, err := b.Load()
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil {
		return err
	}
	sortBindings(next)
	if next == nil {
		next = []Binding{}
	}
	data, err := json.MarshalIndent(file{Version: fileVersion, Bindings: next}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(b.Path(), "the subscription bindings "+b.Path(), append(data, '\n'))
}

// At returns the subscriptions bound to canonical scope s.
func At(bindings []Binding, s string) []string {
	var out []string
	for _, b := range bindings {
		if b.Scope == s {
			out = append(out, b.Subscription)
		}
	}
	return out
}

// Of returns the canonical scopes subscription name is bound to.
func Of(bindings []Binding, name string) []string {
	var out []string
	for _, b := range bindings {
		if b.Subscription == name {
			out = append(out, b.Scope)
		}
	}
	return out
}

func sortBindings(bs []Binding) {
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].Scope != bs[j].Scope {
			return bs[i].Scope < bs[j].Scope
		}
		return bs[i].Subscription < bs[j].Subscription
	})
}
