package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KAGE_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_DATA_HOME", "")
	p, err := DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != filepath.Join(home, ".config", "kage") || p.Data != filepath.Join(home, ".local", "share", "kage") {
		t.Fatalf("defaults = %+v", p)
	}

	t.Setenv("XDG_CONFIG_HOME", "/x/cfg")
	t.Setenv("XDG_DATA_HOME", "relative/is/ignored")
	p, _ = DefaultPaths()
	if p.Config != "/x/cfg/kage" || p.Data != filepath.Join(home, ".local", "share", "kage") {
		t.Fatalf("with XDG = %+v", p)
	}

	t.Setenv("KAGE_HOME", "/x/kage")
	p, _ = DefaultPaths()
	if p.Config != "/x/kage" || p.Data != "/x/kage" || p.ConfigFile() != "/x/kage/config.toml" {
		t.Fatalf("KAGE_HOME = %+v", p)
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	c, err := Load(Paths{Config: t.TempDir()})
	if err != nil || c.Secrets.Backend != "" || len(c.Namespaces) != 0 || c.File != "" {
		t.Fatalf("Load of no file = %+v, %v", c, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	data := `# kage
[secrets]
backend = "keyring"

[namespaces]
backend = ["~/code/api", "~/code/svc-*"]

[hook]
quiet = true

[log]
enabled = false

[exec.claude]
only = ["ANTHROPIC_API_KEY", "GITHUB_*"]
mask = false

[exec.aider]
except = ["AWS_*"]
`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Paths{Config: dir})
	if err != nil {
		t.Fatal(err)
	}
	if c.Secrets.Backend != "keyring" || len(c.Namespaces["backend"]) != 2 || c.Namespaces["backend"][1] != "~/code/svc-*" || !c.Hook.Quiet {
		t.Fatalf("loaded %+v", c)
	}
	if x := c.Exec["claude"]; strings.Join(x.Only, ",") != "ANTHROPIC_API_KEY,GITHUB_*" || x.Except != nil || x.Mask == nil || *x.Mask {
		t.Fatalf("[exec.claude] = %+v", x)
	}
	if x := c.Exec["aider"]; x.Only != nil || strings.Join(x.Except, ",") != "AWS_*" || x.Mask != nil {
		t.Fatalf("[exec.aider] = %+v", x)
	}
	if c.Log.On() {
		t.Fatalf("[log] enabled = false, but Log.On()")
	}
	if !(Log{}).On() {
		t.Fatalf("the access log is off by default")
	}
	if c.File != filepath.Join(dir, FileName) {
		t.Fatalf("File = %q", c.File)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		want       string
	}{
		{"syntax", "[secrets]\nbackend = \"keyring\n", 2, ""},
		{"unknown key", "[secrets]\nbackend = \"keyring\"\nbackned = \"x\"\n", 3, `unknown key "secrets.backned"`},
		{"unknown table", "[secret]\nbackend = \"keyring\"\n", 1, `unknown key "secret"`},
		{"an identity as a key", "[secrets]\nbackend = \"file\"\nAGE-SECRET-KEY-18NFPJ = 1\n", 3, `unknown key of 29 characters (not shown: it may be a secret)`},
		{"an identity as a table", "[AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ]\n", 1, `unknown key of 68 characters (not shown`},
		{"wrong type", "[namespaces]\nbackend = \"~/code\"\n", 2, `the key "namespaces.backend" must be a list of path globs, like ["~/code/api", "~/code/svc-*"], not text`},
		{"a number as text", "[secrets]\nrecovery_window_days = \"ten\"\n", 2, `the key "secrets.recovery_window_days" must be a whole number of days, 7 to 30, not text`},
		{"text as a number", "[secrets]\nbackend = 1\n", 2, `the key "secrets.backend" must be text in quotes, like "file", not a number`},
		{"a table as a value", "namespaces = 1\n", 1, `the key "namespaces" must be a table, [namespaces], not a number`},
		{"hook quiet not a boolean", "[hook]\nquiet = \"yes\"\n", 2, `the key "hook.quiet" must be true or false, not text`},
		{"log enabled not a boolean", "[log]\nenabled = \"no\"\n", 2, `the key "log.enabled" must be true or false, not text`},
		{"unknown log key", "[log]\nenable = false\n", 2, `unknown key "log.enable"`},
		{"unknown hook key", "[hook]\nquite = true\n", 2, `unknown key "hook.quite"`},
		{"unknown exec key", "[exec.claude]\nonly = [\"A\"]\nmaks = false\n", 3, `unknown key "exec.claude.maks"`},
		{"exec names not a list", "[exec.claude]\nonly = \"A\"\n", 2, `the key "exec.claude.only" must be a list of names, like ["ANTHROPIC_API_KEY", "GITHUB_*"], not text`},
		{"exec mask not a boolean", "[exec.claude]\nmask = \"no\"\n", 2, `the key "exec.claude.mask" must be true or false, not text`},
		{"exec not a table", "[exec]\nclaude = 1\n", 2, `the key "exec.claude" must be a table, [exec.claude], not a number`},
		{"bad exec name", "[exec.aider]\nonly = [\"A\"]\n[exec.claude]\nonly = [\"A\"]\nexcept = [\"AWS-*\"]\n", 5, `[exec."claude"] except: "AWS-*" is not a variable name`},
		{"bad backend", "[secrets]\nbackend = \"vault\"\n", 2, `unknown backend "vault"; use one of keyring, file, aws, azure`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/cfg/config.toml", []byte(c.data))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ce.Line != c.line {
				t.Errorf("line = %d, want %d (%v)", ce.Line, c.line, err)
			}
			if !strings.Contains(err.Error(), "/cfg/config.toml") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("message %q lacks the file or %q", err, c.want)
			}
		})
	}
}

// TestLoadRefusesOddFiles: config.toml is read only when it is a regular
// file of at most MaxSize bytes (config_unix_test.go tries a FIFO).
func TestLoadRefusesOddFiles(t *testing.T) {
	write := func(t *testing.T, dir string, size int) {
		data := append([]byte("# "), bytes.Repeat([]byte("x"), size-3)...)
		if err := os.WriteFile(filepath.Join(dir, FileName), append(data, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write(t, dir, MaxSize)
	if _, err := Load(Paths{Config: dir}); err != nil {
		t.Fatalf("a file of exactly MaxSize bytes: %v", err)
	}
	write(t, dir, MaxSize+1)
	if _, err := Load(Paths{Config: dir}); err == nil || !strings.Contains(err.Error(), "kage reads at most 262144") {
		t.Fatalf("a file of MaxSize+1 bytes: %v", err)
	}

	folder := t.TempDir()
	if err := os.Mkdir(filepath.Join(folder, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Paths{Config: folder}); err == nil || !strings.Contains(err.Error(), "is not a regular file (a directory)") {
		t.Fatalf("a folder: %v", err)
	}
}

// TestDefaultPathsRefusesBadHomes: a KAGE_HOME that is a file, and a HOME
// that does not exist, are errors up front rather than a confusing one
// later, or a HOME that kage running as root would create.
func TestDefaultPathsRefusesBadHomes(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_DATA_HOME", "")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAGE_HOME", file)
	if _, err := DefaultPaths(); err == nil || !strings.Contains(err.Error(), "is not a folder") {
		t.Errorf("KAGE_HOME a file: %v", err)
	}
	t.Setenv("KAGE_HOME", filepath.Join(t.TempDir(), "not-yet"))
	if _, err := DefaultPaths(); err != nil {
		t.Errorf("a KAGE_HOME still to be created: %v", err)
	}
	t.Setenv("KAGE_HOME", "")
	t.Setenv("HOME", filepath.Join(t.TempDir(), "missing"))
	if _, err := DefaultPaths(); err == nil || !strings.Contains(err.Error(), "does not exist and XDG_CONFIG_HOME is empty") {
		t.Errorf("HOME missing: %v", err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if _, err := DefaultPaths(); err != nil {
		t.Errorf("HOME missing but both XDG folders set: %v", err)
	}
}
