package scope

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTrustRule checks that nothing a repository carries, in its files or
// its .git, can put it into a namespace: only kage's membership file and
// config.toml count.
func TestTrustRule(t *testing.T) {
	home := testEnv(t)
	evil := newRepo(t, filepath.Join(home, "evil"))
	claim := "[kage]\n\tnamespace = production\n"
	for _, f := range []string{
		".kage", "config", ".gitconfig", "sub/config", "sub/.git-config", ".gitattributes",
		"worktrees/x/config", ".config/kage/config.toml", "kage.toml", ".gitmodules",
	} {
		writeFile(t, filepath.Join(evil, f), claim)
	}
	writeFile(t, filepath.Join(evil, "commondir"), ".\n")
	writeFile(t, filepath.Join(evil, "gitdir"), evil+"\n")
	writeFile(t, filepath.Join(evil, ".gitattributes"), "* kage.namespace=production\n")
	runGit(t, evil, "add", "-A")
	commit(t, evil, "claim production")
	// Even a local include pointing at a tracked file must not count;
	// git itself would follow it.
	runGit(t, evil, "config", "--local", "include.path", "../config")
	if got := runGit(t, evil, "config", "kage.namespace"); got != "production" {
		t.Fatalf("test setup: git does not see the included claim (%q)", got)
	}

	// The repository's own config claims it too: earlier versions of kage
	// honoured that, but whoever made the folder wrote it.
	runGit(t, evil, "config", "--local", "kage.namespace", "production")
	data := t.TempDir()

	for _, dir := range []string{evil, mkdir(t, filepath.Join(evil, "sub")), mkdir(t, filepath.Join(evil, "worktrees", "x"))} {
		ctx, err := Detect(dir, Options{Data: data})
		if err != nil {
			t.Fatalf("Detect(%s): %v", dir, err)
		}
		if ctx.Repo != evil || ctx.Namespace != "" {
			t.Errorf("Detect(%s) = repo %q namespace %q from %q; want repo %s and no namespace", dir, ctx.Repo, ctx.Namespace, ctx.NamespaceFrom, evil)
		}
	}
	// A clone carries none of it either.
	clone := filepath.Join(home, "clone")
	runGit(t, home, "clone", "-q", evil, clone)
	ctx, err := Detect(clone, Options{Data: data})
	if err != nil || ctx.Namespace != "" {
		t.Errorf("Detect(clone) = %+v, %v; want no namespace", ctx, err)
	}
}

// TestDownloadedArchiveNamespace is the attack: an archive, not a clone,
// holding .git/HEAD and a .git/config that names namespace production.
// Unpacked anywhere, kage env there exported production's secrets.
func TestDownloadedArchiveNamespace(t *testing.T) {
	home := testEnv(t)
	dir := mkdir(t, filepath.Join(home, "Downloads", "tool-1.0"))
	writeFile(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(dir, ".git", "config"), "[kage]\n\tnamespace = production\n")
	data := t.TempDir()
	ctx, err := Detect(mkdir(t, filepath.Join(dir, "src")), Options{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Namespace != "" {
		t.Errorf("Detect in the archive = namespace %q from %q; want none", ctx.Namespace, ctx.NamespaceFrom)
	}
	// It is still reported, for a user who had set it with an older kage.
	v, file, err := IgnoredGitNamespace(ctx)
	if err != nil || v != "production" || file != filepath.Join(dir, ".git", "config") {
		t.Errorf("IgnoredGitNamespace = %q, %q, %v; want production from .git/config", v, file, err)
	}
}

func TestIgnoredGitNamespace(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	wt := filepath.Join(home, "api-wt")
	runGit(t, api, "worktree", "add", "-q", "-b", "wt", wt)
	plain := mkdir(t, filepath.Join(home, "plain"))
	for _, tt := range []struct{ dir, set, want string }{
		{api, "", ""},
		{api, "Backend", "Backend"},
		{wt, "backend", "backend"},
		{api, "no way", "no way"},
		{plain, "", ""},
	} {
		if tt.dir != plain {
			setGitConfigNamespace(t, api, tt.set)
		}
		ctx, err := Detect(tt.dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ctx.Namespace != "" {
			t.Errorf("%s: namespace %q from %q", tt.dir, ctx.Namespace, ctx.NamespaceFrom)
		}
		if v, _, err := IgnoredGitNamespace(ctx); err != nil || v != tt.want {
			t.Errorf("IgnoredGitNamespace(%s) with %q = %q, %v; want %q", tt.dir, tt.set, v, err, tt.want)
		}
	}
	if v, _, err := IgnoredGitNamespace(nil); v != "" || err != nil {
		t.Errorf("IgnoredGitNamespace(nil) = %q, %v", v, err)
	}
	if got := NamespaceWord("no way\x1b[2J"); strings.ContainsRune(got, 0x1b) {
		t.Errorf("NamespaceWord keeps an escape: %q", got)
	}
	if got := NamespaceWord("backend"); got != "backend" {
		t.Errorf("NamespaceWord(backend) = %q", got)
	}
}
