package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// IndexFile is the index's file name in kage's data folder.
const IndexFile = "index.json"

// indexVersion is written into the file so a later format can be told
// apart. Version 2 adds the entries' expiry; it is written only when an
// entry has one, so that an older kage still reads an index without.
const (
	indexVersion        = 1
	indexVersionExpires = 2
)

// Index lists the secrets a keychain holds: scope, name, created and
// updated time. It never holds a value, a hash or a length.
type Index struct {
	dir string
}

// IndexError reports an index file kage cannot use; kage never overwrites
// such a file.
type IndexError struct {
	Path string
	Msg  string
}

func (e *IndexError) Error() string { return fmt.Sprintf("index %s %s", e.Path, e.Msg) }

// Hint tells the user how to recover.
func (e *IndexError) Hint() string {
	return "kage never overwrites it; kage doctor --fix moves it aside and rebuilds it from the keychain, where the values are untouched"
}

type indexFile struct {
	Version int     `json:"version"`
	Secrets []Entry `json:"secrets"`
}

// OpenIndex returns the index kept in dir; nothing is read or created yet.
func OpenIndex(dir string) *Index { return &Index{dir: dir} }

// Path is the index file's path.
func (ix *Index) Path() string { return filepath.Join(ix.dir, IndexFile) }

// Load reads the entries, sorted by name then scope. A missing file is an
// empty index. Readers take no lock: writers replace the file atomically.
func (ix *Index) Load() ([]Entry, error) {
	data, exists, err := atomicfile.Read(ix.Path())
	if err != nil {
		return nil, &IndexError{Path: ix.Path(), Msg: err.Error()}
	}
	if !exists {
		return nil, nil
	}
	f, ok := decodeIndex(data)
	if !ok {
		// Not as kage writes it: the strict decoder decides, and says
		// what is wrong.
		if err := atomicfile.DecodeJSON(data, &f); err != nil {
			return nil, &IndexError{Path: ix.Path(), Msg: err.Error()}
		}
	}
	if f.Version != indexVersion && f.Version != indexVersionExpires {
		return nil, &IndexError{Path: ix.Path(), Msg: fmt.Sprintf("has version %d; this kage reads versions %d and %d", f.Version, indexVersion, indexVersionExpires)}
	}
	for _, e := range f.Secrets {
		if e.Scope == "" || e.Name == "" {
			return nil, &IndexError{Path: ix.Path(), Msg: "is corrupt: an entry lacks its scope or name"}
		}
	}
	if !sorted(f.Secrets) {
		sortEntries(f.Secrets)
	}
	return f.Secrets, nil
}

// Pending is a new index written to a temporary file but not yet in place.
// Preparing it before the keychain is touched means a full disk or a
// read-only folder fails the command before anything changed.
type Pending struct {
	tmp    string
	target string
}

// Commit puts the new index in place atomically.
func (p *Pending) Commit() error {
	if err := os.Rename(p.tmp, p.target); err != nil {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("replace index %s: %s", p.target, pathErr(err))
	}
	syncDir(filepath.Dir(p.target))
	return nil
}

// Abort discards the new index.
func (p *Pending) Abort() { _ = os.Remove(p.tmp) }

// Update runs fn under the index lock. fn receives the current entries and
// prepare, which writes a new index to a temporary file and returns it for
// fn to commit once the keychain has been changed. Holding the lock across
// the keychain call is what keeps concurrent writers from losing entries.
func (ix *Index) Update(ctx context.Context, fn func(entries []Entry, prepare func([]Entry) (*Pending, error)) error) error {
	unlock, err := ix.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()

	entries, err := ix.Load()
	if err != nil {
		return err
	}
	return fn(entries, ix.prepare)
}

// Repair replaces the index under its lock with the entries fn returns;
// fn gets the current entries, or none and the error that makes the file
// unusable, and returns an error to change nothing. An unusable file is
// moved aside, never overwritten: to index.json.corrupt-<UTC time>, mode
// 0600, whose path Repair returns. `kage doctor --fix` lists the keychain
// inside fn, so that no write can come between the listing and the new
// index.
func (ix *Index) Repair(ctx context.Context, fn func(entries []Entry, loadErr error) ([]Entry, error)) (aside string, err error) {
	unlock, err := ix.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()

	entries, loadErr := ix.Load()
	entries, err = fn(entries, loadErr)
	if err != nil {
		return "", err
	}
	pending, err := ix.prepare(entries)
	if err != nil {
		return "", err
	}
	if loadErr != nil {
		base := ix.Path() + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
		aside = base
		for n := 2; ; n++ {
			if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
				break
			}
			aside = fmt.Sprintf("%s-%d", base, n)
		}
		switch err := os.Rename(ix.Path(), aside); {
		case errors.Is(err, os.ErrNotExist):
			aside = ""
		case err != nil:
			pending.Abort()
			return "", fmt.Errorf("move the unusable index aside: %s", pathErr(err))
		default:
			// It lists names, as the index does: keep it as private.
			_ = os.Chmod(aside, 0o600)
		}
	}
	return aside, pending.Commit()
}

// lock takes the index lock, creating the data folder if needed, and
// removes the temporary files of writers killed before their rename
// (removeTemps).
func (ix *Index) lock(ctx context.Context) (unlock func(), err error) {
	unlock, err = lockFile(ctx, filepath.Join(ix.dir, "index.lock"), "the index "+ix.Path())
	if err != nil {
		return nil, err
	}
	removeTemps(ix.Path())
	return unlock, nil
}

func (ix *Index) prepare(entries []Entry) (*Pending, error) {
	sortEntries(entries)
	if entries == nil {
		entries = []Entry{}
	}
	version := indexVersion
	for _, e := range entries {
		if !e.Expires.IsZero() {
			version = indexVersionExpires
			break
		}
	}
	data, err := json.MarshalIndent(indexFile{Version: version, Secrets: entries}, "", "  ")
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	tmp, err := writeTemp(ix.Path(), "index "+ix.Path(), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Pending{tmp: tmp, target: ix.Path()}, nil
}

// sortEntries orders by name, then scope, so output is the same every run.
func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Name != es[j].Name {
			return es[i].Name < es[j].Name
		}
		return es[i].Scope < es[j].Scope
	})
}

// sorted tells entries sortEntries would not reorder; kage writes them
// sorted, and checking costs a fraction of sorting.
func sorted(es []Entry) bool {
	for i := 1; i < len(es); i++ {
		if a, b := &es[i-1], &es[i]; a.Name > b.Name || a.Name == b.Name && a.Scope > b.Scope {
			return false
		}
	}
	return true
}

// find returns the position of scope/name in es, or -1.
func find(es []Entry, scope, name string) int {
	for i, e := range es {
		if e.Scope == scope && e.Name == name {
			return i
		}
	}
	return -1
}
