// Package config finds kage's configuration and data folders and loads
// config.toml.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
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
	pick := func(env, fallback string) (string, error) {
		if v := os.Getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "kage"), nil
		}
		if home == "" {
			return "", fmt.Errorf("HOME is not set and %s is empty; set KAGE_HOME to a folder kage may use", env)
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
}

// Error reports a problem in config.toml with the file and, where known,
// the line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config %s, line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", e.File, e.Msg)
}

// Load reads config.toml from p. A missing file is an empty configuration;
// a malformed one, an unknown key or an invalid value is an *Error.
func Load(p Paths) (*Config, error) {
	file := p.ConfigFile()
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", unwrapPath(err))}
	}
	return Parse(file, data)
}

// Parse decodes config.toml content; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		var pe toml.ParseError
		var ppe *toml.ParseError
		switch {
		case errors.As(err, &pe):
			return nil, &Error{File: file, Line: pe.Position.Line, Msg: pe.Message}
		case errors.As(err, &ppe):
			return nil, &Error{File: file, Line: ppe.Position.Line, Msg: ppe.Message}
		}
		// Type mismatches come as plain errors: "toml: line 2 (last key …): …".
		e := &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
		if m := lineRE.FindStringSubmatch(e.Msg); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = e.Msg[len(m[0]):]
		}
		return nil, e
	}
	if und := md.Undecoded(); len(und) > 0 {
		// Undecoded lists keys in file order: report the first.
		return nil, &Error{File: file, Line: keyLine(data, und[0]), Msg: fmt.Sprintf("unknown key %q; valid keys are secrets.backend, secrets.region, secrets.vault_url and [namespaces]", und[0].String())}
	}
	c.File = file
	if b := c.Secrets.Backend; b != "" && !contains(Backends, b) {
		return nil, &Error{File: file, Msg: fmt.Sprintf("unknown backend %q; use one of %s", b, strings.Join(Backends, ", "))}
	}
	return &c, nil
}

var lineRE = regexp.MustCompile(`^line (\d+) `)

// keyLine finds the line that defines key, for the error message; the
// decoder does not expose positions of keys it did not decode.
func keyLine(data []byte, key toml.Key) int {
	last := key[len(key)-1]
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "["+key.String()+"]" {
			return i + 1
		}
		if rest, ok := strings.CutPrefix(t, last); ok {
			if r := strings.TrimSpace(rest); strings.HasPrefix(r, "=") {
				return i + 1
			}
		}
	}
	return 0
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
