// Package keyring stores kage's secrets. Store is the one interface every
// backend implements; Keychain is the default, the operating system's
// keychain through zalando/go-keyring, with an index file that lists what
// the keychain holds because keychains cannot list their items portably.
package keyring

import (
	"context"
	"time"

	"github.com/kage-cli/kage/internal/when"
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
	// Expires is when the secret is due for rotation; zero for never.
	Expires time.Time `json:"expires,omitzero"`
	// Every is the span Expires was given as ("90d"): setting the
	// secret again moves Expires that far past the new value's time.
	// "" when Expires was given as a date.
	Every string `json:"expires_every,omitempty"`
}

// Expiry is when a secret is due for rotation: At, and Every when it was
// given as a span from the time the value was set. The zero Expiry is
// none.
type Expiry struct {
	At    time.Time
	Every string
}

// Expiry returns e's expiry.
func (e Entry) Expiry() Expiry { return Expiry{At: e.Expires, Every: e.Every} }

// ExpirySetter is a Store that keeps an expiry with each secret: the
// keychain (in its index) and the file store (inside the file). Its Set
// keeps a secret's expiry, moved on by Every from the new value's time.
type ExpirySetter interface {
	// SetExpiring stores value as Set does, with exp as its expiry in
	// place of the one it had (the zero Expiry removes it).
	SetExpiring(ctx context.Context, scope, name string, value []byte, exp Expiry) error
}

// Renewed is the expiry of a secret set again at now: moved on by Every,
// kept as it is when given as a date.
func (x Expiry) Renewed(now time.Time) Expiry {
	if x.Every == "" {
		return x
	}
	d, err := when.Duration(x.Every)
	if err != nil {
		// Not kage's writing: kept as it is rather than guessed at.
		return x
	}
	return Expiry{At: now.Add(d), Every: x.Every}
}

// Ref returns the reference to e's secret.
func (e Entry) Ref() Ref { return Ref{Scope: e.Scope, Name: e.Name} }
