package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/internal/atomicfile"
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
opened — or, with --passphrase, to a passphrase: kage init asks for it
twice right away and creates the empty file, and every command that opens
the file asks again (KAGE_PASSPHRASE in CI; scrypt makes each opening cost
about a second, by design). An existing config.toml keeps everything but
its [secrets] backend line. Every write signs the file with the identity and counts
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
	// Everything that can fail about config.toml is decided before any
	// file is written: a refused init leaves no identity behind.
	plan, err := planBackendConfig(e, c, backend)
	if err != nil {
		return err
	}
	if backend == "file" && !cmd.Bool("passphrase") && c.Secrets.Identity == "" {
		id := filepath.Join(e.paths.Data, identityFileName)
		if _, err := os.Stat(id); err == nil {
			fmt.Fprintf(e.stderr, "kage: keeping the identity in %s\n", id)
		} else if err := refuseNewIdentity(e, c, id); err != nil {
			return err
		} else {
			recipient, err := keyring.GenerateIdentityFile(id)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "kage: wrote a new age identity to %s (public key %s); back it up: without it the secrets file cannot be opened\n", id, recipient)
		}
	}
	if err := plan(); err != nil {
		return err
	}
	if backend == "keyring" {
		probeKeychain(e)
	}
	if cmd.Bool("passphrase") {
		return createPassphraseStore(e)
	}
	return nil
}

// createPassphraseStore creates the empty secrets file now, so that the
// new passphrase is asked for (and confirmed) while the user is at kage
// init, not at some later command whose prompt they do not expect.
func createPassphraseStore(e *env) error {
	if e.getenv("KAGE_AGE_IDENTITY") != "" {
		// An identity from the environment wins over a passphrase
		// (fileKey): the file would not be encrypted to one.
		return withHint(errors.New("KAGE_AGE_IDENTITY is set, and it wins over a passphrase"), "unset it to use a passphrase")
	}
	// The configuration as just written.
	e.cfg, e.store = nil, nil
	s, err := e.secrets()
	if err != nil {
		return err
	}
	f, ok := s.(*keyring.File)
	if !ok {
		// KAGE_BACKEND chose another store for this command.
		return nil
	}
	created, err := f.Create(e.ctx)
	if err != nil {
		return withHint(err, "run kage init --backend file --passphrase again (on a terminal, or with KAGE_PASSPHRASE set)")
	}
	if created {
		fmt.Fprintf(e.stderr, "kage: created %s, empty, encrypted to the passphrase; commands that open it ask for it (or take KAGE_PASSPHRASE)\n", f.Path())
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

// refuseNewIdentity refuses to make a new identity beside a secrets file
// that exists: it is encrypted to another key, which the new identity
// would not open, and every command would then fail.
func refuseNewIdentity(e *env, c *config.Config, id string) error {
	path, err := e.secretsFile(c)
	if err != nil {
		return err
	}
	switch keyring.FileKeyKind(path) {
	case "identity":
		return withHint(fmt.Errorf("%s exists, encrypted to an age identity that is not at %s; a new identity would not open it", path, id),
			fmt.Sprintf("restore the identity from your backup to %s, or point KAGE_AGE_IDENTITY at it", id))
	case "passphrase":
		return withHint(fmt.Errorf("%s exists, encrypted to a passphrase; a new identity would not open it", path),
			"keep using the passphrase: kage init --backend file --passphrase")
	}
	return nil
}

// planBackendConfig checks that config.toml can record the backend and
// returns the write that does it. A new file holds only [secrets]; in an
// existing one only the backend line changes, or is added, and every other
// line, comment and blank stays as the user wrote it.
func planBackendConfig(e *env, c *config.Config, backend string) (func() error, error) {
	file := e.paths.ConfigFile()
	current := c.Secrets.Backend
	if current == "" {
		current = "keyring"
	}
	if c.File != "" && current == backend && (c.Secrets.Backend != "" || backend == "keyring") {
		return func() error {
			fmt.Fprintf(e.stderr, "kage: %s already uses backend %q\n", file, backend)
			return nil
		}, nil
	}
	if c.File == "" {
		return func() error { return writeNewConfig(e, file, backend) }, nil
	}
	old, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, unwrapPathErr(err))
	}
	edited := setBackendLine(old, backend)
	if nc, err := config.Parse(file, edited); err != nil || nc.Secrets.Backend != backend {
		return nil, withHint(fmt.Errorf("kage cannot set the backend in %s: its [secrets] is written in a form kage does not edit", file),
			fmt.Sprintf("set backend = %q under [secrets] yourself", backend))
	}
	return func() error {
		if err := atomicfile.Write(file, "config.toml", edited); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "kage: set backend = %q in %s; the rest of it is as it was\n", backend, file)
		return nil
	}, nil
}

// configLines are the patterns setBackendLine edits config.toml with,
// compiled on first use: compiling them at start cost every command,
// `kage env` included, a quarter of a millisecond.
var configLines = sync.OnceValue(func() struct{ secretsHeader, anyHeader, backendKey *regexp.Regexp } {
	return struct{ secretsHeader, anyHeader, backendKey *regexp.Regexp }{
		secretsHeader: regexp.MustCompile(`^[ \t]*\[[ \t]*secrets[ \t]*\][ \t]*(#.*)?\r?\n?$`),
		anyHeader:     regexp.MustCompile(`^[ \t]*\[`),
		backendKey:    regexp.MustCompile(`^[ \t]*backend[ \t]*=`),
	}
})

// setBackendLine returns data with the backend line of its [secrets] table
// set to backend, the line added at the top of the table when it has none,
// and a [secrets] table added at the end when there is none. The caller
// parses the result: a layout this misreads (a dotted secrets.backend, an
// inline table) gives a file that does not say backend, or does not parse.
func setBackendLine(data []byte, backend string) []byte {
	line := fmt.Sprintf("backend = %q\n", backend)
	lines := strings.SplitAfter(string(data), "\n")
	re := configLines()
	for i, l := range lines {
		if !re.secretsHeader.MatchString(l) {
			continue
		}
		for j := i + 1; j < len(lines) && !re.anyHeader.MatchString(lines[j]); j++ {
			if re.backendKey.MatchString(lines[j]) {
				lines[j] = line
				return []byte(strings.Join(lines, ""))
			}
		}
		if !strings.HasSuffix(l, "\n") {
			lines[i] = l + "\n"
		}
		lines = slices.Insert(lines, i+1, line)
		return []byte(strings.Join(lines, ""))
	}
	out := string(data)
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	if out != "" {
		out += "\n"
	}
	return []byte(out + "[secrets]\n" + line)
}

// writeNewConfig creates config.toml with the backend alone.
func writeNewConfig(e *env, file, backend string) error {
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
