package keyring

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

// ErrNotFound is matched (errors.Is) by every error for a secret that is not
// stored.
var ErrNotFound = errors.New("secret not found")

// NotFoundError says which secret was missing.
type NotFoundError struct {
	Scope string
	Name  string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("secret %q not found in %s", e.Name, e.Scope)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// TooBigError refuses a value the keychain of this system cannot hold; it is
// returned before anything is written.
type TooBigError struct {
	Name  string
	Size  int
	Limit int
	// System names the store: "macOS keychain", "file store", …
	System string
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("value of %q is %d bytes; the %s holds at most %d bytes for it", e.Name, e.Size, e.System, e.Limit)
}

// UnavailableError says the keychain cannot be reached and how to fix it.
type UnavailableError struct {
	// Reason is a short lower-case description.
	Reason string
	// Fix tells the user what to do next.
	Fix string
	// Err is the underlying error, for errors.Is/As; not shown to users.
	Err error
}

func (e *UnavailableError) Error() string { return e.Reason }

// Hint returns the fix, shown on its own line.
func (e *UnavailableError) Hint() string { return e.Fix }

func (e *UnavailableError) Unwrap() error { return e.Err }

// ErrTimeout is matched by errors of a keychain call that did not answer in
// time.
var ErrTimeout = errors.New("keychain timeout")

func timeoutError(op string, d time.Duration) error {
	return &UnavailableError{
		Reason: fmt.Sprintf("the keychain did not answer within %s (%s)", d, op),
		Fix:    "it may be waiting for an unlock prompt: unlock your login keyring and try again",
		Err:    ErrTimeout,
	}
}

// Hints for errors that say the Secret Service cannot be reached.
const (
	fixNoBus     = "start a D-Bus session and a Secret Service: log in to a desktop, or on a headless machine: sudo apt install dbus-x11 gnome-keyring, then: eval \"$(dbus-launch --sh-syntax)\"; eval \"$(printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --unlock --components=secrets)\"; or, where no keychain runs, keep secrets in an encrypted file: kage init --backend file"
	fixNoSS      = "install and start a Secret Service: sudo apt install gnome-keyring, then: eval \"$(printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --unlock --components=secrets)\"; or, where no keychain runs, keep secrets in an encrypted file: kage init --backend file"
	fixGone      = "run the command again: a desktop session starts the Secret Service again on demand; elsewhere start it: eval \"$(printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --replace --unlock --components=secrets)\""
	fixNoKeyring = "create the login keyring: on a headless machine: printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --replace --unlock --components=secrets; on a desktop: Seahorse, File → New → Password Keyring, then Set as Default"
	fixLock      = "unlock the login keyring (Seahorse, or on a headless machine: printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --replace --unlock --components=secrets)"
)

// errNoKeyring is a Secret Service with no collection to keep items in:
// gnome-keyring started on demand before any keyring was created. Its
// default alias then asks for a prompt that a headless machine cannot
// show, which would otherwise read as "locked".
var errNoKeyring = &UnavailableError{Reason: "the Secret Service has no keyring yet (neither a login nor a default collection)", Fix: fixNoKeyring}

// translate turns go-keyring and D-Bus errors into kage's own.
func translate(err error, scope, name string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gokeyring.ErrNotFound) {
		return &NotFoundError{Scope: scope, Name: name}
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
			return &UnavailableError{Reason: "no Secret Service is running on the D-Bus session bus", Fix: fixNoSS, Err: err}
		case "org.freedesktop.Secret.Error.IsLocked":
			return &UnavailableError{Reason: "the keychain collection is locked", Fix: fixLock, Err: err}
		case "org.freedesktop.DBus.Error.NoReply":
			// The bus says so when the Secret Service leaves it (a crash, a
			// kill) with the call unanswered; its own 25 s reply timeout,
			// the other cause, is beyond kage's bound.
			return &UnavailableError{Reason: "the Secret Service quit without answering", Fix: fixGone, Err: err}
		}
		return &UnavailableError{Reason: "the Secret Service refused the request: " + de.Name, Fix: fixNoSS, Err: err}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to unlock"), strings.Contains(msg, "prompt"):
		return &UnavailableError{Reason: "the keychain collection is locked", Fix: fixLock, Err: err}
	case strings.Contains(msg, "DBUS_SESSION_BUS_ADDRESS"),
		strings.Contains(msg, "dial unix"),
		strings.Contains(msg, "connection refused"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "unable to autolaunch"),
		strings.Contains(msg, "dbus"):
		return &UnavailableError{Reason: "no D-Bus session bus to reach the Secret Service", Fix: fixNoBus, Err: err}
	}
	return &UnavailableError{Reason: "the keychain failed: " + msg, Fix: "run the command again; if it keeps failing, check that your keychain works (secret-tool, Seahorse or Keychain Access)", Err: err}
}
