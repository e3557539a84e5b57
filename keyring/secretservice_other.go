//go:build !linux

package keyring

import "context"

// On macOS and Windows go-keyring's calls are the platform's own: there is
// no Secret Service connection of kage's to use instead.

func (k *Keychain) directSet(ctx context.Context, scope, name string, value []byte) (bool, error) {
	return false, nil
}

func (k *Keychain) directGet(ctx context.Context, scope, name string) ([]byte, bool, error) {
	return nil, false, nil
}

func (k *Keychain) directDelete(ctx context.Context, scope, name string) (bool, error) {
	return false, nil
}
