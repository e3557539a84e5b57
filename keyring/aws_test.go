//go:build aws

package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/keyring/keyringtest"
)

// awsEnv points the SDK's standard chain at static test credentials and
// away from the machine's own AWS files and instance metadata.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAKAGETESTKEY00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "kage-test-secret-access-key")
	t.Setenv("AWS_SESSION_TOKEN", "")
}

func newTestAWS(t *testing.T, f *awsFake, cfg keyring.AWSConfig) *keyring.AWS {
	t.Helper()
	cfg.BaseEndpoint = f.URL
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	s, err := keyring.NewAWS(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewAWS: %v", err)
	}
	return s
}

func TestAWSConformance(t *testing.T) {
	awsEnv(t)
	keyringtest.Conformance(t, func(t *testing.T) keyringtest.Backend {
		f := newAWSFake(t)
		// The suite stores a deleted name again at once, which the
		// service allows only after a forced delete.
		cfg := keyring.AWSConfig{ForceDelete: true}
		return keyringtest.Backend{
			Store:    newTestAWS(t, f, cfg),
			MaxValue: func(scope, name string) int { return keyring.AWSMaxValue },
			Open:     func() keyring.Store { return newTestAWS(t, f, cfg) },
		}
	})
}

func TestAWSNaming(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	s := newTestAWS(t, f, keyring.AWSConfig{})
	ctx := context.Background()
	for _, sc := range keyringtest.Scopes {
		if err := s.Set(ctx, sc, "TOKEN", []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"kage/global/TOKEN":                        "global",
		"kage/namespace/backend/TOKEN":             "namespace:backend",
		"kage/namespace/a.b_c-9/TOKEN":             "namespace:a.b_c-9",
		"kage/repo/L2hvbWUvZGV2L2NvZGUvYXBp/TOKEN": "repo:/home/dev/code/api",
		"kage/subscription/work-account/TOKEN":     "subscription:work-account",
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, scope := range want {
		sec := f.secrets[name]
		if sec == nil {
			t.Errorf("no secret named %s; have %v", name, keys(f.secrets))
			continue
		}
		tags := map[string]string{}
		for _, tg := range sec.tags {
			tags[tg.Key] = tg.Value
		}
		if tags["kage:scope"] != scope || tags["kage:name"] != "TOKEN" {
			t.Errorf("%s tags = %v", name, tags)
		}
	}
	for name := range f.secrets {
		for _, c := range strings.TrimPrefix(name, "kage/") {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-", c) {
				t.Errorf("secret name %q has %q, which Secrets Manager does not allow", name, c)
			}
		}
	}
	// Secrets not made by kage under a similar name are not listed.
	f.secrets["kage/unrelated"] = &fakeSecret{name: "kage/unrelated"}
	f.secrets["other/global/X"] = &fakeSecret{name: "other/global/X"}
	f.mu.Unlock()
	es, err := s.List(ctx)
	f.mu.Lock()
	if err != nil || len(es) != len(keyringtest.Scopes) {
		t.Errorf("List = %v, %v; want the %d kage secrets only", es, err, len(keyringtest.Scopes))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAWSGetManyBatches(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	s := newTestAWS(t, f, keyring.AWSConfig{})
	ctx := context.Background()
	var refs []keyring.Ref
	for i := range 45 {
		r := keyring.Ref{Scope: "global", Name: fmt.Sprintf("N%02d", i)}
		refs = append(refs, r)
		if i%2 == 0 {
			if err := s.Set(ctx, r.Scope, r.Name, []byte(r.Name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := s.GetMany(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 23 {
		t.Errorf("GetMany returned %d values, want 23", len(m))
	}
	if n := f.calls["BatchGetSecretValue"]; n != 3 {
		t.Errorf("%d BatchGetSecretValue calls for 45 refs, want 3 (20 a call)", n)
	}
}

// TestAWSDeleteRecovery checks the default delete: a recovery window, the
// secret gone for readers, and a Set of the name saying how to restore it.
func TestAWSDeleteRecovery(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	s := newTestAWS(t, f, keyring.AWSConfig{RecoveryWindowDays: 7})
	ctx := context.Background()
	if err := s.Set(ctx, "global", "OLD", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "global", "OLD"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	sec := f.secrets["kage/global/OLD"]
	f.mu.Unlock()
	if sec == nil || sec.deleted.IsZero() {
		t.Fatal("Delete with a recovery window removed the secret at once")
	}
	if d := f.lastDelete["RecoveryWindowInDays"]; d != 7.0 {
		t.Errorf("DeleteSecret sent RecoveryWindowInDays %v, want the configured 7", d)
	}
	if _, err := s.Get(ctx, "global", "OLD"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get of a secret scheduled for deletion: %v, want not found", err)
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
	wantUnavailable(t, err, "scheduled for deletion", "aws secretsmanager restore-secret --secret-id kage/global/OLD")

	// --force deletes it for good, and the name is free again.
	force := newTestAWS(t, f, keyring.AWSConfig{ForceDelete: true})
	if err := force.Delete(ctx, "global", "OLD"); err != nil {
		t.Fatalf("forced Delete of a scheduled secret: %v", err)
	}
	if f.lastDelete["ForceDeleteWithoutRecovery"] != true {
		t.Errorf("forced DeleteSecret sent %v", f.lastDelete)
	}
	// Without a window configured kage leaves AWS's default.
	plain := newTestAWS(t, f, keyring.AWSConfig{})
	if err := plain.Set(ctx, "global", "DEFAULT", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := plain.Delete(ctx, "global", "DEFAULT"); err != nil {
		t.Fatal(err)
	}
	if _, set := f.lastDelete["RecoveryWindowInDays"]; set || f.lastDelete["ForceDeleteWithoutRecovery"] != nil {
		t.Errorf("default DeleteSecret sent %v; want neither a window nor force", f.lastDelete)
	}
	if err := s.Set(ctx, "global", "OLD", []byte("again")); err != nil {
		t.Fatal(err)
	}
}

func wantUnavailable(t *testing.T, err error, reason, fix string) {
	t.Helper()
	var ue *keyring.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %#v, want a *keyring.UnavailableError", err)
	}
	if !strings.Contains(ue.Reason, reason) || !strings.Contains(ue.Fix, fix) {
		t.Errorf("UnavailableError{Reason: %q, Fix: %q}, want reason with %q and fix with %q", ue.Reason, ue.Fix, reason, fix)
	}
}

func TestAWSErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, code, msg string
		reason, fix     string
	}{
		{"access denied", "AccessDeniedException", "User: arn:aws:iam::1:user/dev is not authorized to perform: secretsmanager:GetSecretValue", "AWS denied access", "secretsmanager:GetSecretValue"},
		{"throttled", "ThrottlingException", "Rate exceeded", "throttling", "wait a moment"},
		{"bad token", "UnrecognizedClientException", "The security token included in the request is invalid.", "rejected the credentials", "aws sts get-caller-identity"},
		{"kms", "DecryptionFailure", "Access to KMS is not allowed", "could not decrypt", "kms:Decrypt"},
		{"other", "InternalServiceError", "boom", "InternalServiceError", "describe-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			awsEnv(t)
			f := newAWSFake(t)
			f.fail = func(string) (string, string) { return tc.code, tc.msg }
			s := newTestAWS(t, f, keyring.AWSConfig{MaxAttempts: 1})
			_, err := s.Get(ctx, "global", "X")
			wantUnavailable(t, err, tc.reason, tc.fix)
		})
	}
	t.Run("not found", func(t *testing.T) {
		awsEnv(t)
		s := newTestAWS(t, newAWSFake(t), keyring.AWSConfig{})
		_, err := s.Get(ctx, "repo:/a b", "X")
		var nf *keyring.NotFoundError
		if !errors.As(err, &nf) || nf.Scope != "repo:/a b" || nf.Name != "X" {
			t.Fatalf("Get of a missing secret: %#v", err)
		}
	})
	t.Run("batch access denied", func(t *testing.T) {
		awsEnv(t)
		f := newAWSFake(t)
		f.fail = func(op string) (string, string) {
			if op == "BatchGetSecretValue" {
				return "AccessDeniedException", "not authorized to perform: secretsmanager:BatchGetSecretValue"
			}
			return "", ""
		}
		s := newTestAWS(t, f, keyring.AWSConfig{})
		_, err := s.GetMany(ctx, []keyring.Ref{{Scope: "global", Name: "X"}})
		wantUnavailable(t, err, "AWS denied access", "secretsmanager:BatchGetSecretValue")
	})
	t.Run("no credentials", func(t *testing.T) {
		awsEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		f := newAWSFake(t)
		s := newTestAWS(t, f, keyring.AWSConfig{MaxAttempts: 1})
		_, err := s.Get(ctx, "global", "X")
		wantUnavailable(t, err, "no AWS credentials", "aws configure")
		if n := f.calls["GetSecretValue"]; n != 0 {
			t.Errorf("the fake got %d unsigned calls", n)
		}
	})
	t.Run("no region", func(t *testing.T) {
		awsEnv(t)
		_, err := keyring.NewAWS(ctx, keyring.AWSConfig{})
		wantUnavailable(t, err, "no AWS region", "region")
	})
	t.Run("unreachable", func(t *testing.T) {
		awsEnv(t)
		f := newAWSFake(t)
		s, err := keyring.NewAWS(ctx, keyring.AWSConfig{Region: "us-east-1", BaseEndpoint: "http://127.0.0.1:1", MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		_ = f
		_, err = s.List(ctx)
		wantUnavailable(t, err, "cannot reach AWS Secrets Manager", "network")
	})
}

// TestAWSThrottlingRetried checks that throttling is retried with the
// SDK's backoff before kage gives up.
func TestAWSThrottlingRetried(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	left := 2
	f.fail = func(op string) (string, string) {
		if op == "GetSecretValue" && left > 0 {
			left--
			return "ThrottlingException", "Rate exceeded"
		}
		return "", ""
	}
	s := newTestAWS(t, f, keyring.AWSConfig{})
	ctx := context.Background()
	if err := s.Set(ctx, "global", "X", []byte("v")); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ctx, "global", "X")
	if err != nil || string(v) != "v" {
		t.Fatalf("Get after two throttled tries = %q, %v; want the SDK to retry", v, err)
	}
	if n := f.calls["GetSecretValue"]; n != 3 {
		t.Errorf("%d GetSecretValue calls, want 3", n)
	}
}

// TestAWSCreateRace checks Set when another kage creates the secret
// between its PutSecretValue and CreateSecret: it must put again.
func TestAWSCreateRace(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	s := newTestAWS(t, f, keyring.AWSConfig{})
	ctx := context.Background()
	if err := s.Set(ctx, "global", "RACE", []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	// As seen by the second writer: not there when it puts, there when
	// it creates.
	first := true
	f.fail = func(op string) (string, string) {
		if op == "PutSecretValue" && first {
			first = false
			return "ResourceNotFoundException", msgNotFound
		}
		return "", ""
	}
	if err := s.Set(ctx, "global", "RACE", []byte("ours")); err != nil {
		t.Fatalf("Set that lost the create race: %v", err)
	}
	if v, err := s.Get(ctx, "global", "RACE"); err != nil || string(v) != "ours" {
		t.Fatalf("Get = %q, %v; want ours", v, err)
	}
}

// TestAWSOddPaths checks repository paths whose characters tag values do
// not allow, and paths too long for a secret name.
func TestAWSOddPaths(t *testing.T) {
	awsEnv(t)
	f := newAWSFake(t)
	s := newTestAWS(t, f, keyring.AWSConfig{})
	ctx := context.Background()
	odd := "repo:/home/dev/it's (old) #1, ~50%!" + strings.Repeat("x", 300)
	if err := s.Set(ctx, odd, "K", []byte("v")); err != nil {
		t.Fatalf("Set in %q: %v", odd, err)
	}
	if v, err := s.Get(ctx, odd, "K"); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if es, err := s.List(ctx); err != nil || len(es) != 1 || es[0].Scope != odd {
		t.Fatalf("List = %v, %v", es, err)
	}
	long := "repo:/" + strings.Repeat("d/", 200)
	err := s.Set(ctx, long, "K", []byte("v"))
	wantUnavailable(t, err, "at most 512", "shorter")
	if err := s.DeleteNow(ctx, odd, "K"); err != nil {
		t.Fatal(err)
	}
	if f.lastDelete["ForceDeleteWithoutRecovery"] != true {
		t.Errorf("DeleteNow sent %v", f.lastDelete)
	}
	if err := s.DeleteNow(ctx, odd, "K"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("DeleteNow of a missing secret: %v", err)
	}
}
