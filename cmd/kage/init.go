package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/keyring"
	"github.com/urfave/cli/v3"
)

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "choose where kage keeps secrets: the OS keychain or an encrypted file",
		Description: `Sets up a backend and writes config.toml if there is none. The file backend
keeps every secret in one age-encrypted file (secrets.age in kage's data
folder), for servers, containers and CI where no keychain runs. It is
encrypted to a new X25519 identity that kage init writes to identity.txt
(mode 0600) — keep a copy somewhere safe: without it the file cannot be
opened — or, with --passphrase, to a passphrase asked for when the file is
opened (KAGE_PASSPHRASE in CI; scrypt makes each opening cost about a
second, by design). Every write signs the file with the identity and counts
a generation, so a file forged with the public key or an older copy put
back is refused; kage doctor --fix accepts one you wrote or restored.

   kage init --backend file                  # new identity in the data folder
   kage init --backend file --passphrase
   kage init --backend keyring               # back to the OS keychain
   KAGE_BACKEND=file kage secret list        # one command, whatever config says`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "backend", Usage: "`NAME`: keyring or file", Required: true},
			&cli.BoolFlag{Name: "passphrase", Usage: "file backend: encrypt to a passphrase instead of a new identity"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error { return initAction(e, cmd) },
	}
}

func initAction(e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	backend := cmd.String("backend")
	switch backend {
	case "keyring", "file":
	case "aws", "azure":
		return withHint(fmt.Errorf("kage init does not set up the %s backend", backend),
			fmt.Sprintf("set backend = %q in %s", backend, e.paths.ConfigFile()))
	default:
		return usagef("kage init --backend keyring, or --backend file", "unknown backend %q", backend)
	}
	if cmd.Bool("passphrase") && backend != "file" {
		return usagef("", "--passphrase is for --backend file")
	}
	c, err := e.config()
	if err != nil {
		return err
	}
	if backend == "file" && !cmd.Bool("passphrase") && c.Secrets.Identity == "" {
		id := filepath.Join(e.paths.Data, identityFileName)
		if _, err := os.Stat(id); err == nil {
			fmt.Fprintf(e.stderr, "kage: keeping the identity in %s\n", id)
		} else {
			recipient, err := keyring.GenerateIdentityFile(id)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "kage: wrote a new age identity to %s (public key %s); back it up: without it the secrets file cannot be opened\n", id, recipient)
		}
	}
	if err := writeBackendConfig(e, c, backend); err != nil {
		return err
	}
	if backend == "keyring" {
		probeKeychain(e)
	}
	return nil
}

// probeKeychain warns when no keychain answers, so that a user who chose
// it learns now rather than at the first secret set. It reads one name
// that is not stored; nothing is written and no value is shown.
func probeKeychain(e *env) {
	_, err := keyring.NewKeychain(e.paths.Data).Get(e.ctx, "global", "KAGE_INIT_PROBE")
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return
	}
	msg := err.Error()
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		msg += "; " + h.Hint()
	}
	warn(e.stderr, "no keychain answers yet: %s", msg)
}

// writeBackendConfig records the backend in config.toml. An existing file
// is never rewritten: kage would lose the user's comments and layout, so it
// says which line to change instead.
func writeBackendConfig(e *env, c *config.Config, backend string) error {
	current := c.Secrets.Backend
	if current == "" {
		current = "keyring"
	}
	file := e.paths.ConfigFile()
	switch {
	case c.File != "" && current == backend:
		fmt.Fprintf(e.stderr, "kage: %s already uses backend %q\n", file, backend)
		return nil
	case c.File != "":
		return withHint(fmt.Errorf("%s sets backend = %q", file, current),
			fmt.Sprintf("change it to backend = %q under [secrets]; kage does not rewrite a config you wrote", backend))
	}
	if err := os.MkdirAll(e.paths.Config, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", e.paths.Config, unwrapPathErr(err))
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s appeared while kage was writing it; run kage init again", file)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, unwrapPathErr(err))
	}
	_, err = fmt.Fprintf(f, "[secrets]\nbackend = %q\n", backend)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	fmt.Fprintf(e.stderr, "kage: wrote %s: backend = %q\n", file, backend)
	return nil
}
