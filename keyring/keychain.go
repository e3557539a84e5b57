package keyring

import (
	"context"
	"errors"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// Timeout bounds every keychain call: a prompt nobody answers must not hang
// a shell.
const Timeout = 3 * time.Second

// ServicePrefix starts the service name of every kage item, so the items are
// easy to find in Keychain Access, Seahorse, secret-tool or Credential
// Manager.
const ServicePrefix = "kage-"

// Service is the keychain service name for a canonical scope.
func Service(scope string) string { return ServicePrefix + scope }

// goKeyringMu serialises this process's go-keyring calls (see call).
var goKeyringMu sync.Mutex

// Keychain is the Store over the operating system's keychain. Values live in
// the keychain; the index beside it lists them.
type Keychain struct {
	index   *Index
	timeout time.Duration
	now     func() time.Time
	// precheck runs before each call; tests of the in-memory mock clear it.
	precheck func() error
	// early is the connection Prepare started, for the next GetMany.
	early chan prepared
}

// NewKeychain returns the keychain store whose index lives in dataDir.
func NewKeychain(dataDir string) *Keychain {
	return &Keychain{index: OpenIndex(dataDir), timeout: Timeout, now: time.Now, precheck: checkBus}
}

// MaxValue is the largest value Set takes for scope and name here.
func (k *Keychain) MaxValue(scope, name string) int { return MaxValue(scope, name) }

// Index returns the store's index.
func (k *Keychain) Index() *Index { return k.index }

// Set stores value and records it in the index. The new index is written
// before the keychain is touched and put in place after, so a failure on
// either side leaves both as they were.
func (k *Keychain) Set(ctx context.Context, scope, name string, value []byte) error {
	return k.setWith(ctx, scope, name, value, nil)
}

// SetExpiring is Set with exp in place of the secret's expiry; it is kept
// in the index.
func (k *Keychain) SetExpiring(ctx context.Context, scope, name string, value []byte, exp Expiry) error {
	return k.setWith(ctx, scope, name, value, &exp)
}

// setWith is Set, with the expiry exp when it is not nil.
func (k *Keychain) setWith(ctx context.Context, scope, name string, value []byte, exp *Expiry) error {
	if err := checkSize(scope, name, value); err != nil {
		return err
	}
	return k.index.Update(ctx, func(entries []Entry, prepare func([]Entry) (*Pending, error)) error {
		now := k.now().UTC()
		i := find(entries, scope, name)
		isNew := i < 0
		if isNew {
			entries = append(entries, Entry{Scope: scope, Name: name, Created: now, Updated: now})
			i = len(entries) - 1
		} else {
			entries[i].Updated = now
		}
		x := entries[i].Expiry().Renewed(now)
		if exp != nil {
			x = *exp
		}
		entries[i].Expires, entries[i].Every = x.At.UTC(), x.Every
		if x.At.IsZero() {
			entries[i].Expires = time.Time{}
		}
		pending, err := prepare(entries)
		if err != nil {
			return err
		}
		if err := k.set(ctx, scope, name, value); err != nil {
			pending.Abort()
			return err
		}
		if err := pending.Commit(); err != nil {
			if isNew {
				// Take the item back out so keychain and index agree.
				_ = k.delete(ctx, scope, name)
			}
			return err
		}
		return nil
	})
}

// Get reads one value from the keychain. It does not consult the index, so
// items stored by other tools under kage's naming are found too.
func (k *Keychain) Get(ctx context.Context, scope, name string) ([]byte, error) {
	if v, ok, err := k.directGet(ctx, scope, name); ok {
		return v, err
	}
	var v string
	err := k.call(ctx, "get", scope, name, func() error {
		var err error
		v, err = gokeyring.Get(Service(scope), name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// Delete removes the item and its index entry. An index entry whose item is
// already gone is removed too; a name in neither is ErrNotFound. The entry
// leaves the index before the item leaves the keychain, so a kage killed
// in between leaves an item the index lacks — which kage doctor reports —
// and never an entry whose value is gone.
func (k *Keychain) Delete(ctx context.Context, scope, name string) error {
	return k.index.Update(ctx, func(entries []Entry, prepare func([]Entry) (*Pending, error)) error {
		del := func() error { return k.delete(ctx, scope, name) }
		i := find(entries, scope, name)
		if i < 0 {
			return del()
		}
		old := append([]Entry(nil), entries...)
		pending, err := prepare(append(entries[:i:i], entries[i+1:]...))
		if err != nil {
			return err
		}
		if err := pending.Commit(); err != nil {
			return err
		}
		if err := del(); err != nil && !errors.Is(err, ErrNotFound) {
			// The item is still there: list it again.
			if back, perr := prepare(old); perr == nil {
				_ = back.Commit()
			}
			return err
		}
		return nil
	})
}

// List returns the index's entries.
func (k *Keychain) List(ctx context.Context) ([]Entry, error) {
	return k.index.Load()
}

// GetMany reads the values of refs. On Linux it reads them all in one
// Secret Service batch (batch_linux.go): go-keyring's seven round trips per
// value would make a resolution of many secrets slow. Elsewhere, and with
// go-keyring's in-memory mock, it reads each ref in turn.
func (k *Keychain) GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error) {
	if out, ok, err := k.getManyBatch(ctx, refs); ok {
		return out, err
	}
	out := make(map[Ref][]byte, len(refs))
	for _, r := range refs {
		v, err := k.Get(ctx, r.Scope, r.Name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[r] = v
	}
	return out, nil
}

// set writes one item, through kage's own Secret Service connection on
// Linux (secretservice_linux.go), through go-keyring elsewhere.
func (k *Keychain) set(ctx context.Context, scope, name string, value []byte) error {
	if ok, err := k.directSet(ctx, scope, name, value); ok {
		return err
	}
	return k.call(ctx, "set", scope, name, func() error {
		return gokeyring.Set(Service(scope), name, string(value))
	})
}

// delete removes one item as set writes it.
func (k *Keychain) delete(ctx context.Context, scope, name string) error {
	if ok, err := k.directDelete(ctx, scope, name); ok {
		return err
	}
	return k.call(ctx, "delete", scope, name, func() error { return gokeyring.Delete(Service(scope), name) })
}

// call runs one keychain operation bounded by the timeout and translates its
// error. On timeout the operation is abandoned, not cancelled: go-keyring
// has no way to cancel, and the process exits soon after.
func (k *Keychain) call(ctx context.Context, op, scope, name string, f func() error) error {
	if k.precheck != nil {
		if err := k.precheck(); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	go func() {
		// One call at a time per process: go-keyring shares one D-Bus
		// connection, and gnome-keyring aborts ("assertion 'client'
		// failed") when one client opens and closes sessions concurrently.
		goKeyringMu.Lock()
		defer goKeyringMu.Unlock()
		done <- f()
	}()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return translate(err, scope, name)
	case <-t.C:
		return timeoutError(op, k.timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
