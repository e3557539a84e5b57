package shellenv

// The hook must unload whatever it loaded even when loading failed half
// way: a name the shell refuses to assign (zsh's path, bash's UID, fish's
// status, nushell's PWD) or a name in kage's own space (__kage_saved_X).
// These tests run the real hook code (Hook) in the real shells, with this
// test binary standing in for `kage hook-env`.

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHookEnvHelper is not a test: the hook runs this test binary with
// -test.run=^TestHookEnvHelper$ hook-env SHELL, and it plays `kage
// hook-env`: it reads the step number from the file "step" (and counts it
// up), the variables this step should have loaded from "wantN"
// (NAME=value lines), what the shell has loaded from KAGE_LOADED, and
// prints the plan as cmd/kage's hookPlan builds it. A plan the shell
// refuses is reported on stderr and replaced by one that only unloads, as
// hook-env does.
func TestHookEnvHelper(t *testing.T) {
	if os.Getenv("KAGE_T_HOOKHELPER") != "1" {
		return
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	args := flag.Args()
	if len(args) != 2 || args[0] != "hook-env" {
		fail(fmt.Errorf("usage: hook-env SHELL, got %q", args))
	}
	sh, err := Get(args[1])
	if err != nil {
		fail(err)
	}
	b, _ := os.ReadFile("step")
	step, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	step++
	if err := os.WriteFile("step", []byte(strconv.Itoa(step)), 0o600); err != nil {
		fail(err)
	}
	var want []Var
	if b, err := os.ReadFile(fmt.Sprintf("want%d", step)); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				want = append(want, Var{Name: k, Value: []byte(v)})
			}
		}
	}
	loaded := strings.Split(os.Getenv("KAGE_LOADED"), ":")
	plan := func(want []Var) Plan {
		was := map[string]bool{}
		for _, n := range loaded {
			if n != "" {
				was[n] = true
			}
		}
		var p Plan
		now := map[string]bool{}
		var names []string
		for _, v := range want {
			now[v.Name] = true
			names = append(names, v.Name)
			if !was[v.Name] {
				p.Save = append(p.Save, v.Name)
			}
			p.Set = append(p.Set, v)
		}
		for n := range was {
			if !now[n] {
				p.Restore = append(p.Restore, n)
			}
		}
		sort.Strings(p.Restore)
		p.State = []Var{{Name: "KAGE_LOADED", Value: []byte(strings.Join(names, ":"))}, {Name: "KAGE_STATE", Value: []byte(strconv.Itoa(step))}}
		return p
	}
	out, err := sh.Render(plan(want))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kage: %s\n", err)
		if out, err = sh.Render(plan(nil)); err != nil {
			fail(err)
		}
	}
	os.Stdout.Write(out)
	// Exit here: the test framework would print PASS on stdout, into the
	// code the shell evaluates.
	os.Exit(0)
}

// hookDriver runs the real hook of one shell, with the helper as kage.
type hookDriver struct {
	label, shell, bin string
	// special are names this shell refuses to assign, or manages itself.
	special []string
	ext     string
	args    []string
	// script installs hook (the file holding Hook's code), then runs the
	// hook once per step, dumping the environment after each to envN.
	script func(hook string, steps int) string
}

func hookDrivers() []hookDriver {
	posix := func(label, shell, opts string, special []string, args ...string) hookDriver {
		return hookDriver{label: label, shell: shell, bin: shell, special: special, ext: ".sh", args: args,
			script: func(hook string, steps int) string {
				var b strings.Builder
				b.WriteString(opts)
				fmt.Fprintf(&b, "eval \"$(cat %s)\"\n", hook)
				for i := 1; i <= steps; i++ {
					fmt.Fprintf(&b, "_kage_hook\n\"$KAGE_T_EXE\" '-test.run=^TestDumpEnvHelper$' env%d >/dev/null\n", i)
				}
				return b.String()
			}}
	}
	return []hookDriver{
		posix("bash", "bash", "", []string{"BASHPID", "EUID", "SHELLOPTS", "UID"}, "--norc", "--noprofile"),
		posix("zsh", "zsh", "", []string{"ARGC", "argv", "options", "path", "status"}, "-f"),
		// A failed assignment's status must not end the hook early either.
		posix("zsh-err-return", "zsh", "setopt err_return\n", []string{"ARGC", "path", "status"}, "-f"),
		{label: "fish", shell: "fish", bin: "fish", special: []string{"PWD", "fish_pid", "status", "version"}, ext: ".fish", args: []string{"--no-config"},
			script: func(hook string, steps int) string {
				var b strings.Builder
				fmt.Fprintf(&b, "source %s\n", hook)
				for i := 1; i <= steps; i++ {
					fmt.Fprintf(&b, "__kage_hook\n$KAGE_T_EXE '-test.run=^TestDumpEnvHelper$' env%d >/dev/null\n", i)
				}
				return b.String()
			}},
		// elvish's hook lives in edit:before-readline, which a script has
		// not: the same closure body runs from a function instead.
		{label: "elvish", shell: "elvish", bin: "elvish", special: []string{"PWD"}, ext: ".elv", args: []string{"-norc"},
			script: func(hook string, steps int) string {
				var b strings.Builder
				b.WriteString("var __kage_saved = [&]\nfn kage-hook { nop $__kage_saved; eval ($E:KAGE_T_KAGE hook-env elvish | slurp) }\n")
				for i := 1; i <= steps; i++ {
					fmt.Fprintf(&b, "kage-hook\n(external $E:KAGE_T_EXE) '-test.run=^TestDumpEnvHelper$' env%d > /dev/null\n", i)
				}
				return b.String()
			}},
		{label: "nu", shell: "nu", bin: "nu", special: []string{"CURRENT_FILE", "FILE_PWD", "PWD"}, ext: ".nu", args: []string{"--no-config-file"},
			script: func(hook string, steps int) string {
				var b strings.Builder
				fmt.Fprintf(&b, "source %s\n", hook)
				for i := 1; i <= steps; i++ {
					fmt.Fprintf(&b, "do --env ($env.config.hooks.pre_prompt | last)\nrun-external $env.KAGE_T_EXE '-test.run=^TestDumpEnvHelper$' env%d | ignore\n", i)
				}
				return b.String()
			}},
	}
}

// TestHookUnloadsAfterFailedLoad loads a plan holding names each shell
// refuses to assign, moves to a second plan with such names, then to one
// with a name in kage's own __kage_saved_ space, then to an empty one,
// running the real hook each time. After each step no secret of an earlier step may
// be left, the variable the user had set before must be back, and after
// the last nothing kage set is left.
func TestHookUnloadsAfterFailedLoad(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range hookDrivers() {
		t.Run(d.label, func(t *testing.T) {
			t.Parallel()
			path, err := exec.LookPath(d.bin)
			if err != nil {
				if requireShells() {
					t.Fatalf("%s is not installed and KAGE_REQUIRE_SHELLS=1", d.bin)
				}
				t.Skipf("%s is not installed", d.bin)
			}
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			kage := filepath.Join(dir, "kage")
			wrapper := "#!/bin/sh\nexec \"$KAGE_T_EXE\" '-test.run=^TestHookEnvHelper$' \"$@\"\n"
			if err := os.WriteFile(kage, []byte(wrapper), 0o700); err != nil {
				t.Fatal(err)
			}
			hook, err := Hook(d.shell, kage, "")
			if err != nil {
				t.Fatal(err)
			}
			write := func(name, s string) {
				t.Helper()
				if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("hook"+d.ext, hook)
			// Steps 1 and 2 each load ordinary names around the special
			// ones (sorted, as kage sorts them); step 3 a name in kage's
			// own space beside the one whose saved copy it would replace;
			// step 4 nothing.
			steps := [][]string{
				append([]string{"KT_A", "KT_Z"}, d.special...),
				append([]string{"KT_B", "KT_Y"}, d.special...),
				{"KT_A", "__kage_saved_KT_A"},
				nil,
			}
			// What must be loaded after a step: the failures must not
			// keep the ordinary names from loading either.
			loaded := map[int][]string{0: {"KT_A", "KT_Z"}, 1: {"KT_B", "KT_Y"}}
			for i, names := range steps {
				sort.Strings(names)
				var b strings.Builder
				for _, n := range names {
					fmt.Fprintf(&b, "%s=kage-secret-%d-%s\n", n, i+1, n)
				}
				write(fmt.Sprintf("want%d", i+1), b.String())
			}
			write("driver"+d.ext, d.script("hook"+d.ext, len(steps)))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, path, append(append([]string{}, d.args...), "driver"+d.ext)...)
			cmd.Dir = dir
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "TERM=dumb",
				"XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CACHE_HOME=" + home,
				"KAGE_T_EXE=" + exe, "KAGE_T_KAGE=" + kage, "KAGE_T_DUMPHELPER=1", "KAGE_T_HOOKHELPER=1",
				// The user's own value, which kage replaces and must give back.
				"KT_A=mine",
			}
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("%s did not finish: %s", d.label, clip(out))
			}
			_ = err // the shells report the names they refuse; that is expected
			for i := range steps {
				b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("env%d", i+1)))
				if err != nil {
					t.Fatalf("%s: step %d: no environment dump: %v\n%s", d.label, i+1, err, clip(out))
				}
				env := map[string]string{}
				for _, kv := range bytes.Split(b, []byte{0}) {
					if k, v, ok := bytes.Cut(kv, []byte("=")); ok {
						env[string(k)] = string(v)
					}
				}
				for _, k := range sortedKeysS(env) {
					v := env[k]
					for earlier := 1; earlier <= i; earlier++ {
						if strings.Contains(v, fmt.Sprintf("kage-secret-%d-", earlier)) {
							t.Errorf("%s: after step %d, %s still holds step %d's secret %q", d.label, i+1, k, earlier, v)
						}
					}
				}
				for _, n := range loaded[i] {
					if w := fmt.Sprintf("kage-secret-%d-%s", i+1, n); env[n] != w {
						t.Errorf("%s: after step %d, %s = %q, want %q", d.label, i+1, n, env[n], w)
					}
				}
				if i == 1 && env["KT_A"] != "mine" {
					t.Errorf("%s: after step 2, KT_A = %q, want the user's own value %q back", d.label, env["KT_A"], "mine")
				}
				if i == len(steps)-1 {
					if env["KT_A"] != "mine" {
						t.Errorf("%s: after the unload KT_A = %q, want the user's own value %q back", d.label, env["KT_A"], "mine")
					}
					if env["KAGE_LOADED"] != "" {
						t.Errorf("%s: after the unload KAGE_LOADED = %q, want it empty", d.label, env["KAGE_LOADED"])
					}
				}
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", d.label, clip(out))
			}
		})
	}
}

func sortedKeysS(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPwshHookEmptyLoaded: pwsh is not installed here, so its text is
// checked instead. When nothing applies in the new folder KAGE_LOADED is
// empty; the plan must still unload, removing KAGE_LOADED rather than
// refusing the empty value (which left the shell with no code at all).
func TestPwshHookEmptyLoaded(t *testing.T) {
	ps, _ := Get("pwsh")
	out, err := ps.Render(Plan{
		Restore: []string{"TOKEN"},
		State:   []Var{{Name: "KAGE_LOADED", Value: nil}, {Name: "KAGE_STATE", Value: []byte("fp")}},
	})
	if err != nil {
		t.Fatalf("pwsh refused the unload plan: %v", err)
	}
	s := string(out)
	restore := strings.Index(s, "Remove-Item Env:TOKEN")
	state := strings.Index(s, "Remove-Item Env:KAGE_LOADED -ErrorAction SilentlyContinue\n")
	if restore < 0 || state < 0 || restore > state {
		t.Errorf("pwsh unload plan does not restore TOKEN and then remove KAGE_LOADED:\n%s", s)
	}
	// An empty secret is still refused: PowerShell before 7.5 would remove
	// the variable instead.
	if _, err := ps.Render(Plan{Set: []Var{{Name: "EMPTY"}}}); err == nil {
		t.Error("pwsh accepted an empty secret")
	}
	// The state comes before the first set.
	out, err = ps.Render(Plan{Set: []Var{{Name: "A", Value: []byte("a")}}, State: []Var{{Name: "KAGE_LOADED", Value: []byte("A")}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Index(s, "$env:KAGE_LOADED") > strings.Index(s, "$env:A ") {
		t.Errorf("pwsh sets a variable before recording the state:\n%s", s)
	}
}

// TestOwnNamesRefused: a secret in the space of the hook's saved copies
// would survive the unload and be handed back as the user's own value, and
// a secret with the name of a state variable would overwrite the state
// written before it. Every shell refuses both.
func TestOwnNamesRefused(t *testing.T) {
	for _, name := range Names() {
		s, _ := Get(name)
		for _, n := range []string{"__kage_saved_HOME", "__kage_unset_HOME", "__KAGE_SAVED", "__Kage_x"} {
			if out, err := s.Render(Plan{Set: []Var{{Name: n, Value: []byte("v")}}}); err == nil {
				t.Errorf("%s set %s: %q", name, n, out)
			}
		}
		if name == "dotenv" || name == "json" {
			continue
		}
		if out, err := s.Render(Plan{Save: []string{"__kage_saved_HOME"}}); err == nil {
			t.Errorf("%s saved __kage_saved_HOME: %q", name, out)
		}
		p := Plan{Set: []Var{{Name: "KAGE_LOADED", Value: []byte("X")}}, State: []Var{{Name: "KAGE_LOADED", Value: []byte("A")}}}
		if out, err := s.Render(p); err == nil {
			t.Errorf("%s set the state variable KAGE_LOADED as a secret: %q", name, out)
		}
		// Restoring one is allowed: an older kage may have loaded it, and
		// refusing would keep it loaded.
		if _, err := s.Render(Plan{Restore: []string{"__kage_saved_HOME"}}); err != nil {
			t.Errorf("%s refused to unload __kage_saved_HOME: %v", name, err)
		}
	}
}
