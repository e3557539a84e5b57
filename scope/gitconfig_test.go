package scope

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// richConfig is a local config with the settings people really have,
// including the ones go-git's SetConfig would damage.
const richConfig = `# a comment kage must keep
[core]
	repositoryformatversion = 0
	filemode = true
	bare = false
	logallrefupdates = true
[remote "origin"]
	url = gh:o/r.git
	fetch = +refs/heads/*:refs/remotes/origin/*
[remote "pushonly"]
	pushurl = git@example.com:o/r.git
[branch "main"]
	remote = origin
	merge = refs/heads/main
[user]
	name = "Custom User" ; trailing comment
	email = custom@example.com
	signingkey = ABC123
[url "git@github.com:"]
	insteadOf = gh:
[alias]
	lg = "log --oneline # not a comment"
[empty]
	flag
[multi]
	v = 1
	v = 2
`

func TestGitNamespaceRoundTrip(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	sub := mkdir(t, filepath.Join(api, "sub"))
	cfgFile := filepath.Join(api, ".git", "config")
	writeFile(t, cfgFile, richConfig)
	if err := os.Chmod(cfgFile, 0o600); err != nil {
		t.Fatal(err)
	}
	before := runGit(t, api, "config", "--local", "--list")

	check := func(step, wantNS, wantFile string) {
		t.Helper()
		got, err := GitNamespace(sub)
		if err != nil || got != wantNS {
			t.Errorf("%s: GitNamespace = %q, %v; want %q", step, got, err, wantNS)
		}
		if got := readFile(t, cfgFile); got != wantFile {
			t.Errorf("%s: .git/config =\n%s\nwant\n%s", step, got, wantFile)
		}
		wantList := before
		if wantNS != "" {
			wantList += "\nkage.namespace=" + wantNS
		}
		if got := runGit(t, api, "config", "--local", "--list"); got != wantList {
			t.Errorf("%s: git config --local --list =\n%s\nwant\n%s", step, got, wantList)
		}
		ctx, err := Detect(sub, Options{})
		if err != nil || ctx.Namespace != wantNS {
			t.Errorf("%s: Detect = %+v, %v; want namespace %q", step, ctx, err, wantNS)
		}
		if fi, err := os.Stat(cfgFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: config mode = %v, %v; want 0600 kept", step, fi.Mode(), err)
		}
		if _, err := os.Stat(cfgFile + ".lock"); !os.IsNotExist(err) {
			t.Errorf("%s: config.lock left behind (%v)", step, err)
		}
	}

	check("initially", "", richConfig)
	if err := SetGitNamespace(api, "Backend"); err != nil {
		t.Fatal(err)
	}
	check("set", "backend", richConfig+"[kage]\n\tnamespace = backend\n")
	if err := SetGitNamespace(sub, "other"); err != nil {
		t.Fatal(err)
	}
	check("set again", "other", richConfig+"[kage]\n\tnamespace = other\n")
	if got := runGit(t, api, "config", "--local", "--get-all", "kage.namespace"); got != "other" {
		t.Errorf("git config --get-all kage.namespace = %q, want one value", got)
	}
	if err := UnsetGitNamespace(api); err != nil {
		t.Fatal(err)
	}
	check("unset", "", richConfig+"[kage]\n")
	if err := UnsetGitNamespace(api); err != nil {
		t.Errorf("unset when unset: %v", err)
	}
	check("unset again", "", richConfig+"[kage]\n")
	if err := SetGitNamespace(api, "third"); err != nil {
		t.Fatal(err)
	}
	check("set into the existing section", "third", richConfig+"[kage]\n\tnamespace = third\n")
}

func TestGitNamespaceWorktrees(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	wt := filepath.Join(home, "wt")
	runGit(t, api, "worktree", "add", "-q", "-b", "wt", wt)
	sparse := filepath.Join(home, "sparse")
	runGit(t, api, "worktree", "add", "-q", "-b", "sparse", sparse)
	runGit(t, sparse, "sparse-checkout", "init")

	if err := SetGitNamespace(wt, "shared"); err != nil {
		t.Fatal(err)
	}
	// The namespace lives in the repository's one local config.
	if got := runGit(t, api, "config", "--local", "--get", "kage.namespace"); got != "shared" {
		t.Errorf("main repository's kage.namespace = %q, want shared", got)
	}
	for _, dir := range []string{api, wt, sparse} {
		if got, err := GitNamespace(dir); err != nil || got != "shared" {
			t.Errorf("GitNamespace(%s) = %q, %v; want shared", dir, got, err)
		}
		ctx, err := Detect(dir, Options{})
		if err != nil || ctx.Namespace != "shared" || ctx.Repo != api {
			t.Errorf("Detect(%s) = %+v, %v; want repo %s namespace shared", dir, ctx, err, api)
		}
	}
	if err := UnsetGitNamespace(sparse); err != nil {
		t.Fatal(err)
	}
	if got, err := GitNamespace(api); err != nil || got != "" {
		t.Errorf("after unset in a worktree, GitNamespace = %q, %v", got, err)
	}
}

func TestSetGitNamespaceErrors(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "api"))
	plain := mkdir(t, filepath.Join(home, "plain"))
	cfgFile := filepath.Join(api, ".git", "config")
	orig := readFile(t, cfgFile)

	tests := []struct {
		name, dir, ns, wantErr string
	}{
		{"invalid name", api, "Bad!", `namespace name "Bad!" is invalid: use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`},
		{"empty name", api, "", "namespace name is empty"},
		{"outside a repository", plain, "backend", "is not inside a git repository; cd into one first"},
		{"missing folder", filepath.Join(home, "missing"), "backend", "does not exist"},
	}
	for _, tt := range tests {
		err := SetGitNamespace(tt.dir, tt.ns)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: SetGitNamespace(%s, %q) = %v; want error containing %q", tt.name, tt.dir, tt.ns, err, tt.wantErr)
		}
	}
	if err := UnsetGitNamespace(plain); err == nil {
		t.Error("UnsetGitNamespace outside a repository succeeded")
	}
	if _, err := GitNamespace(plain); err == nil {
		t.Error("GitNamespace outside a repository succeeded")
	}

	// Another git process holds the lock: wait for it, never break it.
	lock := cfgFile + ".lock"
	writeFile(t, lock, "someone else's")
	err := SetGitNamespace(api, "backend")
	if err == nil || !strings.Contains(err.Error(), "config.lock exists; another git process") {
		t.Errorf("SetGitNamespace with config.lock present = %v; want a lock error", err)
	}
	if got := readFile(t, lock); got != "someone else's" {
		t.Errorf("the other process's lock was changed to %q", got)
	}
	if got := readFile(t, cfgFile); got != orig {
		t.Errorf("config changed despite errors:\n%s", got)
	}

	// An invalid value set by hand is reported with the fix.
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	runGit(t, api, "config", "--local", "kage.namespace", "no way")
	if _, err := GitNamespace(api); err == nil || !strings.Contains(err.Error(), `"no way" is invalid`) || !strings.Contains(err.Error(), "kage namespace set NAME") {
		t.Errorf("GitNamespace with an invalid value = %v", err)
	}
}

func TestRewriteNamespace(t *testing.T) {
	tests := []struct {
		name, in, value, want string
	}{
		{"empty file", "", "a", "[kage]\n\tnamespace = a\n"},
		{"no trailing newline", "[core]\n\tbare = false", "a", "[core]\n\tbare = false\n[kage]\n\tnamespace = a\n"},
		{"replaced in place", "[kage]\n\tother = 1\n\tnamespace = old\n\tmore = 2\n", "a", "[kage]\n\tother = 1\n\tnamespace = a\n\tmore = 2\n"},
		{"case-insensitive", "[KAGE]\n\tNameSpace=old\n", "a", "[KAGE]\n\tnamespace = a\n"},
		{"duplicates collapse to the last", "[kage]\n\tnamespace = x\n[core]\n\tbare = false\n[kage]\n\tnamespace = y\n", "a", "[kage]\n[core]\n\tbare = false\n[kage]\n\tnamespace = a\n"},
		{"on the header line", "[kage] namespace = old\n[core]\n", "a", "[kage]\n\tnamespace = a\n[core]\n"},
		{"header with other key", "[kage] other = 1\n", "a", "[kage] other = 1\n\tnamespace = a\n"},
		{"subsections are other keys", "[kage \"x\"]\n\tnamespace = keep\n[kage.y]\n\tnamespace = keep\n", "a", "[kage \"x\"]\n\tnamespace = keep\n[kage.y]\n\tnamespace = keep\n[kage]\n\tnamespace = a\n"},
		{"quoted subsection", "[kage \"x\"]\n\tnamespace = keep\n", "a", "[kage \"x\"]\n\tnamespace = keep\n[kage]\n\tnamespace = a\n"},
		{"similar key", "[kage]\n\tnamespaces = keep\n", "a", "[kage]\n\tnamespace = a\n\tnamespaces = keep\n"},
		{"continued value removed whole", "[kage]\n\tnamespace = ol\\\nd\n\tx = 1\n", "a", "[kage]\n\tnamespace = a\n\tx = 1\n"},
		{"continuation of another key", "[kage]\n\tx = a\\\nnamespace = b\n", "a", "[kage]\n\tnamespace = a\n\tx = a\\\nnamespace = b\n"},
		{"continuation inside quotes", "[kage]\n\tx = \"a\\\n;b\" \\\n\tnamespace = old\n", "a", "[kage]\n\tnamespace = a\n\tx = \"a\\\n;b\" \\\n\tnamespace = old\n"},
		{"comments kept", "[kage]\n# namespace = old\n; namespace\n", "a", "[kage]\n\tnamespace = a\n# namespace = old\n; namespace\n"},
		{"unset removes all", "[kage]\n\tnamespace\n\tx = 1\n\tNAMESPACE = b\n", "", "[kage]\n\tx = 1\n"},
		{"unset when unset", "[core]\n\tbare = false\n", "", "[core]\n\tbare = false\n"},
		{"crlf", "[kage]\r\n\tnamespace = old\r\n", "a", "[kage]\r\n\tnamespace = a\n"},
		{"namespace in another section", "[other]\n\tnamespace = keep\n", "a", "[other]\n\tnamespace = keep\n[kage]\n\tnamespace = a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rewriteNamespace([]byte(tt.in), tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			if string(got) == tt.in {
				return
			}
			// Every case is syntax git reads, including a key on its
			// header's line and [kage.y], which go-git's decoder could
			// not: the reader in gitcfg.go must verify them all.
			if err := verifyEdit([]byte(tt.in), got, tt.value); err != nil {
				t.Errorf("verifyEdit rejects a correct edit: %v", err)
			}
		})
	}

	for _, bad := range []string{"[kage\n", "[kage \"x]\n", "[]\n", "[kage]\n\tx = a\\"} {
		if got, err := rewriteNamespace([]byte(bad), "a"); err == nil {
			t.Errorf("rewriteNamespace(%q) = %q, want an error", bad, got)
		}
	}
}

func TestVerifyEditCatchesDamage(t *testing.T) {
	old := "[core]\n\tbare = false\n[kage]\n\tnamespace = old\n"
	tests := []struct {
		name, updated, value string
	}{
		{"other setting dropped", "[kage]\n\tnamespace = a\n", "a"},
		{"other setting changed", "[core]\n\tbare = true\n[kage]\n\tnamespace = a\n", "a"},
		{"wrong value", "[core]\n\tbare = false\n[kage]\n\tnamespace = b\n", "a"},
		{"two values", "[core]\n\tbare = false\n[kage]\n\tnamespace = a\n\tnamespace = a\n", "a"},
		{"not removed", old, ""},
		{"unparsable", "[core\n", "a"},
	}
	for _, tt := range tests {
		if err := verifyEdit([]byte(old), []byte(tt.updated), tt.value); err == nil {
			t.Errorf("%s: verifyEdit accepted it", tt.name)
		}
	}
	if err := verifyEdit([]byte(old), []byte("[core]\n\tbare = false\n[kage]\n\tnamespace = a\n"), "a"); err != nil {
		t.Errorf("verifyEdit rejects a correct edit: %v", err)
	}
}

// TestTrustRule checks that nothing a repository carries in its files can
// put it into a namespace: only .git/config (never tracked) and config.toml
// count, and include.path is not followed.
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

	for _, dir := range []string{evil, mkdir(t, filepath.Join(evil, "sub")), mkdir(t, filepath.Join(evil, "worktrees", "x"))} {
		ctx, err := Detect(dir, Options{})
		if err != nil {
			t.Fatalf("Detect(%s): %v", dir, err)
		}
		if ctx.Repo != evil || ctx.Namespace != "" {
			t.Errorf("Detect(%s) = repo %q namespace %q from %q; want repo %s and no namespace", dir, ctx.Repo, ctx.Namespace, ctx.NamespaceFrom, evil)
		}
	}
	if got, err := GitNamespace(evil); err != nil || got != "" {
		t.Errorf("GitNamespace = %q, %v; want none", got, err)
	}
	// A clone carries none of it either.
	clone := filepath.Join(home, "clone")
	runGit(t, home, "clone", "-q", evil, clone)
	ctx, err := Detect(clone, Options{})
	if err != nil || ctx.Namespace != "" {
		t.Errorf("Detect(clone) = %+v, %v; want no namespace", ctx, err)
	}
}
