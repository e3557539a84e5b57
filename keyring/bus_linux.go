package keyring

import (
	"os"
	"path/filepath"
)

// checkBus refuses to go on when no session bus is configured. Without this
// godbus would run dbus-launch, which starts a new bus and an empty keyring
// daemon that outlive kage: secrets would land somewhere nobody looks.
func checkBus() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if _, err := os.Stat(filepath.Join(rt, "bus")); err == nil {
			return nil
		}
	}
	return &UnavailableError{Reason: "no D-Bus session bus to reach the Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)", Fix: fixNoBus}
}
