//go:build !azure

package keyring

import (
	"context"
	"errors"
)

// AzureBuilt says whether this kage has the azure backend compiled in.
const AzureBuilt = false

// AzureConfig is what NewAzure needs; see azure.go, built with -tags azure.
// Only the fields kage itself sets are here: the test-only ones (an HTTP
// client among them) would pull net/http into the default binary, which
// costs start-up time at every prompt.
type AzureConfig struct {
	// VaultURL is the vault's address, https://NAME.vault.azure.net/.
	VaultURL string
	// Purge makes Delete purge the secret too.
	Purge bool
}

// Azure is the Azure Key Vault backend; this build has none, so that the
// default binary stays free of the Azure SDK.
type Azure struct{ Store }

// NewAzure fails: this kage was built without the azure tag.
func NewAzure(ctx context.Context, cfg AzureConfig) (*Azure, error) {
	return nil, &UnavailableError{
		Reason: "the azure backend is not built into this kage",
		Fix:    "build kage with it: go build -tags azure ./cmd/kage (or make build-all)",
		Err:    errors.New("built without -tags azure"),
	}
}
