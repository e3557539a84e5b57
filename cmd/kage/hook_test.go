//go:build !windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// hookShell says how to drive one interactive shell with the kage hook.
type hookShell struct {
	name string
	argv []string
	// init sets a plain prompt and installs the hook.
	init string
	// show prints <VALUE> of an exported variable, or <UNSET>.
	show func(name string) string
	// cd changes directory.
	cd func(dir string) string
	// setenv exports a variable from the shell itself.
	setenv func(name, value string) string
	// marker prints "step-N-done" without the typed line matching it.
	marker func(n int) string
	// init2 is a second line of set-up, for shells whose first line must
	// run before the next is parsed (nu's source takes a file that exists).
	init2 string
}

func posixMarker(n int) string { return fmt.Sprintf("echo step-%d-''done", n) }

var hookShells = []hookShell{
	{
		name: "bash", argv: []string{"bash", "--norc", "--noprofile", "-i"},
		init:   `PS1='$ '; eval "$(kage hook bash)"`,
		show:   func(n string) string { return fmt.Sprintf(`echo "<$(printenv %s || echo UNSET)>"`, n) },
		cd:     func(d string) string { return "cd " + d },
		setenv: func(n, v string) string { return "export " + n + "=" + v },
		marker: posixMarker,
	},
	{
		name: "zsh", argv: []string{"zsh", "-f", "-i"},
		init:   `PS1='$ '; eval "$(kage hook zsh)"`,
		show:   func(n string) string { return fmt.Sprintf(`echo "<$(printenv %s || echo UNSET)>"`, n) },
		cd:     func(d string) string { return "cd " + d },
		setenv: func(n, v string) string { return "export " + n + "=" + v },
		marker: posixMarker,
	},
	{
		name: "fish", argv: []string{"fish", "--no-config", "-i"},
		init:   `function fish_prompt; echo -n '$ '; end; kage hook fish | source`,
		show:   func(n string) string { return fmt.Sprintf(`echo "<"(printenv %s; or echo UNSET)">"`, n) },
		cd:     func(d string) string { return "cd " + d },
		setenv: func(n, v string) string { return "set -gx " + n + " " + v },
		marker: posixMarker,
	},
	{
		name: "elvish", argv: []string{"elvish", "-norc"},
		init: `set edit:prompt = { put '$ ' }; eval (kage hook elvish | slurp)`,
		show: func(n string) string {
			return fmt.Sprintf(`echo '<'(try { printenv %s } catch { echo UNSET })'>'`, n)
		},
		cd:     func(d string) string { return "cd " + d },
		setenv: func(n, v string) string { return "set-env " + n + " " + v },
		marker: posixMarker,
	},
	{
		name: "nu", argv: []string{"nu", "--no-config-file"},
		init:  `$env.PROMPT_COMMAND = {|| '$ ' }; $env.PROMPT_INDICATOR = ''; $env.PROMPT_COMMAND_RIGHT = ''; kage hook nu | save -f kage-hook.nu`,
		init2: `source kage-hook.nu`,
		show: func(n string) string {
			return fmt.Sprintf(`print $"<($env.%s? | default 'UNSET')>"`, n)
		},
		cd:     func(d string) string { return "cd " + d },
		setenv: func(n, v string) string { return "$env." + n + " = '" + v + "'" },
		marker: func(n int) string { return fmt.Sprintf(`print ("step-%d-" + "done")`, n) },
	},
}

// TestHookInteractive runs each shell in a real terminal with the hook
// installed: entering a repo loads its secrets, leaving unloads them and
// restores what the variable held (even when KAGE_LOADED holds a name that
// is no variable name), a set or delete shows at the next prompt, and a
// keychain failure is reported once, not at every prompt.
func TestHookInteractive(t *testing.T) {
	for _, sh := range hookShells {
		t.Run(sh.name, func(t *testing.T) {
			if _, err := exec.LookPath(sh.argv[0]); err != nil {
				if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
					t.Fatalf("%s is not installed", sh.argv[0])
				}
				t.Skipf("%s is not installed", sh.argv[0])
			}
			testHook(t, sh)
		})
	}
}

func testHook(t *testing.T, sh hookShell) {
	bus := testkeyring.Start(t)
	home := t.TempDir()
	api := filepath.Join(home, "api")
	if out, err := exec.Command("git", "init", "-q", api).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	other := filepath.Join(home, "other")
	if out, err := exec.Command("git", "init", "-q", other).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	set := func(name, scope, value string) {
		t.Helper()
		if out, err := kageCmd(t, bus, home, value, "secret", "set", name, "--scope", scope).CombinedOutput(); err != nil {
			t.Fatalf("set %s: %v: %s", name, err, out)
		}
	}
	set("TOKEN", "repo:"+api, "repo-token")
	set("GLOBAL_ONE", "global", "global-one")

	term := newTerminalArgv(t, bus, home, sh.argv)
	term.waitSettled()
	term.tmux("send-keys", "-l", sh.init)
	term.tmux("send-keys", "Enter")
	step := 0
	if sh.init2 != "" {
		// Wait for the first line to finish before the second is parsed.
		step++
		term.tmux("send-keys", "-l", sh.marker(step))
		term.tmux("send-keys", "Enter")
		term.waitFor(fmt.Sprintf("step-%d-done\n", step))
		term.tmux("send-keys", "-l", sh.init2)
		term.tmux("send-keys", "Enter")
	}
	run := func(line string) {
		t.Helper()
		step++
		term.tmux("send-keys", "-l", line+"; "+sh.marker(step))
		term.tmux("send-keys", "Enter")
		term.waitFor(fmt.Sprintf("step-%d-done\n", step))
	}
	expect := func(name, want string) {
		t.Helper()
		run(sh.show(name))
		lines := strings.Split(term.tmux("capture-pane", "-p", "-S", "-200"), "\n")
		// The answer is the last <…> line before this step's marker.
		var got string
		for _, l := range lines {
			if strings.HasPrefix(l, "<") && strings.HasSuffix(l, ">") {
				got = l
			}
			if l == fmt.Sprintf("step-%d-done", step) {
				break
			}
		}
		if got != "<"+want+">" {
			t.Fatalf("%s: %s = %s, want <%s>\n%s", sh.name, name, got, want, term.tmux("capture-pane", "-p", "-S", "-200"))
		}
	}
	// notices counts the hook's lines that hold "kage: loaded <where>" and
	// end with names: the line is printed at the prompt, so typed-ahead
	// input may be echoed before it.
	notices := func(where, names string) int {
		t.Helper()
		n := 0
		for _, l := range strings.Split(term.tmux("capture-pane", "-p", "-S", "-200"), "\n") {
			l = strings.TrimRight(l, " ")
			if strings.Contains(l, "kage: loaded "+where) && strings.HasSuffix(l, ": "+names) {
				n++
			}
		}
		return n
	}
	noticed := func(where, names string, want int) {
		t.Helper()
		if got := notices(where, names); got != want {
			t.Fatalf("%s: %d lines \"kage: loaded %s…: %s\", want %d\n%s", sh.name, got, where, names, want, term.tmux("capture-pane", "-p", "-S", "-200"))
		}
	}
	run("cd " + home)
	expect("GLOBAL_ONE", "global-one")
	expect("TOKEN", "UNSET")
	noticed("global", "+GLOBAL_ONE", 1)

	run(sh.cd(api))
	expect("TOKEN", "repo-token")
	noticed("repo:", "+TOKEN", 1)
	// Prompts where nothing changed say nothing.
	run("true")
	run("true")
	noticed("repo:", "+TOKEN", 1)
	run(sh.cd(home))
	expect("TOKEN", "UNSET")
	noticed("global", "-TOKEN", 1)

	// A value the shell had before kage is restored on leaving.
	run(sh.setenv("TOKEN", "mine"))
	run(sh.cd(api))
	expect("TOKEN", "repo-token")
	noticed("repo:", "~TOKEN", 1)
	run(sh.cd(home))
	expect("TOKEN", "mine")
	// Names only: no value on any of the hook's lines.
	for _, l := range strings.Split(term.tmux("capture-pane", "-p", "-S", "-200"), "\n") {
		if i := strings.Index(l, "kage: "); i >= 0 && strings.Contains(l, "loaded") {
			if rest := l[i:]; strings.Contains(rest, "repo-token") || strings.Contains(rest, "global-one") || strings.Contains(rest, "mine") {
				t.Fatalf("%s: a value reached the hook's line: %q", sh.name, rest)
			}
		}
	}

	// KAGE_LOADED is the environment's, and anyone may have written it: a
	// name in it that is no variable name must not stop the unload.
	run(sh.cd(api))
	expect("TOKEN", "repo-token")
	run(sh.setenv("KAGE_LOADED", "GLOBAL_ONE:TOKEN:bad-name:__kage_saved_TOKEN"))
	run(sh.cd(home))
	expect("TOKEN", "mine")

	// A set or delete from elsewhere shows at the next prompt.
	run(sh.cd(api))
	set("ADDED", "repo:"+api, "added-later")
	run("true")
	expect("ADDED", "added-later")
	if out, err := kageCmd(t, bus, home, "", "secret", "delete", "ADDED", "--scope", "repo:"+api).CombinedOutput(); err != nil {
		t.Fatalf("delete: %v: %s", err, out)
	}
	run("true")
	expect("ADDED", "UNSET")

	// A keychain failure: one line, not one per prompt; secrets unloaded.
	bus.StopSecrets()
	run(sh.cd(other))
	run("true")
	run("true")
	screen := term.tmux("capture-pane", "-p", "-S", "-200")
	if n := strings.Count(screen, "no Secret Service"); n != 1 {
		t.Fatalf("%s: the keychain failure was reported %d times, want once:\n%s", sh.name, n, screen)
	}
	expect("GLOBAL_ONE", "UNSET")
	expect("TOKEN", "mine")
}

// waitSettled waits until the shell has drawn something and the screen has
// stopped changing: some line editors (nu's) drop keys typed before they
// start.
func (term *terminal) waitSettled() {
	term.t.Helper()
	last := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		sc := term.tmux("capture-pane", "-p")
		if strings.TrimSpace(sc) != "" && sc == last {
			return
		}
		last = sc
		time.Sleep(150 * time.Millisecond)
	}
	term.t.Fatalf("the shell never settled:\n%s", last)
}

// newTerminalArgv starts argv in a new tmux session against bus.
func newTerminalArgv(t *testing.T, bus *testkeyring.Bus, home string, argv []string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatal("tmux is not installed")
		}
		t.Skip("tmux is not installed: skipping the terminal test")
	}
	term := &terminal{t: t, socket: fmt.Sprintf("kage-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")), env: kageCmd(t, bus, home, "").Env}
	term.tmux(append([]string{"new-session", "-d", "-c", home, "-x", "200", "-y", "50"}, argv...)...)
	pid, _ := strconv.Atoi(strings.TrimSpace(term.tmux("display-message", "-p", "#{pane_pid}")))
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-L", term.socket, "kill-server").Run()
		// The shell writes its history as it dies: wait, so the temporary
		// HOME can be removed.
		for deadline := time.Now().Add(3 * time.Second); pid > 0 && time.Now().Before(deadline); {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return term
}

// TestHookPassphraseCancelled: under the prompt hook, Ctrl-C at the file
// store's passphrase prompt cancels, says so once, and the prompt does
// not come back until the directory or the store changes.
func TestHookPassphraseCancelled(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	bus := testkeyring.Start(t)
	home := t.TempDir()
	set := kageCmd(t, bus, home, "v", "secret", "set", "PP_TOKEN")
	set.Env = append(set.Env, "KAGE_BACKEND=file", "KAGE_AGE_IDENTITY=", "KAGE_PASSPHRASE=pw")
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("set: %v: %s", err, out)
	}
	term := newTerminalArgv(t, bus, home, []string{"bash", "--norc", "--noprofile", "-i"})
	term.waitSettled()
	term.tmux("send-keys", "-l", `export KAGE_BACKEND=file KAGE_AGE_IDENTITY= KAGE_PASSPHRASE=; PS1='$ '; eval "$(kage hook bash)"`)
	term.tmux("send-keys", "Enter")
	term.waitFor("Passphrase for kage's secrets file:")
	term.tmux("send-keys", "C-c")
	term.waitFor("kage: cancelled; secrets unloaded")
	for i := 1; i <= 3; i++ {
		term.tmux("send-keys", "-l", fmt.Sprintf("echo step-%d-''done", i))
		term.tmux("send-keys", "Enter")
		term.waitFor(fmt.Sprintf("step-%d-done\n", i))
	}
	screen := term.tmux("capture-pane", "-p", "-S", "-200")
	if n := strings.Count(screen, "Passphrase for kage's secrets file:"); n != 1 {
		t.Fatalf("the passphrase was asked %d times, want once:\n%s", n, screen)
	}
	if n := strings.Count(screen, "kage: cancelled"); n != 1 {
		t.Fatalf("the cancellation was said %d times, want once:\n%s", n, screen)
	}
}
