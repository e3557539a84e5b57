//go:build azure

package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/keyring/keyringtest"
)

func newTestAzure(t *testing.T, f *azureFake, cfg keyring.AzureConfig) *keyring.Azure {
	t.Helper()
	cfg.VaultURL = azureVaultURL
	cfg.HTTPClient = f.Client
	if cfg.StaticToken == "" {
		cfg.StaticToken = azureToken
	}
	s, err := keyring.NewAzure(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewAzure: %v", err)
	}
	return s
}

func TestAzureConformance(t *testing.T) {
	keyringtest.Conformance(t, func(t *testing.T) keyringtest.Backend {
		f := newAzureFake(t)
		// The suite stores a deleted name again at once, which Key
		// Vault allows only after a purge.
		cfg := keyring.AzureConfig{Purge: true}
		return keyringtest.Backend{
			Store:    newTestAzure(t, f, cfg),
			MaxValue: func(scope, name string) int { return keyring.AzureMaxValue },
			Open:     func() keyring.Store { return newTestAzure(t, f, cfg) },
		}
	})
}

// TestAzureChallenge checks that the SDK went through the bearer challenge
// the fake sends, as against a real vault.
func TestAzureChallenge(t *testing.T) {
	f := newAzureFake(t)
	s := newTestAzure(t, f, keyring.AzureConfig{})
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.challenges == 0 {
		t.Error("the SDK sent its token without a challenge")
	}
}

// TestAzureNaming checks the name encoding: only characters Key Vault
// takes, a round trip for every kind of scope, long names refused, and the
// tags.
func TestAzureNaming(t *testing.T) {
	f := newAzureFake(t)
	s := newTestAzure(t, f, keyring.AzureConfig{})
	ctx := context.Background()
	scopes := append([]string{"repo:/home/dev/ü/a-b_c.d", "odd\x01scope"}, keyringtest.Scopes...)
	for _, sc := range scopes {
		if err := s.Set(ctx, sc, "TOKEN_1", []byte("v "+sc)); err != nil {
			t.Fatalf("Set in %q: %v", sc, err)
		}
		if v, err := s.Get(ctx, sc, "TOKEN_1"); err != nil || string(v) != "v "+sc {
			t.Fatalf("Get in %q = %q, %v", sc, v, err)
		}
	}
	f.mu.Lock()
	valid := regexp.MustCompile(`^kage-[a-z2-7]+$`)
	for n, sec := range f.secrets {
		if !valid.MatchString(sec.name) || len(sec.name) > 127 {
			t.Errorf("secret name %q is not a valid Key Vault name of kage's form", sec.name)
		}
		if sec.tags["kage-name"] != "TOKEN_1" || sec.tags["kage-scope"] == "" {
			t.Errorf("%s tags = %v", n, sec.tags)
		}
		if sec.contentType != "application/x-kage-base64" {
			t.Errorf("%s content type %q", n, sec.contentType)
		}
	}
	if want := "kage-m5wg6ytbnqafit2livhf6mi"; f.secrets[want] == nil {
		t.Errorf("no secret %s for TOKEN_1 in global", want)
	}
	// Not kage's: no tags, other prefix, or tags that do not match the
	// name.
	f.secrets["plain"] = &azSecret{name: "plain", value: "x"}
	f.secrets["kage-zz"] = &azSecret{name: "kage-zz", value: "x", tags: map[string]string{"kage-scope": "global", "kage-name": "ZZ"}}
	f.mu.Unlock()
	es, err := s.List(ctx)
	if err != nil || len(es) != len(scopes) {
		t.Fatalf("List = %v, %v; want the %d kage secrets only", es, err, len(scopes))
	}
	got := map[string]bool{}
	for _, e := range es {
		got[e.Scope] = e.Name == "TOKEN_1"
	}
	for _, sc := range scopes {
		if !got[sc] {
			t.Errorf("List lost scope %q: %v", sc, es)
		}
	}
	// Scope and name share 76 bytes: a long path fits up to there and is
	// refused beyond, before any call.
	fits := "repo:/" + strings.Repeat("p", 76-len("repo:/")-len("\x00K"))
	if err := s.Set(ctx, fits, "K", []byte("v")); err != nil {
		t.Fatalf("Set with 76 bytes of scope and name: %v", err)
	}
	long := fits + "q"
	f.calls = map[string]int{}
	err = s.Set(ctx, long, "K", []byte("v"))
	azWantUnavailable(t, err, "at most 127", "shorter")
	if len(f.calls) != 0 {
		t.Errorf("Set of a too-long name called the vault: %v", f.calls)
	}
	if _, err := s.Get(ctx, long, "K"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get of a too-long name: %v, want not found", err)
	}
}

// TestAzureHandMade checks a secret made by hand (plain text, no content
// type) is read as its text.
func TestAzureHandMade(t *testing.T) {
	f := newAzureFake(t)
	s := newTestAzure(t, f, keyring.AzureConfig{})
	f.secrets["kage-m5wg6ytbnqafit2livhf6mq"] = &azSecret{name: "kage-m5wg6ytbnqafit2livhf6MQ", value: "hello=="}
	v, err := s.Get(context.Background(), "global", "TOKEN_2")
	if err != nil || string(v) != "hello==" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}

// TestAzureSoftDelete checks the default delete: the secret kept in the
// deleted state, gone for readers, and a Set of the name saying how to
// recover or purge it.
func TestAzureSoftDelete(t *testing.T) {
	f := newAzureFake(t)
	s := newTestAzure(t, f, keyring.AzureConfig{})
	ctx := context.Background()
	if err := s.Set(ctx, "global", "OLD", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "global", "OLD"); err != nil {
		t.Fatal(err)
	}
	if f.calls["Purge"] != 0 || len(f.secrets) != 1 {
		t.Fatal("Delete purged the secret")
	}
	if _, err := s.Get(ctx, "global", "OLD"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get of a deleted secret: %v, want not found", err)
	}
	if err := s.Delete(ctx, "global", "OLD"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("second Delete: %v, want not found", err)
	}
	if m, err := s.GetMany(ctx, []keyring.Ref{{Scope: "global", Name: "OLD"}}); err != nil || len(m) != 0 {
		t.Errorf("GetMany = %v, %v", m, err)
	}
	if es, err := s.List(ctx); err != nil || len(es) != 0 {
		t.Errorf("List = %v, %v", es, err)
	}
	err := s.Set(ctx, "global", "OLD", []byte("again"))
	azWantUnavailable(t, err, "was deleted", "az keyvault secret recover --vault-name kagetest --name kage-m5wg6ytbnqae6tce")
	azWantUnavailable(t, err, "was deleted", "az keyvault secret purge --vault-name kagetest --name kage-m5wg6ytbnqae6tce")

	// DeleteNow purges a secret already deleted, and the name is free.
	if err := s.DeleteNow(ctx, "global", "OLD"); err != nil {
		t.Fatalf("DeleteNow of a deleted secret: %v", err)
	}
	if err := s.DeleteNow(ctx, "global", "OLD"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("DeleteNow of a missing secret: %v", err)
	}
	if err := s.Set(ctx, "global", "OLD", []byte("again")); err != nil {
		t.Fatal(err)
	}
}

// TestAzureGetManyParallel checks GetMany reads each ref once and keeps
// the missing ones out.
func TestAzureGetManyParallel(t *testing.T) {
	f := newAzureFake(t)
	s := newTestAzure(t, f, keyring.AzureConfig{})
	ctx := context.Background()
	var refs []keyring.Ref
	for i := range 30 {
		r := keyring.Ref{Scope: "global", Name: fmt.Sprintf("N%02d", i)}
		refs = append(refs, r, r)
		if i%2 == 0 {
			if err := s.Set(ctx, r.Scope, r.Name, []byte(r.Name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.calls = map[string]int{}
	m, err := s.GetMany(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 15 || string(m[keyring.Ref{Scope: "global", Name: "N04"}]) != "N04" {
		t.Errorf("GetMany returned %d values: %q", len(m), m)
	}
	if n := f.calls["Get"]; n != 30 {
		t.Errorf("%d GetSecret calls for 30 distinct refs", n)
	}
}

func TestAzureErrors(t *testing.T) {
	ctx := context.Background()
	forbidden := "Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"
	tests := []struct {
		name        string
		op          string
		status      int
		code, msg   string
		reason, fix string
	}{
		{"forbidden read", "Get", 403, "Forbidden", forbidden, "denied access", "Key Vault Secrets User"},
		{"forbidden write", "Set", 403, "Forbidden", forbidden, "may not write", "Key Vault Secrets Officer"},
		{"forbidden list", "List", 403, "Forbidden", forbidden, "may not list", "Key Vault Secrets User"},
		{"throttled", "Get", 429, "Throttled", "Request was not processed because too many requests were received.", "throttling", "wait a moment"},
		{"bad token", "Get", 401, "Unauthorized", "AKV10032: Invalid issuer.", "rejected the credentials", "az login"},
		{"other", "Get", 500, "InternalServerError", "boom", "500 InternalServerError", "az keyvault secret show"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAzureFake(t)
			f.fail = func(op string) (int, string, string) {
				if op == tc.op {
					return tc.status, tc.code, tc.msg
				}
				return 0, "", ""
			}
			s := newTestAzure(t, f, keyring.AzureConfig{MaxRetries: -1})
			var err error
			switch tc.op {
			case "Get":
				_, err = s.Get(ctx, "global", "X")
			case "Set":
				err = s.Set(ctx, "global", "X", []byte("v"))
			case "List":
				_, err = s.List(ctx)
			}
			azWantUnavailable(t, err, tc.reason, tc.fix)
		})
	}
	t.Run("not found", func(t *testing.T) {
		s := newTestAzure(t, newAzureFake(t), keyring.AzureConfig{})
		_, err := s.Get(ctx, "repo:/a b", "X")
		var nf *keyring.NotFoundError
		if !errors.As(err, &nf) || nf.Scope != "repo:/a b" || nf.Name != "X" {
			t.Fatalf("Get of a missing secret: %#v", err)
		}
	})
	t.Run("throttling retried", func(t *testing.T) {
		f := newAzureFake(t)
		left := 2
		f.fail = func(op string) (int, string, string) {
			if op == "Get" && left > 0 {
				left--
				return 429, "Throttled", "too many requests"
			}
			return 0, "", ""
		}
		s := newTestAzure(t, f, keyring.AzureConfig{MaxRetries: 3})
		if _, err := s.Get(ctx, "global", "X"); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("Get after two throttled tries: %v; want the SDK to retry to the not found", err)
		}
		if n := f.calls["Get"]; n != 3 {
			t.Errorf("%d GetSecret calls, want 3", n)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		// DefaultAzureCredential with nothing to find: no environment
		// credentials, no az or azd on PATH, and no managed identity
		// reachable (the fake's client dials only the fake).
		for _, v := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "AZURE_TOKEN_CREDENTIALS"} {
			t.Setenv(v, "")
			os.Unsetenv(v)
		}
		t.Setenv("PATH", t.TempDir())
		t.Setenv("HOME", t.TempDir())
		t.Setenv("AZURE_CONFIG_DIR", filepath.Join(t.TempDir(), "az"))
		f := newAzureFake(t)
		s, err := keyring.NewAzure(ctx, keyring.AzureConfig{VaultURL: azureVaultURL, HTTPClient: f.Client, MaxRetries: -1})
		if err == nil {
			_, err = s.Get(ctx, "global", "X")
		}
		azWantUnavailable(t, err, "no Azure credentials", "az login")
		azWantUnavailable(t, err, "no Azure credentials", "AZURE_CLIENT_SECRET")
		if n := f.calls["Get"]; n != 0 {
			t.Errorf("the fake got %d authorized calls", n)
		}
	})
	t.Run("no vault url", func(t *testing.T) {
		_, err := keyring.NewAzure(ctx, keyring.AzureConfig{})
		azWantUnavailable(t, err, "no Key Vault URL", "vault_url")
	})
	t.Run("unreachable", func(t *testing.T) {
		s, err := keyring.NewAzure(ctx, keyring.AzureConfig{VaultURL: "https://127.0.0.1:1/", StaticToken: azureToken, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.List(ctx)
		azWantUnavailable(t, err, "cannot reach Azure Key Vault", "network")
	})
}

// azWantUnavailable is aws_test.go's wantUnavailable, which builds only
// with the aws tag.
func azWantUnavailable(t *testing.T, err error, reason, fix string) {
	t.Helper()
	var ue *keyring.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %#v, want a *keyring.UnavailableError", err)
	}
	if !strings.Contains(ue.Reason, reason) || !strings.Contains(ue.Fix, fix) {
		t.Errorf("UnavailableError{Reason: %q, Fix: %q}, want reason with %q and fix with %q", ue.Reason, ue.Fix, reason, fix)
	}
}
