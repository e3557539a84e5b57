// Package keyring stores kage's secrets. Store is the one interface every
// backend implements; Keychain is the default, the operating system's
// keychain through zalando/go-keyring, with an index file that lists what
// the keychain holds because keychains cannot list their items portably.
package keyring

import (
	"context"
	"time"
)

// Store keeps secret values by scope and name. Scopes are canonical scope
// strings ("global", "namespace:backend", "repo:/abs/path"); the store does
// not interpret them beyond naming items.
type Store interface {
	// Set stores value under scope and name, replacing any value there.
	Set(ctx context.Context, scope, name string, value []byte) error
	// Get returns the value, or an error matching ErrNotFound.
	Get(ctx context.Context, scope, name string) ([]byte, error)
	// Delete removes the value, or returns an error matching ErrNotFound.
	Delete(ctx context.Context, scope, name string) error
	// List returns every secret's metadata, sorted by name then scope;
	// never a value.
	List(ctx context.Context) ([]Entry, error)
	// MaxValue is the largest value Set takes for scope and name: Set
	// refuses larger ones with a *TooBigError before writing anything.
	MaxValue(scope, name string) int
	// GetMany reads several values for one resolution. Refs that are not
	// stored are absent from the result; any other failure fails the call.
	// The map is new: the caller may change it.
	GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error)
}

// Ref names one stored secret.
type Ref struct {
	Scope string
	Name  string
}

// Entry is what kage records about a secret: never its value, a hash of it
// or its length.
type Entry struct {
	Scope   string    `json:"scope"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Ref returns the reference to e's secret.
func (e Entry) Ref() Ref { return Ref{Scope: e.Scope, Name: e.Name} }
