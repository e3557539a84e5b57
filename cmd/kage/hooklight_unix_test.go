//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kage-cli/kage/internal/hookstamp"
	"github.com/kage-cli/kage/keyring"
)

// kage-hook, for the tests: testscript links it beside kage, where kage
// hook looks for it, so that every hook test runs the hook as installed.
// It is cmd/kage-hook's main over os.Args (which that program reads
// without the os package); cmd/kage-hook's own test runs the real one.
func init() {
	testCommands["kage-hook"] = func() {
		args := os.Args
		if len(args) != 4 || args[2] != "hook-env" {
			os.Exit(2)
		}
		if w := os.Getenv(hookstamp.Var); w != "" {
			if wd, err := hookstamp.Wd(); err == nil && hookstamp.Unchanged(w, wd, os.Getenv) {
				return
			}
		}
		err := syscall.Exec(args[1], args[1:], append(os.Environ(), watchingVar+"=1"))
		os.Stderr.WriteString("kage-hook: " + err.Error() + "\n")
		os.Exit(1)
	}
}

// TestKageHookMissesNoChange checks kage-hook against kage hook-env alone,
// change by change: wherever kage alone would reload (a new repository
// under the shell, a namespace, a glob whose folder link moves, a
// worktree's files, a secret, a variable), the hook run through kage-hook
// reloads the same way; where nothing changed, kage-hook prints nothing,
// so the fast path is the one being tested.
func TestKageHookMissesNoChange(t *testing.T) {
	for _, p := range []string{"bash", "git"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	root := t.TempDir()
	home := filepath.Join(root, "home")
	code := filepath.Join(root, "code")
	other := filepath.Join(root, "other")
	repo := filepath.Join(code, "api")
	sub := filepath.Join(repo, "sub")
	for _, d := range []string{home, sub, filepath.Join(other, "api")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(code, link); err != nil {
		t.Fatal(err)
	}
	id := filepath.Join(root, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		t.Fatal(err)
	}
	kageHome := filepath.Join(home, ".kage")
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "KAGE_HOME=" + kageHome,
		"KAGE_BACKEND=file", "KAGE_AGE_IDENTITY=" + id, "GIT_CONFIG_NOSYSTEM=1", "KAGE_QUIET=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(root, "no-bus")}
	run := func(dir string, env []string, script string) string {
		t.Helper()
		cmd := exec.Command("bash", "--norc", "-c", script)
		cmd.Dir, cmd.Env = dir, env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, stderr.String())
		}
		return string(out)
	}
	kage := func(args ...string) {
		t.Helper()
		run(repo, base, "kage "+strings.Join(args, " "))
	}
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(base, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	git(repo, "init", "-q")
	git(repo, "commit", "-q", "--allow-empty", "-m", "one")
	git(filepath.Join(other, "api"), "init", "-q")
	kage("secret", "set", "G", "--scope", "global", "<<<", "g")
	kage("secret", "set", "R", "--scope", "repo", "<<<", "r")
	kage("secret", "set", "N", "--scope", "namespace:team", "<<<", "n")
	kage("secret", "set", "O", "--scope", "namespace:others", "<<<", "o")

	// settle evaluates the hook, through kage-hook, and returns the
	// shell's environment afterwards.
	settle := func(dir string, env []string) []string {
		t.Helper()
		out := run(dir, env, `eval "$(kage-hook "$(command -v kage)" hook-env bash)" && env -0`)
		var next []string
		for kv := range strings.SplitSeq(strings.TrimSuffix(out, "\x00"), "\x00") {
			if !strings.HasPrefix(kv, "_=") && !strings.HasPrefix(kv, "SHLVL=") && !strings.HasPrefix(kv, "PWD=") && !strings.HasPrefix(kv, "OLDPWD=") {
				next = append(next, kv)
			}
		}
		return next
	}
	stateLine := regexp.MustCompile(`(?m)^export KAGE_STATE=.*$`)
	dir, env := sub, settle(sub, base)
	if !slices.Contains(env, "R=r") {
		t.Fatalf("the first prompt did not load R: %q", env)
	}
	steps := []struct {
		what   string
		change func()
		// reload is what kage alone must do at the next prompt.
		reload bool
		// slow is a change that is no reload but that kage-hook may
		// leave to kage, which then renews only the watch list.
		slow bool
	}{
		{"nothing", func() {}, false, false},
		{"a commit", func() { git(repo, "commit", "-q", "--allow-empty", "-m", "two") }, false, false},
		{"a git checkout of a new branch", func() { git(repo, "checkout", "-q", "-b", "topic") }, false, false},
		{"git init in the folder below the repository's root", func() { git(sub, "init", "-q") }, true, false},
		{"that .git removed", func() { os.RemoveAll(filepath.Join(sub, ".git")) }, true, false},
		{"a [namespaces] glob through a link", func() {
			write(filepath.Join(kageHome, "config.toml"), "[namespaces]\nteam = [\""+link+"/*\"]\n")
		}, true, false},
		{"the glob's link moved to another folder", func() {
			os.Remove(link)
			if err := os.Symlink(other, link); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"the link back", func() {
			os.Remove(link)
			if err := os.Symlink(code, link); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"kage namespace set", func() { kage("namespace", "set", "others") }, true, false},
		{"kage namespace unset", func() { kage("namespace", "unset") }, true, false},
		{"a secret set", func() { kage("secret", "set", "R", "--scope", "repo", "<<<", "r2") }, true, false},
		{"KAGE_NAMESPACE exported", func() { env = append(env, "KAGE_NAMESPACE=others") }, true, false},
		{"KAGE_STATE unset by hand", func() {
			env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "KAGE_STATE=") })
		}, true, false},
		{"a worktree of the same repository, entered", func() {
			git(repo, "worktree", "add", "-q", filepath.Join(root, "wt"))
			dir = filepath.Join(root, "wt")
		}, false, true},
		{"nothing, in the worktree", func() {}, false, false},
		{"the worktree's gitdir file pointing elsewhere", func() {
			write(filepath.Join(repo, ".git", "worktrees", "wt", "gitdir"), filepath.Join(other, ".git")+"\n")
		}, true, false},
		{"and back", func() {
			write(filepath.Join(repo, ".git", "worktrees", "wt", "gitdir"), filepath.Join(root, "wt", ".git")+"\n")
		}, true, false},
		{"the worktree's .git file rewritten to another repository", func() {
			write(filepath.Join(root, "wt", ".git"), "gitdir: "+filepath.Join(other, "api", ".git")+"\n")
		}, true, false},
	}
	for _, s := range steps {
		s.change()
		plain := run(dir, env, "kage hook-env bash")
		light := run(dir, env, `kage-hook "$(command -v kage)" hook-env bash`)
		if got := plain != ""; got != s.reload {
			t.Fatalf("after %s, kage hook-env alone printed %q; the test expects reload=%v", s.what, plain, s.reload)
		}
		if !s.reload && !s.slow && light != "" {
			t.Errorf("after %s, kage-hook printed %q: the fast path was not taken", s.what, light)
		}
		if !s.reload && stateLine.MatchString(light) {
			t.Errorf("after %s, kage-hook reloaded where kage alone would not:\n%s", s.what, light)
		}
		if s.reload && stateLine.FindString(light) != stateLine.FindString(plain) {
			t.Errorf("after %s, kage alone printed\n%s\nbut through kage-hook the hook printed\n%s", s.what, plain, light)
		}
		env = settle(dir, env)
	}
}
