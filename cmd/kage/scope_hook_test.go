//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kage-cli/kage/keyring"
)

// scopeWorld runs the real kage (the test binary, on PATH as kage) with
// the file backend in a private HOME and KAGE_HOME: these tests are about
// what the prompt hook reads from a work tree, not about a keychain.
type scopeWorld struct {
	kage, home string
	env        []string
}

func newScopeWorld(t *testing.T) *scopeWorld {
	t.Helper()
	kage, err := exec.LookPath("kage")
	if err != nil {
		t.Fatal(err)
	}
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Join(home, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		t.Fatal(err)
	}
	w := &scopeWorld{kage: kage, home: home}
	w.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "KAGE_HOME=" + filepath.Join(home, ".kage"),
		"KAGE_BACKEND=file", "KAGE_AGE_IDENTITY=" + id, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, ".gitconfig"), "NO_COLOR=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus"),
	}
	return w
}

type scopeResult struct {
	stdout, stderr string
	err            error
	dur            time.Duration
}

// run runs kage in dir with a deadline: a kage that blocks on a FIFO is
// killed, and the test fails on the time it took.
func (w *scopeWorld) run(t *testing.T, dir, stdin string, extraEnv []string, args ...string) scopeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.kage, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, w.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	return scopeResult{out.String(), errb.String(), err, time.Since(start)}
}

func (w *scopeWorld) must(t *testing.T, dir, stdin string, args ...string) scopeResult {
	t.Helper()
	r := w.run(t, dir, stdin, nil, args...)
	if r.err != nil {
		t.Fatalf("kage %s: %v\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

var stateRE = regexp.MustCompile(`(?m)^export KAGE_STATE='([0-9a-f]+)'$`)

// hookState is the KAGE_STATE the hook's bash output sets.
func hookState(t *testing.T, out string) string {
	t.Helper()
	m := stateRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("hook-env output sets no KAGE_STATE:\n%s", out)
	}
	return m[1]
}

// TestHookReloadsOnMembership: the fingerprint the hook compares holds the
// detected namespace, so kage namespace set and unset load and unload the
// namespace's secrets at the next prompt, while a prompt with nothing
// changed prints nothing.
func TestHookReloadsOnMembership(t *testing.T) {
	w := newScopeWorld(t)
	repo := filepath.Join(w.home, "code", "api")
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	w.must(t, repo, "ns-value\n", "secret", "set", "NS_TOKEN", "--scope", "namespace:backend")

	loaded := ""
	hook := func(state string) scopeResult {
		t.Helper()
		r := w.run(t, repo, "", []string{"KAGE_STATE=" + state, "KAGE_LOADED=" + loaded}, "hook-env", "bash")
		if r.err != nil {
			t.Fatalf("hook-env: %v\n%s", r.err, r.stderr)
		}
		return r
	}
	first := hook("")
	if strings.Contains(first.stdout, "NS_TOKEN") {
		t.Fatalf("NS_TOKEN loaded before the repository joined the namespace:\n%s", first.stdout)
	}
	state := hookState(t, first.stdout)
	if r := hook(state); r.stdout != "" || r.stderr != "" {
		t.Fatalf("hook-env with nothing changed printed:\n%s%s", r.stdout, r.stderr)
	}

	w.must(t, repo, "", "namespace", "set", "backend")
	joined := hook(state)
	if !strings.Contains(joined.stdout, "export NS_TOKEN='ns-value'") {
		t.Fatalf("after kage namespace set, hook-env did not load NS_TOKEN:\n%s", joined.stdout)
	}
	state, loaded = hookState(t, joined.stdout), "NS_TOKEN"
	if r := hook(state); r.stdout != "" {
		t.Fatalf("hook-env with nothing changed printed:\n%s", r.stdout)
	}

	w.must(t, repo, "", "namespace", "unset")
	left := hook(state)
	if !strings.Contains(left.stdout, "NS_TOKEN") || !strings.Contains(left.stdout, "export KAGE_LOADED=''") || strings.Contains(left.stdout, "ns-value") {
		t.Fatalf("after kage namespace unset, hook-env did not unload NS_TOKEN:\n%s", left.stdout)
	}
}

// TestHookIgnoredOnce: the hook says why it ignores a .git when it
// reloads, not at every prompt.
func TestHookIgnoredOnce(t *testing.T) {
	w := newScopeWorld(t)
	real := filepath.Join(w.home, "code", "payments")
	if out, err := exec.Command("git", "init", "-q", real).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	w.must(t, real, "repo-value\n", "secret", "set", "PAY_TOKEN", "--scope", "repo")
	fake := filepath.Join(w.home, "Downloads", "tool")
	writeTestFile(t, filepath.Join(fake, ".git", "HEAD"), "ref: refs/heads/main\n")
	writeTestFile(t, filepath.Join(fake, ".git", "commondir"), "../../../code/payments/.git\n")

	r := w.run(t, fake, "", []string{"KAGE_STATE="}, "hook-env", "bash")
	if r.err != nil || strings.Contains(r.stdout, "PAY_TOKEN") {
		t.Fatalf("hook-env in the fake worktree: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stderr, "kage: warning: ignoring the git worktree at "+fake); n != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("hook-env stderr = %q; want the one warning", r.stderr)
	}
	state := hookState(t, r.stdout)
	again := w.run(t, fake, "", []string{"KAGE_STATE=" + state}, "hook-env", "bash")
	if again.err != nil || again.stdout != "" || again.stderr != "" {
		t.Errorf("hook-env at the next prompt printed %q %q (%v); want nothing", again.stdout, again.stderr, again.err)
	}
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHookHostileTree runs the prompt hook as a process in trees that hung
// it for good (a FIFO read waits for a writer; Ctrl-C does not help), fed
// it /dev/zero, or cost 0.8 s a prompt (a 26 MB .git/config). It must
// return within its bound in every one, and unload rather than keep
// another directory's secrets.
func TestHookHostileTree(t *testing.T) {
	w := newScopeWorld(t)
	api := filepath.Join(w.home, "code", "api")
	for _, args := range [][]string{{"init", "-q", api}, {"-C", api, "commit", "-q", "--allow-empty", "-m", "x"}, {"-C", api, "worktree", "add", "-q", "../api-wt"}} {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		cmd.Env = w.env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	wt := filepath.Join(w.home, "code", "api-wt")
	cfg := filepath.Join(api, ".git", "config")
	orig, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mkfifo := func(t *testing.T, p string) {
		t.Helper()
		os.Remove(p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tree := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "tree")
		writeTestFile(t, filepath.Join(d, ".git", "HEAD"), "ref: refs/heads/main\n")
		return d
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) string
		err   string
	}{
		{"config FIFO", func(t *testing.T) string { mkfifo(t, cfg); return api }, ""},
		{"config FIFO, from a worktree", func(t *testing.T) string { mkfifo(t, cfg); return wt }, "is not a regular file (a FIFO)"},
		{"config linked to /dev/zero", func(t *testing.T) string {
			os.Remove(cfg)
			if err := os.Symlink("/dev/zero", cfg); err != nil {
				t.Fatal(err)
			}
			return wt
		}, "is not a regular file (a device)"},
		{"config of 26 MB", func(t *testing.T) string {
			writeTestFile(t, cfg, string(orig)+strings.Repeat("[x]\n\ty = 1234567890\n", 26<<20/20))
			return wt
		}, "is larger than 1 MiB"},
		{".git FIFO", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), "tree")
			mkfifo(t, filepath.Join(d, ".git"))
			return d
		}, "is not a regular file (a FIFO)"},
		{"commondir FIFO", func(t *testing.T) string {
			d := tree(t)
			mkfifo(t, filepath.Join(d, ".git", "commondir"))
			return d
		}, "is not a regular file (a FIFO)"},
		{"escape sequences in .git", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), "tree")
			writeTestFile(t, filepath.Join(d, ".git"), "gitdir: /x\x1b]0;pwned\x07\x1b[2J\n")
			return d
		}, `x\x1b]0;pwned\a\x1b[2J, which is not a git directory`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() {
				os.Remove(cfg)
				if err := os.WriteFile(cfg, orig, 0o644); err != nil {
					t.Fatal(err)
				}
			})
			dir := tt.setup(t)
			r := w.run(t, dir, "", []string{"KAGE_STATE=", "KAGE_LOADED=OLD_SECRET"}, "hook-env", "bash")
			if r.dur > 2*time.Second {
				t.Fatalf("hook-env took %v (%v): it waited on the tree", r.dur, r.err)
			}
			if r.err != nil {
				t.Fatalf("hook-env: %v\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "KAGE_STATE=") || !strings.Contains(r.stdout, "OLD_SECRET") {
				t.Errorf("hook-env did not unload and record its state:\n%s", r.stdout)
			}
			if tt.err != "" && !strings.Contains(r.stderr, tt.err) {
				t.Errorf("stderr = %q; want %q", r.stderr, tt.err)
			}
			// Nothing but the hook's own word on the unload.
			if tt.err == "" && r.stderr != "kage: unloaded: -OLD_SECRET\n" {
				t.Errorf("stderr = %q; want only the unload's line", r.stderr)
			}
			if strings.ContainsAny(r.stderr, "\x1b\x07") {
				t.Errorf("stderr carries control characters: %q", r.stderr)
			}
			t.Logf("hook-env took %v", r.dur)
		})
	}
}
