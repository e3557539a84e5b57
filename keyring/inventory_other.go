//go:build !linux

package keyring

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	gokeyring "github.com/zalando/go-keyring"
)

// probeService is a service no kage scope can have (scopes are global,
// namespace:… or repo:…), so the probe below never finds a real item.
const probeService = ServicePrefix + "doctor-probe"

// Inventory cannot list the macOS or Windows keychain: go-keyring has no
// call for it, and the systems' own listing calls (Windows CredEnumerate)
// return the values with the items. It checks that the keychain answers by
// looking up an item that cannot exist, then returns a *NoInventoryError
// that says why it cannot list; any other error is the keychain's.
func (k *Keychain) Inventory(ctx context.Context) (*Inventory, error) {
	err := k.call(ctx, "probe", "", "", func() error {
		_, err := gokeyring.Get(probeService, "kage-doctor")
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return nil, &NoInventoryError{Reason: fmt.Sprintf("go-keyring has no call that lists the items of the %s", systemName(runtime.GOOS))}
}
