package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
)

// Where the file backend keeps its things in the data folder by default.
const (
	secretsFileName  = "secrets.age"
	identityFileName = "identity.txt"
)

// backendName is KAGE_BACKEND, else config.toml's [secrets] backend, else
// keyring.
func (e *env) backendName(c *config.Config) (name, from string, err error) {
	name, from = c.Secrets.Backend, "config.toml"
	if v := e.getenv("KAGE_BACKEND"); v != "" {
		name, from = v, "KAGE_BACKEND"
	}
	if name == "" {
		return "keyring", "the default", nil
	}
	for _, b := range config.Backends {
		if name == b {
			return name, from, nil
		}
	}
	return "", "", withHint(fmt.Errorf("unknown backend %q in %s", name, from), "use one of "+strings.Join(config.Backends, ", "))
}

// openBackend opens the store the configuration chooses. kage never
// switches backend on its own: a keychain that does not answer is an
// error that says how to start one or how to choose the file backend.
func (e *env) openBackend(c *config.Config) (keyring.Store, error) {
	name, _, err := e.backendName(c)
	if err != nil {
		return nil, err
	}
	switch name {
	case "keyring":
		return keychainFor(e.paths.Data), nil
	case "file":
		path, err := e.secretsFile(c)
		if err != nil {
			return nil, err
		}
		key, err := e.fileKey(c)
		if err != nil {
			return nil, err
		}
		return e.fileStore(path, key), nil
	case "aws":
		// Without -tags aws, NewAWS says how to build it in.
		return keyring.NewAWS(e.ctx, keyring.AWSConfig{Region: c.Secrets.Region, RecoveryWindowDays: c.Secrets.RecoveryWindowDays})
	case "azure":
		// Without -tags azure, NewAzure says how to build it in.
		return keyring.NewAzure(e.ctx, keyring.AzureConfig{VaultURL: c.Secrets.VaultURL})
	}
	return nil, withHint(fmt.Errorf("the %s backend is not built into this kage", name),
		fmt.Sprintf("build kage with it: go build -tags %s ./cmd/kage (or make build-all)", name))
}

// fileStore is the file backend's store in path. Its generation record
// lives in the data folder, on this machine, wherever the file is: a
// secrets file in a synced or shared folder must not carry the record that
// is meant to catch an older copy of it.
func (e *env) fileStore(path string, key keyring.FileKey) *keyring.File {
	return keyring.NewFile(path, key).WithSeenFile(filepath.Join(e.paths.Data, keyring.SeenFileName))
}

// secretsFile is the file backend's file: config.toml's [secrets] file, or
// secrets.age in the data folder.
func (e *env) secretsFile(c *config.Config) (string, error) {
	if c.Secrets.File == "" {
		return filepath.Join(e.paths.Data, secretsFileName), nil
	}
	p, err := scope.ExpandHome(c.Secrets.File)
	if err != nil {
		return "", fmt.Errorf("config.toml [secrets] file: %w", err)
	}
	return filepath.Abs(p)
}

// fileKey finds what opens the secrets file, first match wins:
// KAGE_AGE_IDENTITY (an age identity — an identity file's content too — or
// the path of an identity file), config.toml's [secrets] identity,
// identity.txt in the data folder (what kage init --backend file creates),
// and otherwise a passphrase from KAGE_PASSPHRASE or the terminal. No
// message ever repeats a setting that could be a key: a value kage does not
// recognise as one, in some other spelling, is not echoed as a path either.
func (e *env) fileKey(c *config.Config) (keyring.FileKey, error) {
	if v := e.getenv("KAGE_AGE_IDENTITY"); v != "" {
		return keyring.ParseIdentitySetting(v, "KAGE_AGE_IDENTITY")
	}
	if v := c.Secrets.Identity; v != "" {
		const from = "config.toml [secrets] identity"
		if keyring.LooksLikeIdentity(v) {
			return keyring.FileKey{}, withHint(errors.New(from+" holds a key, not the path of an identity file (kage does not repeat it)"),
				"move the key into an identity file (mode 0600) and set identity = \"PATH\", or use KAGE_AGE_IDENTITY")
		}
		p, err := scope.ExpandHome(v)
		if err != nil {
			return keyring.FileKey{}, withHint(errors.New(from+" is not a path kage can expand (kage does not repeat it: it may hold a key)"), "set identity = \"PATH\" to an identity file, ~/… or absolute")
		}
		return keyring.ParseIdentitySetting(p, from)
	}
	def := filepath.Join(e.paths.Data, identityFileName)
	if _, err := os.Stat(def); err == nil {
		return keyring.ParseIdentityFile(def)
	}
	// No identity anywhere. A file encrypted to one would otherwise ask
	// for a passphrase it never had, and `kage init` would make a new
	// identity that cannot open it either: name the missing file instead.
	if path, err := e.secretsFile(c); err == nil && keyring.FileKeyKind(path) == "identity" {
		return keyring.FileKey{}, withHint(fmt.Errorf("the secrets file %s is encrypted to an age identity, and there is none: kage looked for KAGE_AGE_IDENTITY, config.toml [secrets] identity and %s, which is missing", path, def),
			fmt.Sprintf("restore the identity from your backup to %s, or point KAGE_AGE_IDENTITY at it; do not run kage init --backend file: a new identity cannot open this file", def))
	}
	return keyring.FileKey{Passphrase: e.passphrase, NewPassphrase: e.newPassphrase, Source: "passphrase"}, nil
}

// newPassphrase is the passphrase of a secrets file kage is about to
// create: KAGE_PASSPHRASE, or asked twice on the terminal, since a typo
// here would lock the user out of everything stored after.
func (e *env) newPassphrase() ([]byte, error) {
	if v := e.getenv("KAGE_PASSPHRASE"); v != "" {
		return []byte(v), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, withHint(errors.New("the new secrets file needs a passphrase and there is no terminal to ask on"),
			"set KAGE_PASSPHRASE to the passphrase to encrypt it to")
	}
	defer tty.Close()
	first, err := readHidden(e.ctx, int(tty.Fd()), tty, "New passphrase for kage's secrets file: ")
	if err != nil || len(first) == 0 {
		return first, err
	}
	second, err := readHidden(e.ctx, int(tty.Fd()), tty, "Repeat it to confirm: ")
	if err != nil {
		clear(first)
		return nil, err
	}
	same := bytes.Equal(first, second)
	clear(second)
	if !same {
		clear(first)
		return nil, errors.New("the two passphrases differ; nothing was written")
	}
	return first, nil
}

// passphrase reads KAGE_PASSPHRASE, or asks on the terminal itself: stdin
// may be carrying the value being stored.
func (e *env) passphrase() ([]byte, error) {
	if v := e.getenv("KAGE_PASSPHRASE"); v != "" {
		return []byte(v), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, withHint(errors.New("the secrets file needs its passphrase and there is no terminal to ask on"),
			"set KAGE_PASSPHRASE to it (a new identity from kage init would not open a file encrypted to a passphrase)")
	}
	defer tty.Close()
	return readHidden(e.ctx, int(tty.Fd()), tty, "Passphrase for kage's secrets file: ")
}

// customSecretsFile is the file backend's file when config.toml names one,
// for the hook's fingerprint; "" otherwise (the default place is always
// watched).
func (e *env) customSecretsFile() string {
	if e.cfg == nil || e.cfg.Secrets.File == "" {
		return ""
	}
	p, err := e.secretsFile(e.cfg)
	if err != nil {
		return ""
	}
	return p
}

// completionEntries lists the secrets for shell completion without ever
// asking anything: the keychain backend's index, or the file backend's
// file when an identity opens it — never a passphrase prompt on TAB.
func (e *env) completionEntries(c *config.Config) []keyring.Entry {
	if c == nil {
		c = &config.Config{}
	}
	if name, _, err := e.backendName(c); err != nil || name != "file" {
		entries, _ := keyring.OpenIndex(e.paths.Data).Load()
		return entries
	}
	key, err := e.fileKey(c)
	if err != nil || key.Passphrase != nil {
		return nil
	}
	path, err := e.secretsFile(c)
	if err != nil {
		return nil
	}
	entries, _ := e.fileStore(path, key).List(context.Background())
	return entries
}
