package envname

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// ForcedFile is the file in kage's data folder that records the refused
// names stored with --force. A refused name found in a store is exported
// only when this file records it for its scope: a name that came in some
// other way (a keychain item planted with secret-tool, a store written by
// another program) is skipped. It is kept beside the index, not in the
// store, so it works the same for every backend.
const ForcedFile = "forced.json"

const forcedVersion = 1

// Forced is the record of names stored with --force in one data folder.
type Forced struct {
	dir string
}

// Pair is one name stored with --force, in one canonical scope.
type Pair struct {
	Scope  string    `json:"scope"`
	Name   string    `json:"name"`
	Forced time.Time `json:"forced"`
}

// Accepted is what the record holds: the pairs to export despite the
// policy.
type Accepted []Pair

// Allows reports whether kage exports name from the canonical scope: a
// valid name the policy does not refuse, or one it refuses that can be
// forced and was stored with --force there. This is the rule at export;
// Check and Refused are the rule at the doors.
func (a Accepted) Allows(scope, name string) bool {
	if !Valid(name) {
		return false
	}
	r, refused := Refused(name)
	return !refused || r.Forceable() && a.Has(scope, name)
}

// Has reports whether name was stored with --force in the canonical scope.
func (a Accepted) Has(scope, name string) bool {
	for _, p := range a {
		if p.Name == name && p.Scope == scope {
			return true
		}
	}
	return false
}

type forcedFile struct {
	Version int    `json:"version"`
	Names   []Pair `json:"names"`
}

// ForcedError reports a record kage cannot use; kage never overwrites it.
type ForcedError struct {
	Path string
	Msg  string
}

func (e *ForcedError) Error() string {
	return fmt.Sprintf("the record of forced names %s %s", e.Path, e.Msg)
}

// Hint tells the user how to recover.
func (e *ForcedError) Hint() string {
	return "it lists only the names stored with --force, never a value: fix it, or move it aside and store those names again with --force"
}

// OpenForced returns the record kept in dir; nothing is read or created yet.
func OpenForced(dir string) *Forced { return &Forced{dir: dir} }

// Path is the record's path.
func (f *Forced) Path() string { return filepath.Join(f.dir, ForcedFile) }

// Load reads the record. A missing file records nothing, and costs one
// Lstat: the common case, on the prompt hook's path.
func (f *Forced) Load() (Accepted, error) {
	var ff forcedFile
	exists, err := atomicfile.ReadJSON(f.Path(), &ff)
	if err != nil {
		return nil, &ForcedError{Path: f.Path(), Msg: err.Error()}
	}
	if !exists {
		return nil, nil
	}
	if ff.Version != forcedVersion {
		return nil, &ForcedError{Path: f.Path(), Msg: fmt.Sprintf("has version %d; this kage reads version %d", ff.Version, forcedVersion)}
	}
	for _, p := range ff.Names {
		if !Valid(p.Name) || p.Scope == "" || strings.ContainsFunc(p.Scope, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return nil, &ForcedError{Path: f.Path(), Msg: fmt.Sprintf("is corrupt: %q in %q is not a name in a scope", p.Name, p.Scope)}
		}
	}
	return ff.Names, nil
}

// Add records names as stored with --force in the canonical scope, at
// now. Names the policy does not refuse need no record, and those --force
// cannot store get none: both are left out.
func (f *Forced) Add(ctx context.Context, scope string, names []string, now time.Time) error {
	return f.update(ctx, func(cur Accepted) (Accepted, bool) {
		changed := false
		for _, n := range names {
			if r, refused := Refused(n); !refused || !r.Forceable() || cur.Has(scope, n) {
				continue
			}
			cur = append(cur, Pair{Scope: scope, Name: n, Forced: now.UTC()})
			changed = true
		}
		return cur, changed
	})
}

// Remove forgets names in the canonical scope. It writes nothing, and
// creates no file, when none of them is recorded.
func (f *Forced) Remove(ctx context.Context, scope string, names []string) error {
	cur, err := f.Load()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(names, func(n string) bool { return cur.Has(scope, n) }) {
		return nil
	}
	return f.update(ctx, func(cur Accepted) (Accepted, bool) {
		out := slices.DeleteFunc(cur, func(p Pair) bool { return p.Scope == scope && slices.Contains(names, p.Name) })
		return out, true
	})
}

// update changes the record under its lock, from read to rename, so that
// concurrent kage commands lose nothing; fn returns false to write nothing.
func (f *Forced) update(ctx context.Context, fn func(Accepted) (Accepted, bool)) error {
	what := "the record of forced names " + f.Path()
	unlock, err := atomicfile.Lock(ctx, filepath.Join(f.dir, "forced.lock"), what)
	if err != nil {
		return err
	}
	defer unlock()
	atomicfile.RemoveTemps(f.Path())
	cur, err := f.Load()
	if err != nil {
		return err
	}
	next, changed := fn(slices.Clone(cur))
	if !changed {
		return nil
	}
	slices.SortFunc(next, func(a, b Pair) int {
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if next == nil {
		next = Accepted{}
	}
	data, err := json.MarshalIndent(forcedFile{Version: forcedVersion, Names: next}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(f.Path(), what, append(data, '\n'))
}
