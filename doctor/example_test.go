package doctor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/doctor"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

func ExampleRun() {
	// A file store, as kage init --backend file makes one, in which an
	// interrupted kage subscription add --env left a stale key.
	dir, _ := os.MkdirTemp("", "kage-example-")
	defer os.RemoveAll(dir)
	id := filepath.Join(dir, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		panic(err)
	}
	key, _ := keyring.ParseIdentityFile(id)
	open := func(path string, key keyring.FileKey) *keyring.File {
		return keyring.NewFile(path, key).WithSeenFile(filepath.Join(dir, keyring.SeenFileName))
	}
	store := open(filepath.Join(dir, "secrets.age"), key)
	ctx := context.Background()
	store.Set(ctx, subscription.Scope("work"), "OLD_KEY", []byte("sk-old-0123456789"))
	time.Sleep(20 * time.Millisecond) // the newer key is the subscription's
	store.Set(ctx, subscription.Scope("work"), "ANTHROPIC_API_KEY", []byte("sk-new-0123456789"))

	// KAGE_STATE set: the prompt hook runs in this shell.
	env := map[string]string{"HOME": dir, "SHELL": "/bin/bash", "KAGE_STATE": "1"}
	h := doctor.Host{
		Paths:   config.Paths{Config: dir, Data: dir},
		Getenv:  func(k string) string { return env[k] },
		Now:     time.Now,
		Backend: func(*config.Config) (string, string, error) { return "file", "config.toml", nil },
		Context: func(c *config.Config) (*scope.Context, error) {
			return scope.Detect(dir, scope.Options{Config: c, Data: dir})
		},
		SecretsFile: func(*config.Config) (string, error) { return filepath.Join(dir, "secrets.age"), nil },
		FileKey:     func(*config.Config) (keyring.FileKey, error) { return key, nil },
		FileStore:   open,
		GitNamespace: func(*scope.Context) (string, string, error) {
			return "", "", nil
		},
		HookVar: "KAGE_STATE",
	}
	findings, err := doctor.Run(ctx, h, doctor.Options{})
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		if f.Status != doctor.OK {
			fmt.Println(f.Status, f.Check+":", f.Message)
		}
	}
	fmt.Println("--fix", doctor.Repairs(findings))

	findings, _ = doctor.Run(ctx, h, doctor.Options{Fix: true})
	for _, f := range findings {
		if f.Check == "subscriptions" {
			fmt.Println(f.Status, f.Check+":", f.Message)
		}
	}
	// Output:
	// fail subscriptions: subscription work keeps a stale key as OLD_KEY beside its key as ANTHROPIC_API_KEY (left by an interrupted kage subscription add --env)
	// --fix [deletes the stale keys of subscriptions]
	// fixed subscriptions: deleted the stale key of subscription work (OLD_KEY); it keeps its key as ANTHROPIC_API_KEY
	// ok subscriptions: 1 subscription, 0 bindings
}
