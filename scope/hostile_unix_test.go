//go:build unix

package scope

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// detectWithin runs Detect and IgnoredGitNamespace (what the prompt hook
// and kage status read) and fails the test if they do not return within a
// second: before, a FIFO in the tree blocked the read forever.
func detectWithin(t *testing.T, dir string) (*Context, error, error) {
	t.Helper()
	type result struct {
		ctx        *Context
		err, nsErr error
	}
	done := make(chan result, 1)
	go func() {
		ctx, err := Detect(dir, Options{Data: t.TempDir()})
		var nsErr error
		if err == nil {
			_, _, nsErr = IgnoredGitNamespace(ctx)
		}
		done <- result{ctx, err, nsErr}
	}()
	select {
	case r := <-done:
		return r.ctx, r.err, r.nsErr
	case <-time.After(time.Second):
		t.Fatalf("Detect(%s) still runs after a second: it waits on a file", dir)
		return nil, nil, nil
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHostileGitFiles plants, in a work tree someone else made, the files
// that hung the prompt hook for good (a FIFO read waits for a writer that
// never comes; Ctrl-C does not help), ran it out of memory (/dev/zero) or
// slowed every prompt (a 26 MB config took 0.8 s). Each must give an error
// or be ignored at once, and no message may carry the tree's control
// characters to the terminal.
func TestHostileGitFiles(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	wt := filepath.Join(home, "api-wt")
	runGit(t, api, "worktree", "add", "-q", "-b", "wt", wt)
	wtGitDir := filepath.Join(api, ".git", "worktrees", "api-wt")
	cfg := filepath.Join(api, ".git", "config")
	orig := readFile(t, cfg)
	restore := func() {
		os.Remove(cfg)
		writeFile(t, cfg, orig)
	}

	repo := func(t *testing.T) string {
		dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
		writeFile(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
		return dir
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) string // returns the folder to detect in
		err   string                    // Detect's error, "" for none
		nsErr string                    // IgnoredGitNamespace's error
		ign   string                    // in Ignored
	}{
		{"config FIFO", func(t *testing.T) string {
			os.Remove(cfg)
			mkfifo(t, cfg)
			return api
		}, "", "git config " + cfg + " is not a regular file (a FIFO)", ""},
		{"config FIFO in a worktree's repository", func(t *testing.T) string {
			os.Remove(cfg)
			mkfifo(t, cfg)
			return wt
		}, "git config " + cfg + " is not a regular file (a FIFO)", "", ""},
		{"config linked to /dev/zero", func(t *testing.T) string {
			os.Remove(cfg)
			if err := os.Symlink("/dev/zero", cfg); err != nil {
				t.Fatal(err)
			}
			return wt
		}, "git config " + cfg + " is not a regular file (a device)", "", ""},
		{"config of 26 MB", func(t *testing.T) string {
			os.Remove(cfg)
			writeFile(t, cfg, orig+strings.Repeat("[x]\n\ty = 1234567890\n", 26<<20/20))
			return api
		}, "", "git config " + cfg + " is larger than 1 MiB", ""},
		{".git FIFO", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
			mkfifo(t, filepath.Join(dir, ".git"))
			return dir
		}, "/.git is not a regular file (a FIFO)", "", ""},
		{".git linked to /dev/zero", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
			if err := os.Symlink("/dev/zero", filepath.Join(dir, ".git")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "/.git is not a regular file (a device)", "", ""},
		{".git file of 1 MB", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
			writeFile(t, filepath.Join(dir, ".git"), "gitdir: "+strings.Repeat("a", 1<<20))
			return dir
		}, "/.git is larger than 4 KiB", "", ""},
		{"commondir FIFO", func(t *testing.T) string {
			dir := repo(t)
			mkfifo(t, filepath.Join(dir, ".git", "commondir"))
			return dir
		}, "/.git/commondir is not a regular file (a FIFO)", "", ""},
		{"commondir linked to /dev/zero", func(t *testing.T) string {
			dir := repo(t)
			if err := os.Symlink("/dev/zero", filepath.Join(dir, ".git", "commondir")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "/.git/commondir is a symbolic link", "", ""},
		{"worktree back-pointer FIFO", func(t *testing.T) string {
			back := filepath.Join(wtGitDir, "gitdir")
			keep := readFile(t, back)
			os.Remove(back)
			mkfifo(t, back)
			t.Cleanup(func() { os.Remove(back); writeFile(t, back, keep) })
			return wt
		}, "", "", filepath.Join(wtGitDir, "gitdir") + " is not a regular file (a FIFO)"},
		{"HEAD FIFO", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
			mkfifo(t, filepath.Join(dir, ".git", "HEAD"))
			return dir
		}, "", "", ""},
		{"escape sequences in .git", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree"))
			writeFile(t, filepath.Join(dir, ".git"), "gitdir: /x\x1b]0;pwned\x07\x1b[2J\n")
			return dir
		}, `/x\x1b]0;pwned\a\x1b[2J, which is not a git directory`, "", ""},
		{"escape sequences in a folder name", func(t *testing.T) string {
			dir := mkdir(t, filepath.Join(t.TempDir(), "tree\x1b[2J"))
			writeFile(t, filepath.Join(dir, ".git"), "junk\n")
			return dir
		}, `tree\x1b[2J/.git is not a valid .git file`, "", ""},
		{"escape sequences in commondir", func(t *testing.T) string {
			dir := repo(t)
			writeFile(t, filepath.Join(dir, ".git", "commondir"), "/nowhere\x1b[2J\n")
			return dir
		}, `/nowhere\x1b[2J, which cannot be read`, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(restore)
			dir := tt.setup(t)
			ctx, err, nsErr := detectWithin(t, dir)
			check := func(what string, err error, want string) {
				t.Helper()
				if want == "" {
					if err != nil {
						t.Errorf("%s: %v; want none", what, err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s = %v; want an error containing %q", what, err, want)
				}
				if err != nil && !printableText(err.Error()) {
					t.Errorf("%s carries control characters: %q", what, err)
				}
			}
			check("Detect", err, tt.err)
			check("IgnoredGitNamespace", nsErr, tt.nsErr)
			if ctx != nil && (tt.ign != "" || ctx.Ignored != "") && !strings.Contains(ctx.Ignored, tt.ign) {
				t.Errorf("Ignored = %q; want it to contain %q", ctx.Ignored, tt.ign)
			}
			if ctx != nil && tt.ign != "" && ctx.Repo != "" {
				t.Errorf("Repo = %q; want none", ctx.Repo)
			}
		})
	}
}

// TestGitConfigCapParseTime measures a local config at the size cap: the
// cap bounds what a config can cost kage status, doctor and a linked
// worktree's prompt (which reads core.bare). Realistic lines parse in 10–35
// ms; a file of one-byte entries, the worst found, in about 120 ms on a
// shared 2-core machine.
func TestGitConfigCapParseTime(t *testing.T) {
	for name, line := range map[string]string{
		"remotes":          "[remote \"origin\"]\n\turl = https://example.com/org/repository.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
		"one-byte entries": "a=b\n",
		"escaped values":   "\tv = \"" + strings.Repeat(`\t\n\"`, 100) + "\"\n",
		"continued values": "\tv = a\\\n",
		"section headers":  "[a]\n",
	} {
		data := []byte("[x]\n" + strings.Repeat(line, (maxGitConfig-4)/len(line)))
		start := time.Now()
		cfg, err := parseGitConfig(data)
		d := time.Since(start)
		if err != nil || len(data) > maxGitConfig {
			t.Fatalf("%s: %d bytes: %v", name, len(data), err)
		}
		t.Logf("%s: parsing %d bytes (%d entries) took %v", name, len(data), len(cfg.entries), d)
		if d > time.Second {
			t.Errorf("%s: parsing a config at the cap took %v", name, d)
		}
	}
}

// TestMembershipFileNotPlain: a link or a FIFO in kage's data folder is
// refused at once, before any open.
func TestMembershipFileNotPlain(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	for name, plant := range map[string]func(p string){
		"FIFO": func(p string) { mkfifo(t, p) },
		"link": func(p string) {
			other := filepath.Join(t.TempDir(), "other.json")
			writeFile(t, other, `{"version": 1, "repositories": [{"repo": "`+api+`", "namespace": "production"}]}`)
			if err := os.Symlink(other, p); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			plant(MembershipPath(data))
			done := make(chan error, 1)
			go func() {
				_, err := Detect(api, Options{Data: data})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "namespace memberships "+MembershipPath(data)) {
					t.Errorf("Detect = %v; want the membership file refused", err)
				}
			case <-time.After(time.Second):
				t.Fatal("Detect waits on the membership file")
			}
		})
	}
}
