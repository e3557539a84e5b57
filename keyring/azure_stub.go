//go:build !azure

package keyring

import (
	"context"
	"errors"
	"net/http"
)

// AzureBuilt says whether this kage has the azure backend compiled in.
const AzureBuilt = false

// AzureConfig is what NewAzure needs; see azure.go, built with -tags azure.
type AzureConfig struct {
	// VaultURL is the vault's address, https://NAME.vault.azure.net/.
	VaultURL string
	// Purge makes Delete purge the secret too.
	Purge bool
	// HTTPClient replaces the SDK's transport, for tests.
	HTTPClient *http.Client
	// StaticToken replaces DefaultAzureCredential, for tests.
	StaticToken string
	// MaxRetries is how many times the SDK retries a call.
	MaxRetries int
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
