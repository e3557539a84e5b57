//go:build azure

package keyring

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// AzureMaxValue is the largest value the azure backend takes: Key Vault
// holds at most 25 KiB of text and kage stores the value's base64, four
// characters for every three bytes.
const AzureMaxValue = 25 * 1024 / 4 * 3

// azurePrefix starts the name of every secret kage keeps in Key Vault.
const azurePrefix = "kage-"

// azureMaxName is the longest secret name Key Vault takes.
const azureMaxName = 127

// azureContentType marks values kage stored as base64, so that values
// made by hand (plain text) are still read as they are.
const azureContentType = "application/x-kage-base64"

// Tags kage puts on each secret. The times are kage's own because Key
// Vault's attributes have whole seconds only and every Set makes a new
// version whose creation time is the secret's update time.
const (
	azureTagScope   = "kage-scope"
	azureTagName    = "kage-name"
	azureTagCreated = "kage-created"
	azureTagUpdated = "kage-updated"
)

// azureParallel bounds GetMany's concurrent reads: Key Vault has no batch
// read, and its throttling limit is per vault.
const azureParallel = 8

// azureEncoding is lower-case base32 without padding: only [a-z2-7], which
// Key Vault names allow, and unlike base64 it survives Key Vault's
// case-insensitive names.
var azureEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// AzureBuilt says whether this kage has the azure backend compiled in.
const AzureBuilt = true

// Azure keeps each kage secret as one Azure Key Vault secret named
// "kage-" + base32(scope NUL name) (see azureSecretName), tagged with the
// real scope and name. Values are stored as base64 text with content
// type application/x-kage-base64 so that every byte survives. It needs no
// local index: List asks the vault.
type Azure struct {
	client *azsecrets.Client
	cfg    AzureConfig
}

// NewAzure makes the client with DefaultAzureCredential (environment,
// workload identity, managed identity, az and azd logins). It contacts no
// service: credentials are looked up on the first call.
func NewAzure(ctx context.Context, cfg AzureConfig) (*Azure, error) {
	if cfg.VaultURL == "" {
		return nil, &UnavailableError{
			Reason: "no Key Vault URL for the azure backend",
			Fix:    "set vault_url = \"https://NAME.vault.azure.net/\" under [secrets] in config.toml",
		}
	}
	opts := &azsecrets.ClientOptions{}
	if cfg.HTTPClient != nil {
		opts.Transport = cfg.HTTPClient
	}
	if cfg.MaxRetries != 0 {
		opts.Retry = policy.RetryOptions{MaxRetries: int32(cfg.MaxRetries), RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond}
	}
	var cred azcore.TokenCredential
	if cfg.StaticToken != "" {
		cred = staticToken(cfg.StaticToken)
	} else {
		var err error
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: opts.Transport}})
		if err != nil {
			return nil, azureNoCredentials(err)
		}
	}
	client, err := azsecrets.NewClient(cfg.VaultURL, cred, opts)
	if err != nil {
		return nil, &UnavailableError{
			Reason: "bad Key Vault URL " + cfg.VaultURL + ": " + err.Error(),
			Fix:    "set vault_url = \"https://NAME.vault.azure.net/\" under [secrets] in config.toml",
			Err:    err,
		}
	}
	return &Azure{client: client, cfg: cfg}, nil
}

// staticToken is a credential that always gives the same token; for
// tests against a local server only.
type staticToken string

func (s staticToken) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// azureSecretName is the Key Vault name of a kage secret: "kage-" and the
// lower-case, unpadded base32 of scope, a NUL byte and name. NUL appears
// in neither, so the name decodes back to exactly one scope and name.
// The name is too long (over 127 characters) when scope and name together
// exceed 76 bytes; ok is false then.
func azureSecretName(scope, name string) (string, bool) {
	s := azurePrefix + azureEncoding.EncodeToString([]byte(scope+"\x00"+name))
	return s, len(s) <= azureMaxName
}

// azureParseName undoes azureSecretName; ok is false for a name kage did
// not make.
func azureParseName(secret string) (scope, name string, ok bool) {
	rest, found := strings.CutPrefix(strings.ToLower(secret), azurePrefix)
	if !found {
		return "", "", false
	}
	b, err := azureEncoding.DecodeString(rest)
	if err != nil {
		return "", "", false
	}
	scope, name, found = strings.Cut(string(b), "\x00")
	if !found || scope == "" || name == "" {
		return "", "", false
	}
	return scope, name, true
}

// id returns the secret name for scope and name, or the error for one too
// long for Key Vault.
func (a *Azure) id(scope, name string) (string, error) {
	id, ok := azureSecretName(scope, name)
	if !ok {
		return "", &UnavailableError{
			Reason: fmt.Sprintf("the Key Vault name for %q in %s would be %d characters; Key Vault takes at most %d (scope and name together at most 76 bytes)", name, scope, len(id), azureMaxName),
			Fix:    "use a shorter name, or a namespace instead of this deeply nested repository scope",
		}
	}
	return id, nil
}

// MaxValue is Key Vault's limit, the same for every name.
func (a *Azure) MaxValue(scope, name string) int { return AzureMaxValue }

// Set writes a new version of the secret. It reads the current version
// first to carry its kage-created tag over, as Key Vault keeps tags per
// version.
func (a *Azure) Set(ctx context.Context, scope, name string, value []byte) error {
	if len(value) > AzureMaxValue {
		return &TooBigError{Name: name, Size: len(value), Limit: AzureMaxValue, System: "Azure Key Vault"}
	}
	id, err := a.id(scope, name)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	created := now
	cur, err := a.client.GetSecret(ctx, id, "", nil)
	switch {
	case err == nil:
		if c := cur.Tags[azureTagCreated]; c != nil {
			created = *c
		}
	case azureStatus(err) != http.StatusNotFound:
		return a.translate(err, "read", scope, name)
	}
	_, err = a.client.SetSecret(ctx, id, azsecrets.SetSecretParameters{
		Value:       to(base64.StdEncoding.EncodeToString(value)),
		ContentType: to(azureContentType),
		Tags: map[string]*string{
			azureTagScope:   to(scope),
			azureTagName:    to(name),
			azureTagCreated: to(created),
			azureTagUpdated: to(now),
		},
	}, nil)
	return a.translate(err, "write", scope, name)
}

func to(s string) *string { return &s }

// Get reads the latest version.
func (a *Azure) Get(ctx context.Context, scope, name string) ([]byte, error) {
	id, err := a.id(scope, name)
	if err != nil {
		// No such name can exist in the vault.
		return nil, &NotFoundError{Scope: scope, Name: name}
	}
	res, err := a.client.GetSecret(ctx, id, "", nil)
	if err != nil {
		return nil, a.translate(err, "read", scope, name)
	}
	return azureValue(res.Secret)
}

// azureValue decodes a stored value: base64 when kage stored it, the
// text itself when it was made by hand.
func azureValue(s azsecrets.Secret) ([]byte, error) {
	v := ""
	if s.Value != nil {
		v = *s.Value
	}
	if s.ContentType == nil || *s.ContentType != azureContentType {
		return []byte(v), nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, &UnavailableError{
			Reason: "a Key Vault secret marked " + azureContentType + " does not hold base64",
			Fix:    "set it again with kage secret set",
			Err:    err,
		}
	}
	return b, nil
}

// Delete soft-deletes the secret (Key Vault keeps it for its retention
// period), and purges it too when cfg.Purge is set.
func (a *Azure) Delete(ctx context.Context, scope, name string) error {
	if a.cfg.Purge {
		return a.DeleteNow(ctx, scope, name)
	}
	id, err := a.id(scope, name)
	if err != nil {
		return &NotFoundError{Scope: scope, Name: name}
	}
	_, err = a.client.DeleteSecret(ctx, id, nil)
	return a.translate(err, "write", scope, name)
}

// DeleteNow deletes the secret and purges it, so that the name is free at
// once, for kage secret rm --force. It needs the purge permission (Key
// Vault Secrets Officer has it) and a vault without purge protection.
func (a *Azure) DeleteNow(ctx context.Context, scope, name string) error {
	id, err := a.id(scope, name)
	if err != nil {
		return &NotFoundError{Scope: scope, Name: name}
	}
	_, err = a.client.DeleteSecret(ctx, id, nil)
	if err != nil && azureStatus(err) != http.StatusNotFound {
		return a.translate(err, "write", scope, name)
	}
	deleted := err == nil
	// Deletion takes a few seconds in the service; until it is done a
	// purge is refused with 409 Conflict.
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		_, perr := a.client.PurgeDeletedSecret(ctx, id, nil)
		switch {
		case perr == nil:
			return nil
		case azureStatus(perr) == http.StatusNotFound && !deleted:
			return &NotFoundError{Scope: scope, Name: name}
		case azureStatus(perr) != http.StatusConflict && azureStatus(perr) != http.StatusNotFound:
			return a.translate(perr, "purge", scope, name)
		}
		select {
		case <-ctx.Done():
			return a.translate(ctx.Err(), "purge", scope, name)
		case <-time.After(wait):
		}
	}
}

// List pages through the vault's secrets and keeps those kage made: the
// kage-scope and kage-name tags set, and equal to the scope and name the
// secret's name decodes to. Key Vault cannot filter by tag on the server,
// so each call reads one page (up to 25) of the vault's secrets.
func (a *Azure) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	p := a.client.NewListSecretPropertiesPager(nil)
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, a.translate(err, "list", "", "")
		}
		for _, s := range page.Value {
			if s.ID == nil || s.Tags[azureTagScope] == nil || s.Tags[azureTagName] == nil {
				continue
			}
			// The name is authoritative; the tags must agree with it,
			// so that a hand-made secret with copied tags is not
			// listed under a name Get would not find.
			scope, name, ok := azureParseName(s.ID.Name())
			if !ok || scope != *s.Tags[azureTagScope] || name != *s.Tags[azureTagName] {
				continue
			}
			e := Entry{Scope: scope, Name: name}
			if s.Attributes != nil {
				if s.Attributes.Created != nil {
					e.Created = *s.Attributes.Created
				}
				if s.Attributes.Updated != nil {
					e.Updated = *s.Attributes.Updated
				}
			}
			if t, ok := azureTime(s.Tags[azureTagCreated]); ok {
				e.Created = t
			}
			if t, ok := azureTime(s.Tags[azureTagUpdated]); ok {
				e.Updated = t
			}
			if e.Updated.Before(e.Created) {
				e.Updated = e.Created
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(x, y Entry) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Scope, y.Scope)
	})
	return out, nil
}

func azureTime(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	return t, err == nil
}

// GetMany reads refs with one GetSecret each, azureParallel at a time:
// Key Vault has no batch read.
func (a *Azure) GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		got      = map[Ref][]byte{}
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, azureParallel)
	)
	seen := map[Ref]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := a.Get(ctx, r.Scope, r.Name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				got[r] = v
			case errors.Is(err, ErrNotFound):
			case firstErr == nil:
				firstErr = err
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return got, nil
}

// azureStatus is the HTTP status of a Key Vault error, 0 for others.
func azureStatus(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// azureNoCredentials is the error for a DefaultAzureCredential chain that
// found no credential.
func azureNoCredentials(err error) error {
	return &UnavailableError{
		Reason: "no Azure credentials found",
		Fix:    "log in with: az login, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal (managed and workload identities are used where they exist)",
		Err:    err,
	}
}

// translate turns Key Vault and SDK errors into kage's. access is what the
// call does, "read", "list", "write" or "purge", for a forbidden hint.
func (a *Azure) translate(err error, access, scope, name string) error {
	if err == nil {
		return nil
	}
	id, _ := azureSecretName(scope, name)
	vault := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(a.cfg.VaultURL, "https://"), "http://"), "/")
	vaultName, _, _ := strings.Cut(vault, ".")
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		msg := err.Error()
		switch {
		case re.StatusCode == http.StatusNotFound && name != "":
			return &NotFoundError{Scope: scope, Name: name}
		case re.StatusCode == http.StatusConflict && (strings.Contains(msg, "ObjectIsDeletedButRecoverable") || strings.Contains(msg, "deleted but recoverable") || strings.Contains(msg, "being deleted")):
			return &UnavailableError{
				Reason: fmt.Sprintf("secret %q in %s was deleted and Key Vault keeps it, as %s, until it is purged", name, scope, id),
				Fix:    fmt.Sprintf("recover it with: az keyvault secret recover --vault-name %s --name %s (then set it again), or free the name with: az keyvault secret purge --vault-name %s --name %s", vaultName, id, vaultName, id),
				Err:    err,
			}
		case re.StatusCode == http.StatusForbidden:
			role := "Key Vault Secrets User (read) or Key Vault Secrets Officer"
			if access == "write" || access == "purge" {
				role = "Key Vault Secrets Officer"
			}
			return &UnavailableError{
				Reason: fmt.Sprintf("Azure Key Vault denied access (%s): the caller may not %s secrets", re.ErrorCode, access),
				Fix:    fmt.Sprintf("grant the caller the %s role on the vault (az role assignment create --role \"%s\" --assignee YOU --scope VAULT_ID), or the matching access policy on a vault without RBAC", role, strings.Split(role, " (")[0]),
				Err:    err,
			}
		case re.StatusCode == http.StatusUnauthorized:
			return &UnavailableError{
				Reason: "Azure Key Vault rejected the credentials (" + re.ErrorCode + ")",
				Fix:    "log in again (az login) and check that the vault is in your tenant: az account show",
				Err:    err,
			}
		case re.StatusCode == http.StatusTooManyRequests:
			return &UnavailableError{
				Reason: "Azure Key Vault is throttling requests (kage retried with the SDK's backoff)",
				Fix:    "wait a moment and run the command again; the vault's request limit is shared by everyone using it",
				Err:    err,
			}
		}
		return &UnavailableError{
			Reason: fmt.Sprintf("Azure Key Vault refused the request (%d %s)", re.StatusCode, re.ErrorCode),
			Fix:    fmt.Sprintf("check the vault and the secret: az keyvault secret show --vault-name %s --name %s", vaultName, id),
			Err:    err,
		}
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) || strings.Contains(err.Error(), "DefaultAzureCredential") {
		return azureNoCredentials(err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &UnavailableError{Reason: "Azure Key Vault did not answer in time", Fix: "check your network connection and run the command again", Err: err}
	}
	return &UnavailableError{
		Reason: "cannot reach Azure Key Vault: " + err.Error(),
		Fix:    "check your network connection and vault_url under [secrets] in config.toml",
		Err:    err,
	}
}

// AzureConfig is what NewAzure needs. Defined in azure_stub.go too, so
// that callers compile without the tag.
type AzureConfig struct {
	// VaultURL is the vault's address, https://NAME.vault.azure.net/
	// (config.toml [secrets] vault_url).
	VaultURL string
	// Purge makes Delete purge the secret too, freeing the name at once
	// (kage secret rm --force).
	Purge bool
	// HTTPClient replaces the SDK's transport; for tests against a local
	// server only.
	HTTPClient *http.Client
	// StaticToken, when set, replaces DefaultAzureCredential with this
	// bearer token; for tests against a local server only.
	StaticToken string
	// MaxRetries is how many times the SDK retries a call, with short
	// delays; 0 is the SDK's default (3, with exponential backoff).
	MaxRetries int
}

var _ Store = (*Azure)(nil)
