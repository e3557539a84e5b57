// Package config finds kage's configuration and data folders and loads
// config.toml.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kage-cli/kage/envname"
	"github.com/pelletier/go-toml/v2"
)

// FileName is the name of the configuration file inside the config folder.
const FileName = "config.toml"

// Backends lists the storage backends config.toml may name.
var Backends = []string{"keyring", "file", "aws", "azure"}

// Paths are the folders kage reads and writes.
type Paths struct {
	// Config holds config.toml.
	Config string
	// Data holds the index and other state kage keeps.
	Data string
}

// ConfigFile is the path of config.toml.
func (p Paths) ConfigFile() string { return filepath.Join(p.Config, FileName) }

// DefaultPaths resolves the folders from the environment: KAGE_HOME overrides
// both; otherwise the XDG variables (also on macOS, where developers expect
// ~/.config), and %APPDATA% on Windows.
func DefaultPaths() (Paths, error) {
	if h := os.Getenv("KAGE_HOME"); h != "" {
		abs, err := filepath.Abs(h)
		if err != nil {
			return Paths{}, fmt.Errorf("KAGE_HOME %q: %w", h, err)
		}
		// A missing folder is created on the first write; a file in its
		// place would fail later with a message about config.toml.
		if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
			return Paths{}, fmt.Errorf("KAGE_HOME %s is not a folder; point it at a folder kage may use", abs)
		}
		return Paths{Config: abs, Data: abs}, nil
	}
	if runtime.GOOS == "windows" {
		app := os.Getenv("APPDATA")
		if app == "" {
			return Paths{}, errors.New("neither KAGE_HOME nor APPDATA is set; set KAGE_HOME to a folder kage may use")
		}
		return Paths{Config: filepath.Join(app, "kage"), Data: filepath.Join(app, "kage")}, nil
	}
	home, _ := os.UserHomeDir()
	// Service accounts often have HOME=/nonexistent: kage would create it
	// (as root) or fail later with a less clear message. Checked only when
	// needed: XDG folders given in full do without HOME.
	homeChecked := false
	pick := func(env, fallback string) (string, error) {
		if v := os.Getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "kage"), nil
		}
		if home == "" {
			return "", fmt.Errorf("HOME is not set and %s is empty; set KAGE_HOME to a folder kage may use", env)
		}
		if !homeChecked {
			if _, err := os.Stat(home); errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("HOME %s does not exist and %s is empty; set KAGE_HOME to a folder kage may use", home, env)
			}
			homeChecked = true
		}
		return filepath.Join(home, fallback, "kage"), nil
	}
	cfg, err := pick("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return Paths{}, err
	}
	data, err := pick("XDG_DATA_HOME", filepath.Join(".local", "share"))
	if err != nil {
		return Paths{}, err
	}
	return Paths{Config: cfg, Data: data}, nil
}

// Config is the content of config.toml.
type Config struct {
	Secrets Secrets `toml:"secrets"`
	// Namespaces maps a namespace name to path globs ("~/code/svc-*"); a
	// repository whose root matches joins that namespace.
	Namespaces map[string][]string `toml:"namespaces"`
	// Hook is the [hook] table: how the prompt hook behaves.
	Hook Hook `toml:"hook"`
	// Exec maps a program's base name ("claude") to what kage exec gives
	// it: the [exec.PROGRAM] tables.
	Exec map[string]Exec `toml:"exec"`
	// Log is the [log] table: the access log.
	Log Log `toml:"log"`

	// File is where the configuration was read from ("" when none exists).
	File string `toml:"-"`
}

// Secrets is the [secrets] table.
type Secrets struct {
	// Backend names the store: keyring (default), file, aws or azure.
	Backend string `toml:"backend"`
	// Region is the AWS region for the aws backend.
	Region string `toml:"region"`
	// VaultURL is the Azure Key Vault address for the azure backend.
	VaultURL string `toml:"vault_url"`
	// File is the file backend's encrypted file; default secrets.age in
	// the data folder.
	File string `toml:"file"`
	// Identity is the age identity file that opens File; default
	// identity.txt in the data folder when it exists, else a passphrase.
	Identity string `toml:"identity"`
	// RecoveryWindowDays is how long the aws backend keeps a deleted
	// secret restorable (7 to 30); 0 leaves AWS's default, 30.
	RecoveryWindowDays int `toml:"recovery_window_days"`
}

// Hook is the [hook] table.
type Hook struct {
	// Quiet stops the line the prompt hook prints when it loads or unloads
	// names (KAGE_QUIET=1 does the same for one shell).
	Quiet bool `toml:"quiet"`
}

// Log is the [log] table.
type Log struct {
	// Enabled, false, stops kage writing access.log; unset or true keeps
	// the log of which secrets were handed to which program.
	Enabled *bool `toml:"enabled"`
}

// On reports whether the access log is kept.
func (l Log) On() bool { return l.Enabled == nil || *l.Enabled }

// Exec is an [exec.PROGRAM] table: which secrets kage exec hands the
// program and whether its output is masked. Flags on the command line win.
type Exec struct {
	// Only, when set, lists the names (or globs of names, "AWS_*") the
	// program is given; nothing else is.
	Only []string `toml:"only"`
	// Except lists names or globs the program is never given.
	Except []string `toml:"except"`
	// Mask, false, lets the program's output through unmasked; unset or
	// true masks it when it is not a terminal.
	Mask *bool `toml:"mask"`
}

// Error reports a problem in config.toml with the file and, where known,
// the line.
type Error struct {
	File string
	Line int
	Msg  string
	// Key is the dotted key the problem is with ("exec.claude.only"),
	// when known.
	Key string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config %s, line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", e.File, e.Msg)
}

// MaxSize is the largest config.toml kage reads. A real one is a few
// hundred bytes; the limit keeps a runaway file from stalling every command
// and prompt: the TOML decoder's work grows with the square of the number of
// keys (about 2.7 s for a 1 MiB file of keys on a 2-core machine, 0.25 s at
// this limit).
const MaxSize = 256 << 10

// Load reads config.toml from p. A missing file is an empty configuration;
// a malformed one, an unknown key or an invalid value is an *Error, and so
// is a file that is not a regular file (a FIFO would block every command)
// or is larger than MaxSize. A symbolic link is followed: dotfile managers
// link config files. Loose permissions are kage doctor's to report: this
// is the user's own file, which editors and umasks leave in many modes.
func Load(p Paths) (*Config, error) {
	file := p.ConfigFile()
	fi, err := os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", unwrapPath(err))}
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, &Error{File: file, Msg: fmt.Sprintf("is not a regular file (%s)", fileKind(fi.Mode()))}
	case fi.Size() > MaxSize:
		return nil, &Error{File: file, Msg: fmt.Sprintf("is %d bytes; kage reads at most %d (256 KiB)", fi.Size(), MaxSize)}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", unwrapPath(err))}
	}
	defer f.Close()
	// Bounded again: the file may grow between the Stat and the read.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", unwrapPath(err))}
	}
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("is larger than %d bytes (256 KiB), the most kage reads", MaxSize)}
	}
	return Parse(file, data)
}

// fileKind names what a non-regular file is, for errors.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// Parse decodes config.toml content; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	// A misspelt key would otherwise be ignored and kage would quietly run
	// with a default the user meant to change.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(file, err)
	}
	c.File = file
	if d := c.Secrets.RecoveryWindowDays; d != 0 && (d < 7 || d > 30) {
		return nil, &Error{File: file, Line: keyLine(data, "recovery_window_days"), Msg: fmt.Sprintf("recovery_window_days = %d; AWS allows 7 to 30 (leave it out for AWS's default, 30)", d)}
	}
	for prog, x := range c.Exec {
		for _, list := range []struct {
			key   string
			names []string
		}{{"only", x.Only}, {"except", x.Except}} {
			for _, n := range list.names {
				if err := envname.CheckGlob(n); err != nil {
					return nil, &Error{File: file, Line: tableKeyLine(data, "exec."+prog, list.key), Key: "exec." + prog + "." + list.key, Msg: fmt.Sprintf("[exec.%s] %s: %v", shownKey(prog), list.key, err)}
				}
			}
		}
	}
	if b := c.Secrets.Backend; b != "" && !contains(Backends, b) {
		return nil, &Error{File: file, Line: keyLine(data, "backend"), Msg: fmt.Sprintf("unknown backend %q; use one of %s", b, strings.Join(Backends, ", "))}
	}
	return &c, nil
}

// decodeError turns the decoder's errors into one *Error with a line.
func decodeError(file string, err error) error {
	var missing *toml.StrictMissingError
	if errors.As(err, &missing) && len(missing.Errors) > 0 {
		first := missing.Errors[0]
		line, _ := first.Position()
		return &Error{File: file, Line: line, Key: strings.Join(first.Key(), "."), Msg: fmt.Sprintf("unknown key %s; valid keys are secrets.backend, secrets.file, secrets.identity, secrets.region, secrets.recovery_window_days, secrets.vault_url, hook.quiet, log.enabled, [namespaces] and exec.PROGRAM.only, .except and .mask", shownKey(strings.Join(first.Key(), ".")))}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMessage(de.Key(), msg); m != "" {
			msg = m
		}
		return &Error{File: file, Line: line, Msg: msg, Key: strings.Join(de.Key(), ".")}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// typeMessage says, for a value of the wrong type, which key wants what
// ("hook.quiet must be true or false, not text"), instead of the decoder's
// "cannot decode TOML string into struct field config.Hook.Quiet of type
// bool"; "" when msg is not such an error or the key is not known.
func typeMessage(key toml.Key, msg string) string {
	rest, ok := strings.CutPrefix(msg, "cannot decode TOML ")
	if !ok || len(key) == 0 {
		return ""
	}
	got, _, _ := strings.Cut(rest, " into")
	gotWords := map[string]string{
		"string": "text", "integer": "a number", "float": "a number", "boolean": "true or false",
		"array": "a list", "inline table": "a table", "table": "a table",
		"datetime": "a date", "local date": "a date", "local datetime": "a date", "local time": "a time",
	}[got]
	if gotWords == "" {
		gotWords = got
	}
	name := strings.Join(key, ".")
	var want string
	switch {
	case key[0] == "namespaces" && len(key) == 2:
		want = `a list of path globs, like ["~/code/api", "~/code/svc-*"]`
	case name == "hook.quiet", name == "log.enabled", key[0] == "exec" && len(key) == 3 && key[2] == "mask":
		want = "true or false"
	case key[0] == "exec" && len(key) == 3:
		want = `a list of names, like ["ANTHROPIC_API_KEY", "GITHUB_*"]`
	case key[0] == "exec" && len(key) == 2:
		want = "a table, [exec." + key[1] + "]"
	case name == "secrets.recovery_window_days":
		want = "a whole number of days, 7 to 30"
	case key[0] == "secrets" && len(key) == 2:
		want = `text in quotes, like "file"`
	case len(key) == 1:
		want = "a table, [" + key[0] + "]"
	default:
		return ""
	}
	return fmt.Sprintf("the key %s must be %s, not %s", shownKey(name), want, gotWords)
}

// keyLine finds the line that sets key, for errors about its value.
func keyLine(data []byte, key string) int {
	for i, line := range strings.Split(string(data), "\n") {
		if setsKey(line, key) {
			return i + 1
		}
	}
	return 0
}

// setsKey reports whether a line of config.toml reads "key = …".
func setsKey(line, key string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), key)
	return ok && strings.HasPrefix(strings.TrimSpace(rest), "=")
}

// tableKeyLine finds the line that sets key in [table], or the first that
// sets it anywhere when the table's header is not found as written.
func tableKeyLine(data []byte, table, key string) int {
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != "["+table+"]" {
			continue
		}
		for j := i + 1; j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "["); j++ {
			if setsKey(lines[j], key) {
				return j + 1
			}
		}
	}
	return keyLine(data, key)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// unwrapPath drops the *PathError wrapper so the path is not named twice.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// shownKey quotes an unknown key for its error, unless it may be a secret
// pasted into key position (an age identity, a long token): kage's own
// keys are short words, so a long key is described, never repeated.
func shownKey(k string) string {
	if len(k) > 40 || strings.Contains(strings.ToUpper(k), "AGE-SECRET-KEY-") {
		return fmt.Sprintf("of %d characters (not shown: it may be a secret)", len(k))
	}
	return strconv.Quote(k)
}
