package keyring

import (
	"fmt"
	"time"
)

// Item is one keychain item under kage's naming, as `kage doctor` sees it:
// its attributes and times, never its value.
type Item struct {
	// Scope is the item's service attribute without ServicePrefix. Another
	// tool may have stored anything there, so callers check it (with
	// scope.FromCanonical) before they trust it.
	Scope string
	// Name is the item's username attribute; "" when it has none.
	Name string
	// Created and Modified are the item's times as the keychain keeps them,
	// to the second; zero when it does not say, and when the store's index
	// lists the item's scope and name: the times only serve to add an item
	// to the index, and reading them would cost more than the rest of the
	// listing (see inventory_linux.go).
	Created  time.Time
	Modified time.Time
	// ID tells apart several items stored under one scope and name (the
	// Secret Service object path); only for messages and sorting.
	ID string
}

// Inventory is every item of the keychain whose service starts with
// ServicePrefix.
type Inventory struct {
	// Provider names the program that answered ("gnome-keyring"); "" when
	// it cannot be told.
	Provider string
	// Collection names the collection searched ("login").
	Collection string
	// Items are sorted by scope, name, then ID.
	Items []Item
}

// NoInventoryError says the keychain of this system cannot be listed, and
// why: the index cannot be checked against it.
type NoInventoryError struct {
	// Reason is a short lower-case explanation.
	Reason string
}

func (e *NoInventoryError) Error() string {
	return fmt.Sprintf("the keychain cannot be listed: %s", e.Reason)
}
