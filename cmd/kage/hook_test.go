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
}

var hookShells = []hookShell{
	{
		name: "bash", argv: []string{"bash", "--norc", "--noprofile", "-i"},
		init: `PS1='$ '; eval "$(kage hook bash)"`,
		show: func(n string) string { return fmt.Sprintf(`echo "<$(printenv %s || echo UNSET)>"`, n) },
		cd:   func(d string) string { return "cd " + d },
	},
	{
		name: "zsh", argv: []string{"zsh", "-f", "-i"},
		init: `PS1='$ '; eval "$(kage hook zsh)"`,
		show: func(n string) string { return fmt.Sprintf(`echo "<$(printenv %s || echo UNSET)>"`, n) },
		cd:   func(d string) string { return "cd " + d },
	},
	{
		name: "fish", argv: []string{"fish", "--no-config", "-i"},
		init: `function fish_prompt; echo -n '$ '; end; kage hook fish | source`,
		show: func(n string) string { return fmt.Sprintf(`echo "<"(printenv %s; or echo UNSET)">"`, n) },
		cd:   func(d string) string { return "cd " + d },
	},
	{
		name: "elvish", argv: []string{"elvish", "-norc"},
		init: `set edit:prompt = { put '$ ' }; eval (kage hook elvish | slurp)`,
		show: func(n string) string {
			return fmt.Sprintf(`echo '<'(try { printenv %s } catch { echo UNSET })'>'`, n)
		},
		cd: func(d string) string { return "cd " + d },
	},
}

// TestHookInteractive runs each shell in a real terminal with the hook
// installed: entering a repo loads its secrets, leaving unloads them and
// restores what the variable held, a set or delete shows at the next
// prompt, and a keychain failure is reported once, not at every prompt.
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
	term.tmux("send-keys", "-l", sh.init)
	term.tmux("send-keys", "Enter")
	// A variable the user had before kage: restored on leaving.
	step := 0
	run := func(line string) {
		t.Helper()
		step++
		// The quotes keep the typed line from matching the marker.
		term.tmux("send-keys", "-l", line+fmt.Sprintf("; echo step-%d-''done", step))
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
	run("cd " + home)
	expect("GLOBAL_ONE", "global-one")
	expect("TOKEN", "UNSET")

	run(sh.cd(api))
	expect("TOKEN", "repo-token")
	run(sh.cd(home))
	expect("TOKEN", "UNSET")

	// A value the shell had before kage is restored on leaving.
	if sh.name == "fish" {
		run("set -gx TOKEN mine")
	} else if sh.name == "elvish" {
		run("set-env TOKEN mine")
	} else {
		run("export TOKEN=mine")
	}
	run(sh.cd(api))
	expect("TOKEN", "repo-token")
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
	term.tmux(append([]string{"new-session", "-d", "-x", "200", "-y", "50"}, argv...)...)
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
