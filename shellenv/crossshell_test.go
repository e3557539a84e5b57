package shellenv

// The cross product: every format kage writes, read by every installed
// shell, not only the one it was written for. Detection can guess wrong
// (the parent is not a shell and $SHELL names another one), so what one
// shell reads as quoted data another must not read as code. Values may be
// mangled or refused by the wrong reader; no command may run.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/hostile"
)

// crossPayloads are injection attempts aimed at each shell's reading of
// each other shell's quoting. @M@ is replaced by a marker file name of its
// own, a plain word every shell reads alike.
var crossPayloads = []string{
	// POSIX sh.
	"$(touch @M@)",
	"`touch @M@`",
	"';touch @M@;#",
	`\';touch @M@;#`,
	`'\'';touch @M@;#`,
	`"; touch @M@; #`,
	`\"; touch @M@; #`,
	`'"; touch @M@; #`,
	"x\ntouch @M@\n",
	"'\ntouch @M@\n'",
	"\"\ntouch @M@\n\"",
	"\\\ntouch @M@",
	"\\\\\ntouch @M@",
	"x\rtouch @M@",
	"${KAGE_T_UNSET:-$(touch @M@)}",
	"$((0))$(touch @M@)",
	`"$(touch @M@)"`,
	"\\`touch @M@\\`",
	`\$(touch @M@)`,
	// fish.
	"(touch @M@)",
	`'; touch @M@; echo '`,
	`\'; touch @M@; echo \'`,
	`\\'; touch @M@; echo \\'`,
	"'; end; touch @M@; if true; '",
	"\\\n(touch @M@)",
	`"(touch @M@)"`,
	// elvish.
	`"; touch @M@; echo "`,
	`\"; touch @M@; echo \"`,
	`\\"; touch @M@; echo \\"`,
	`" } touch @M@ { "`,
	"{ touch @M@ }",
	`\x22; touch @M@; #`,
	`\x27; touch @M@; #`,
	// nushell.
	"^touch @M@",
	"(^touch @M@)",
	`$"(^touch @M@)"`,
	`"; ^touch @M@; #`,
	`'; ^touch @M@; #`,
	"`; ^touch @M@; #",
	"r#'; ^touch @M@; #'#",
	"\n^touch @M@\n",
	`\"; ^touch @M@; #`,
	// JSON and dotenv.
	`","X":"$(touch @M@)`,
	`\u0022; touch @M@; #`,
	`\u0027; touch @M@; #`,
	"\"\nX=1\n$(touch @M@)",
	`\u0024(touch @M@)`,
	`\x24(touch @M@)`,
	// PowerShell.
	"$(New-Item -ItemType File -Path @M@)",
	"'; New-Item -ItemType File -Path @M@; #",
	"\u2019; New-Item -ItemType File -Path @M@; #",
	"\u201a; New-Item -ItemType File -Path @M@; #",
	"\u201d; New-Item -ItemType File -Path @M@; #",
	"`\"; New-Item -ItemType File -Path @M@; #",
	"`\nNew-Item -ItemType File -Path @M@",
	// Escapes some reader might decode into a quote or a line end.
	`\ntouch @M@`,
	`\x0atouch @M@`,
	`\u000atouch @M@`,
	`\012touch @M@`,
	`\047;touch @M@;#`,
	// Unicode quotes and line ends, controls.
	"\u2018; touch @M@; \u2019",
	"\u201c; touch @M@; \u201d",
	"\u2018$(touch @M@)\u2019",
	"a\u2028touch @M@",
	"a\u0085touch @M@",
	"a\x0btouch @M@",
	"a\x0ctouch @M@",
	"\x1b[2K\rtouch @M@",
	"a\x1a\ntouch @M@",
	// A backslash at the very end joins the next line in some readers.
	`abc\`,
	`abc\\`,
	`abc'`,
}

// crossReader is one real shell reading a file the way its users load
// kage's output.
type crossReader struct {
	label, bin string
	// driver builds the whole driver script for the code files; it must
	// write the file "done" last, so a driver that stopped early shows.
	driver func(files []string) string
	ext    string
	// args runs the driver script.
	args func(path, script string) (string, []string)
	// chunk is how many values one code file holds: nushell and pwsh
	// start a process a file.
	chunk int
}

func crossReaders() []crossReader {
	posix := func(label string, args ...string) crossReader {
		return crossReader{
			label: label, bin: label, ext: ".sh", chunk: 1,
			driver: func(files []string) string {
				var b strings.Builder
				for _, f := range files {
					// A subshell each: an error in one file (dash exits on
					// some) must not stop the next.
					fmt.Fprintf(&b, "( eval \"$(cat %s)\" ) </dev/null >/dev/null 2>&1\n", f)
				}
				b.WriteString(": > done\n")
				return b.String()
			},
			args: func(path, s string) (string, []string) { return path, append(append([]string{}, args...), s) },
		}
	}
	perProcess := func(label, bin string, chunk int, eval func(bin, f string) string) crossReader {
		return crossReader{
			label: label, bin: bin, ext: ".sh", chunk: chunk,
			driver: func(files []string) string {
				var b strings.Builder
				for _, f := range files {
					b.WriteString(eval(bin, f) + " </dev/null >/dev/null 2>&1\n")
				}
				b.WriteString(": > done\n")
				return b.String()
			},
			args: func(_, s string) (string, []string) { return "bash", []string{"--norc", "--noprofile", s} },
		}
	}
	return []crossReader{
		posix("bash", "--norc", "--noprofile"),
		posix("zsh", "-f"),
		posix("dash"),
		{
			label: "fish", bin: "fish", ext: ".fish", chunk: 1,
			driver: func(files []string) string {
				var b strings.Builder
				for _, f := range files {
					fmt.Fprintf(&b, "source %s </dev/null >/dev/null 2>&1\n", f)
				}
				b.WriteString("touch done\n")
				return b.String()
			},
			args: func(path, s string) (string, []string) { return path, []string{"--no-config", s} },
		},
		{
			label: "elvish", bin: "elvish", ext: ".elv", chunk: 1,
			driver: func(files []string) string {
				var b strings.Builder
				// The hook's plans use the map the hook declares.
				b.WriteString("var __kage_saved = [&]\n")
				for _, f := range files {
					fmt.Fprintf(&b, "try { nop $__kage_saved; eval (slurp < %s) > /dev/null 2> /dev/null } catch { }\n", f)
				}
				b.WriteString("print > done\n")
				return b.String()
			},
			args: func(path, s string) (string, []string) { return path, []string{"-norc", s} },
		},
		// nushell cannot evaluate a string; `source` needs a file known at
		// parse time and a parse error there stops the caller, so each file
		// is its own script.
		perProcess("nu", "nu", 12, func(bin, f string) string { return bin + " --no-config-file " + f }),
		perProcess("pwsh", "pwsh", 8, func(bin, f string) string {
			return bin + " -NoLogo -NoProfile -NonInteractive -Command 'Get-Content -Raw -LiteralPath " + f + " | Out-String | Invoke-Expression'"
		}),
	}
}

// crossValue is one value to render, with the marker its payload creates.
type crossValue struct {
	label  string
	value  []byte
	marker string
}

// crossValues builds the payloads for one format: crossPayloads with a
// marker each, then the shared hostile values and random mixes of them,
// all creating markers named after the format so a hit says which format
// broke.
func crossValues(format string) []crossValue {
	var out []crossValue
	for i, p := range crossPayloads {
		m := fmt.Sprintf("M_%s_%03d", format, i)
		out = append(out, crossValue{label: fmt.Sprintf("payload %d %q", i, p), value: []byte(strings.ReplaceAll(p, "@M@", m)), marker: m})
	}
	hm := "M_" + format + "_hostile"
	for _, v := range append(hostile.Values(hm), hostile.Random(hm, 3, 60)...) {
		out = append(out, crossValue{label: v.Label, value: v.Bytes, marker: hm})
	}
	return out
}

// crossFile is one code file: a format's rendering of some values.
type crossFile struct {
	name   string
	format string
	hook   bool
	values []crossValue
}

// crossFiles renders every format's plans for r: plain `kage env` plans
// and, for the formats that have them, the hook's plans (Restore, Save,
// Set, Unset and State), each value alone (or in small chunks) and all
// together, so a value also meets its neighbours.
func crossFiles(t *testing.T, dir string, chunk int) []crossFile {
	t.Helper()
	var files []crossFile
	for _, format := range Names() {
		enc, err := Get(format)
		if err != nil {
			t.Fatal(err)
		}
		for _, hook := range []bool{false, true} {
			plan := func(vals []crossValue) Plan {
				var p Plan
				for i, v := range vals {
					p.Set = append(p.Set, Var{Name: fmt.Sprintf("KT_%03d", i), Value: v.value})
				}
				if hook {
					p.Restore = []string{"KT_OLD_A", "KT_OLD_B"}
					p.Save = []string{"KT_000", "KT_001"}
					p.Unset = []string{"KT_GONE"}
					p.State = []Var{{Name: "KAGE_T_LOADED", Value: []byte("KT_000:KT_001")}, {Name: "KAGE_T_STATE", Value: []byte("0123abcd")}}
				}
				return p
			}
			if _, err := enc.Render(plan(nil)); err != nil {
				continue // dotenv and json have no hook plans
			}
			// Each targeted payload alone (in small chunks for the readers
			// that start a process a file), the shared hostile values in
			// larger chunks, and everything together once.
			// The 64 KiB values are left to the round-trip tests: elvish
			// takes seconds to report its parse errors in a long file
			// written for another shell, and they repeat the short ones.
			var ok, targeted, shared []crossValue
			for _, v := range crossValues(format) {
				if _, err := enc.Render(plan([]crossValue{v})); err != nil {
					continue
				}
				if len(v.value) > 4096 {
					continue
				}
				ok = append(ok, v)
				if strings.HasSuffix(v.marker, "_hostile") {
					shared = append(shared, v)
				} else {
					targeted = append(targeted, v)
				}
			}
			groups := append(chunks(targeted, chunk), chunks(shared, 24)...)
			groups = append(groups, ok)
			for _, g := range groups {
				code, err := enc.Render(plan(g))
				if err != nil {
					t.Fatalf("%s: render: %v", format, err)
				}
				name := fmt.Sprintf("code_%s_%d", format, len(files))
				if hook {
					name += "_hook"
				}
				if err := os.WriteFile(filepath.Join(dir, name), code, 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, crossFile{name: name, format: format, hook: hook, values: g})
			}
		}
	}
	return files
}

// chunks splits vals into groups of at most n.
func chunks(vals []crossValue, n int) [][]crossValue {
	var out [][]crossValue
	for i := 0; i < len(vals); i += n {
		out = append(out, vals[i:min(i+n, len(vals))])
	}
	return out
}

// TestNoFormatRunsInAnotherShell renders hostile values in every format
// and has every installed shell evaluate every rendering as its users load
// kage's output (eval "$(…)", source, eval (slurp), nu FILE,
// Invoke-Expression). Errors are expected when the format is another
// shell's; a marker file appearing means a value ran as code.
func TestNoFormatRunsInAnotherShell(t *testing.T) {
	for _, rd := range crossReaders() {
		t.Run(rd.label, func(t *testing.T) {
			t.Parallel()
			path, err := exec.LookPath(rd.bin)
			if err != nil {
				if rd.bin == "pwsh" {
					t.Skip("pwsh is not installed: the PowerShell reading of the other formats is not checked here")
				}
				if requireShells() {
					t.Fatalf("%s is not installed and KAGE_REQUIRE_SHELLS=1", rd.bin)
				}
				t.Skipf("%s is not installed", rd.bin)
			}
			dir := t.TempDir()
			for _, d := range []string{"home", "xdg"} {
				if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			files := crossFiles(t, dir, rd.chunk)
			// A control file in the reader's own language proves the
			// driver really evaluates the files: it must create "control".
			ctl := "touch control\n"
			if rd.bin == "pwsh" {
				ctl = "New-Item -ItemType File -Path control | Out-Null\n"
			}
			if err := os.WriteFile(filepath.Join(dir, "code_control"), []byte(ctl), 0o600); err != nil {
				t.Fatal(err)
			}
			names := []string{"code_control"}
			expected := map[string]bool{"home": true, "xdg": true, "done": true, "code_control": true, "control": true}
			for _, f := range files {
				names = append(names, f.name)
				expected[f.name] = true
			}
			script := "driver" + rd.ext
			expected[script] = true
			if err := os.WriteFile(filepath.Join(dir, script), []byte(rd.driver(names)), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bin, args := rd.args(path, script)
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir = dir
			xdg := filepath.Join(dir, "xdg")
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(dir, "home"),
				"XDG_CONFIG_HOME=" + xdg, "XDG_DATA_HOME=" + xdg, "XDG_CACHE_HOME=" + xdg, "XDG_STATE_HOME=" + xdg,
				"LANG=C.UTF-8", "TERM=dumb",
			}
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("%s: the driver did not finish: %v\n%s", rd.label, err, clip(out))
			}
			byMarker := map[string][]string{}
			for _, f := range files {
				for _, v := range f.values {
					byMarker[v.marker] = append(byMarker[v.marker], fmt.Sprintf("%s (%s%s)", v.label, f.format, map[bool]string{true: " hook plan", false: ""}[f.hook]))
				}
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if expected[e.Name()] {
					continue
				}
				if where, ok := byMarker[e.Name()]; ok {
					if strings.HasSuffix(e.Name(), "_hostile") {
						t.Errorf("%s ran a command hidden in one of the values of internal/hostile: %s exists", rd.label, e.Name())
					} else {
						t.Errorf("%s ran a command hidden in a value: %s exists; from %s", rd.label, e.Name(), where[0])
					}
					continue
				}
				t.Errorf("%s: unexpected file %q appeared: did an injected command run?", rd.label, e.Name())
			}
			if _, err := os.Stat(filepath.Join(dir, "control")); err != nil {
				t.Errorf("%s: the control file did not run: the driver evaluates nothing\n%s", rd.label, clip(out))
			}
			if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
				t.Errorf("%s: the driver stopped before its end, so later files were not read:\n%s", rd.label, clip(out))
			}
		})
	}
}
