//go:build !linux

package keyring

import "context"

// getManyBatch reports that there is no batch reader here: macOS and
// Windows keychains are read one value at a time through go-keyring.
func (k *Keychain) getManyBatch(ctx context.Context, refs []Ref) (map[Ref][]byte, bool, error) {
	return nil, false, nil
}

// prepared has nothing to hold where there is no batch reader.
type prepared struct{}

// Prepare does nothing here: go-keyring connects for each call.
func (k *Keychain) Prepare() {}

// Settle does nothing where Prepare does nothing.
func (k *Keychain) Settle() {}
