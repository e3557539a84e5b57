package shellenv

// Helpers that run rendered code in the real shells. Each shell gets a
// driver script that evaluates code files the way users do and then dumps
// the exported environment through this test binary (TestDumpEnvHelper),
// which sees exactly what a program started from the shell would see.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// realShell says how to drive one real shell.
type realShell struct {
	label string // test name: bash, zsh, zsh-opts, dash, fish, elvish, pwsh, nu
	enc   string // the encoder, for Get
	bin   string // program looked up on PATH
	// required shells must be installed when KAGE_REQUIRE_SHELLS=1.
	required bool
	// hook: the shell can run Save/Restore plans (nu cannot eval code; its
	// hook closure lives in hook.go and is not driven here).
	hook bool
	// args runs the driver script file.
	args func(script string) []string
	// prelude starts every driver script.
	prelude string
	// evalTop evaluates a code file the way `kage env` output is loaded at
	// the prompt; evalHook the way the prompt hook does, inside a function.
	evalTop, evalHook func(file string) string
	// dump runs the dump helper, which writes the environment to file.
	dump func(file string) string
	// printVar writes the shell's own value of name to file, byte-exact,
	// without starting a program (used by the fuzzers, where speed counts).
	printVar func(name, file string) string
	ext      string // driver file extension
}

// canHold reports whether enc can hold v at all; values it refuses are
// checked to be refused elsewhere.
func (s realShell) canHold(v []byte) bool {
	switch s.enc {
	case "pwsh":
		return utf8.Valid(v) && len(v) > 0
	case "nu", "json":
		return utf8.Valid(v)
	}
	return true
}

const dumpTest = "^TestDumpEnvHelper$"

var posixEval = func(f string) string { return `eval "$(cat ` + f + `)"` }

func posixShell(label, enc, bin string, args func(string) []string, extra string) realShell {
	return realShell{
		label: label, enc: enc, bin: bin, required: true, hook: true, args: args,
		prelude:  "set -u\n" + extra + "kage_hook() { eval \"$(cat \"$1\")\"; }\n",
		evalTop:  posixEval,
		evalHook: func(f string) string { return "kage_hook " + f },
		dump: func(f string) string {
			return `"$KAGE_T_EXE" '-test.run=` + dumpTest + `' ` + f + ` >/dev/null || exit 1`
		},
		printVar: func(n, f string) string { return `printf '%s' "$` + n + `" > ` + f },
		ext:      ".sh",
	}
}

// realShells lists every shell the tests drive, installed or not.
func realShells() []realShell {
	return []realShell{
		posixShell("bash", "bash", "bash", func(s string) []string { return []string{"--norc", "--noprofile", s} }, ""),
		posixShell("zsh", "zsh", "zsh", func(s string) []string { return []string{"-f", s} }, ""),
		// zsh with the options most likely to change how quoted words and
		// expansions behave: RC_QUOTES reads '' inside quotes as a quote.
		posixShell("zsh-opts", "zsh", "zsh", func(s string) []string { return []string{"-f", s} },
			"setopt rcquotes shwordsplit globsubst globassign magicequalsubst\n"),
		posixShell("dash", "sh", "dash", func(s string) []string { return []string{s} }, ""),
		{
			label: "fish", enc: "fish", bin: "fish", required: true, hook: true,
			args:     func(s string) []string { return []string{"--no-config", s} },
			prelude:  "function kage_hook; cat $argv[1] | source; end\n",
			evalTop:  func(f string) string { return "cat " + f + " | source" },
			evalHook: func(f string) string { return "kage_hook " + f },
			dump: func(f string) string {
				return "$KAGE_T_EXE '-test.run=" + dumpTest + "' " + f + " >/dev/null; or exit 1"
			},
			printVar: func(n, f string) string { return `printf '%s' "$` + n + `" > ` + f },
			ext:      ".fish",
		},
		{
			label: "elvish", enc: "elvish", bin: "elvish", required: true, hook: true,
			args: func(s string) []string { return []string{"-norc", s} },
			// The hook function mentions $__kage_saved so that its closure
			// captures it: eval sees only the caller's variables.
			prelude: "var __kage_saved = [&]\n" +
				"fn kage-hook {|f| nop $__kage_saved; eval (cat $f | slurp) }\n",
			evalTop:  func(f string) string { return "eval (cat " + f + " | slurp)" },
			evalHook: func(f string) string { return "kage-hook " + f },
			dump: func(f string) string {
				return "(external $E:KAGE_T_EXE) '-test.run=" + dumpTest + "' " + f + " > /dev/null"
			},
			printVar: func(n, f string) string { return "print (get-env " + n + ") > " + f },
			ext:      ".elv",
		},
		{
			label: "pwsh", enc: "pwsh", bin: "pwsh", hook: true,
			args: func(s string) []string { return []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-File", s} },
			prelude: "$ErrorActionPreference = 'Stop'\n" +
				"function kage_hook($f) { Get-Content -Raw -LiteralPath $f | Out-String | Invoke-Expression }\n",
			evalTop: func(f string) string {
				return "Get-Content -Raw -LiteralPath " + f + " | Out-String | Invoke-Expression"
			},
			evalHook: func(f string) string { return "kage_hook " + f },
			dump: func(f string) string {
				return "& $env:KAGE_T_EXE '-test.run=" + dumpTest + "' " + f + " | Out-Null; if ($LASTEXITCODE -ne 0) { exit 1 }"
			},
			printVar: func(n, f string) string {
				return "[IO.File]::WriteAllBytes((Join-Path (Get-Location) '" + f + "'), [Text.Encoding]::UTF8.GetBytes($env:" + n + "))"
			},
			ext: ".ps1",
		},
		{
			label: "nu", enc: "nu", bin: "nu",
			args:    func(s string) []string { return []string{"--no-config-file", s} },
			evalTop: func(f string) string { return "open --raw " + f + " | from json | load-env" },
			dump: func(f string) string {
				return "run-external $env.KAGE_T_EXE '-test.run=" + dumpTest + "' " + f + " | ignore"
			},
			printVar: func(n, f string) string { return "$env." + n + " | save --raw --force " + f },
			ext:      ".nu",
		},
	}
}

// requireShells is set by KAGE_REQUIRE_SHELLS=1 (CI): a missing required
// shell is then a failure, not a skip.
func requireShells() bool { return os.Getenv("KAGE_REQUIRE_SHELLS") == "1" }

// lookShell returns the shell's path or skips (or fails) the test.
func lookShell(tb testing.TB, s realShell) string {
	tb.Helper()
	p, err := exec.LookPath(s.bin)
	if err != nil {
		if s.required && requireShells() {
			tb.Fatalf("%s is not installed and KAGE_REQUIRE_SHELLS=1", s.bin)
		}
		tb.Skipf("%s is not installed", s.bin)
	}
	return p
}

// TestDumpEnvHelper is not a test: the shells run this test binary with
// -test.run=^TestDumpEnvHelper$ FILE to write the environment they export
// to FILE, NUL-separated, exactly as a child program receives it.
func TestDumpEnvHelper(t *testing.T) {
	if os.Getenv("KAGE_T_DUMPHELPER") != "1" {
		return
	}
	var b bytes.Buffer
	for _, kv := range os.Environ() {
		b.WriteString(kv)
		b.WriteByte(0)
	}
	if err := os.WriteFile(flag.Arg(0), b.Bytes(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is one driver run in its own directory.
type run struct {
	t     testing.TB
	sh    realShell
	path  string // the shell's program
	dir   string
	files map[string]bool // files the test wrote or expects: nothing else may appear
	body  strings.Builder
	env   []string // extra KEY=VALUE for the shell process
	n     int
}

func newRun(tb testing.TB, sh realShell, path string) *run {
	dir := tb.TempDir()
	for _, d := range []string{"home", "xdg"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	r := &run{t: tb, sh: sh, path: path, dir: dir, files: map[string]bool{"home": true, "xdg": true}}
	r.body.WriteString(sh.prelude)
	return r
}

// code writes the rendered code to a new file and returns its name.
func (r *run) code(b []byte) string {
	r.n++
	name := fmt.Sprintf("code%d", r.n)
	r.write(name, b)
	return name
}

func (r *run) write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(r.dir, name), b, 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.files[name] = true
}

// line appends a statement to the driver.
func (r *run) line(s string) { r.body.WriteString(s + "\n") }

// dumpEnv appends a dump and returns the name of the file it will write.
func (r *run) dumpEnv() string {
	r.n++
	name := fmt.Sprintf("env%d", r.n)
	r.files[name] = true
	r.line(r.sh.dump(name))
	return name
}

// exec runs the driver; it fails the test if the shell exits non-zero or
// writes to stderr, or if any file appeared that the test did not expect
// (an injected command creating its marker, or any other file).
func (r *run) exec(marker string) {
	r.t.Helper()
	script := "driver" + r.sh.ext
	r.write(script, []byte(r.body.String()))
	exe, err := os.Executable()
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.path, r.sh.args(script)...)
	cmd.Dir = r.dir
	home := filepath.Join(r.dir, "home")
	xdg := filepath.Join(r.dir, "xdg")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + xdg,
		"XDG_DATA_HOME=" + xdg,
		"XDG_CACHE_HOME=" + xdg,
		"XDG_STATE_HOME=" + xdg,
		"LANG=C.UTF-8",
		"TERM=dumb",
		"KAGE_T_EXE=" + exe,
		"KAGE_T_DUMPHELPER=1",
	}, r.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if _, serr := os.Stat(marker); serr == nil {
		r.t.Errorf("%s: an injected command ran: %s exists", r.sh.label, marker)
	}
	if err != nil || stderr.Len() > 0 {
		r.t.Fatalf("%s: %v\nstderr:\n%s\nstdout:\n%s", r.sh.label, err, clip(stderr.Bytes()), clip(stdout.Bytes()))
	}
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range ents {
		if !r.files[e.Name()] {
			r.t.Errorf("%s: unexpected file %q appeared: did an injected command run?", r.sh.label, e.Name())
		}
	}
}

// readFile returns a file the driver wrote.
func (r *run) readFile(name string) []byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		r.t.Fatalf("%s: %v", r.sh.label, err)
	}
	return b
}

// lookPathQuiet finds an optional program.
func lookPathQuiet(bin string) (string, error) { return exec.LookPath(bin) }

// readEnv parses a dump written by TestDumpEnvHelper.
func (r *run) readEnv(name string) map[string][]byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		r.t.Fatalf("%s: no environment dump: %v", r.sh.label, err)
	}
	env := map[string][]byte{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok {
			env[string(k)] = v
		}
	}
	return env
}

// clip shortens output for failure messages.
func clip(b []byte) string {
	if len(b) > 2000 {
		return fmt.Sprintf("%q… (%d bytes)", b[:2000], len(b))
	}
	return string(b)
}

// show renders a value for a failure message.
func show(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q… (%d bytes)", b[:200], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// sortedKeys is for stable failure messages.
func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
