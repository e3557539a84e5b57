//go:build unix

package scope

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// otherUID owns the folders of another user in these tests.
const otherUID = 4242

// chownTree gives dir and everything below it to uid; it needs root, which
// CI and the development container have, and skips the test otherwise.
func chownTree(t *testing.T, dir string, uid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a folder to another user needs root: run the tests as root (CI does) to cover git's safe.directory rule")
	}
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestForeignRepository is another user's /tmp/.git (HEAD and a config):
// before, every folder below it was that repository, so that user chose
// its repo scope (and, while kage read .git/config, its namespace). git
// refuses such a repository ("detected dubious ownership"); so does kage,
// unless the user's own git config trusts it with safe.directory.
func TestForeignRepository(t *testing.T) {
	home := testEnv(t)
	t.Setenv("SUDO_UID", "")
	tmp := mkdir(t, filepath.Join(home, "tmp"))
	// A real repository, so that git can be asked too; HEAD and a config
	// are all kage needed before.
	runGit(t, tmp, "init", "-q")
	runGit(t, tmp, "config", "kage.namespace", "production")
	chownTree(t, filepath.Join(tmp, ".git"), otherUID)
	work := mkdir(t, filepath.Join(tmp, "build-1234"))
	global := filepath.Join(home, ".gitconfig")

	ignored := func(t *testing.T, what string) {
		t.Helper()
		ctx, err := Detect(work, Options{Data: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		want := "ignoring the git repository at " + tmp + ": " + filepath.Join(tmp, ".git") + " belongs to another user (uid 4242)"
		if ctx.Repo != "" || ctx.Namespace != "" || !strings.HasPrefix(ctx.Ignored, want) ||
			!strings.HasSuffix(ctx.Ignored, "git config --global --add safe.directory "+tmp) {
			t.Errorf("%s: Detect = repo %q namespace %q, ignored %q; want no repo and %q…", what, ctx.Repo, ctx.Namespace, ctx.Ignored, want)
		}
	}
	taken := func(t *testing.T, what string) {
		t.Helper()
		ctx, err := Detect(work, Options{})
		if err != nil || ctx.Repo != tmp || ctx.Ignored != "" {
			t.Errorf("%s: Detect = %+v, %v; want repo %s", what, ctx, err, tmp)
		}
	}
	safe := func(values ...string) {
		var b strings.Builder
		b.WriteString("[safe]\n")
		for _, v := range values {
			b.WriteString("\tdirectory = " + v + "\n")
		}
		writeFile(t, global, b.String())
	}

	ignored(t, "no safe.directory")
	// git agrees.
	if out, err := gitIn(work, "rev-parse", "--show-toplevel"); err == nil || !strings.Contains(out, "dubious ownership") {
		t.Errorf("test setup: git accepts the repository: %v %s", err, out)
	}

	safe(tmp)
	taken(t, "safe.directory naming it")
	if out, err := gitIn(work, "rev-parse", "--show-toplevel"); err != nil {
		t.Errorf("test setup: git refuses the repository safe.directory names: %v %s", err, out)
	}
	safe("*")
	taken(t, "safe.directory *")
	safe("*", "")
	ignored(t, "safe.directory reset by an empty value")
	safe(filepath.Join(home, "*"))
	taken(t, "safe.directory prefix/*")
	safe(tmp + "/*")
	ignored(t, "safe.directory tmp/* does not cover tmp itself")
	safe("~/tmp")
	taken(t, "safe.directory with ~")
	safe(filepath.Join(home, "elsewhere"))
	ignored(t, "safe.directory naming another folder")

	// GIT_CONFIG_GLOBAL replaces ~/.gitconfig, as in git.
	safe("*")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, "none"))
	ignored(t, "GIT_CONFIG_GLOBAL elsewhere")
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	taken(t, "GIT_CONFIG_GLOBAL")
	os.Remove(global)
	writeFile(t, filepath.Join(home, ".config", "git", "config"), "[safe]\n\tdirectory = *\n")
	os.Unsetenv("GIT_CONFIG_GLOBAL")
	taken(t, "XDG git config")
	os.Remove(filepath.Join(home, ".config", "git", "config"))

	// A repository's own config cannot vouch for itself.
	runGit(t, tmp, "-c", "safe.directory=*", "config", "safe.directory", "*")
	chownTree(t, filepath.Join(tmp, ".git"), otherUID)
	ignored(t, "safe.directory in the repository's own config")

	// The system file counts unless GIT_CONFIG_NOSYSTEM.
	sys := filepath.Join(home, "etc-gitconfig")
	writeFile(t, sys, "[safe]\n\tdirectory = *\n")
	t.Setenv("GIT_CONFIG_SYSTEM", sys)
	ignored(t, "system file with GIT_CONFIG_NOSYSTEM")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "")
	taken(t, "system file")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")

	// As root under sudo, the user sudo ran as owns their repositories.
	t.Setenv("SUDO_UID", "4242")
	taken(t, "root with SUDO_UID")
	t.Setenv("SUDO_UID", "")

	// A work tree root of another user, its .git one's own, is refused too
	// (git checks the work tree as well).
	chownTree(t, filepath.Join(tmp, ".git"), 0)
	taken(t, "own .git")
	if err := os.Lchown(tmp, otherUID, otherUID); err != nil {
		t.Fatal(err)
	}
	ctx, err := Detect(work, Options{})
	if err != nil || ctx.Repo != "" || !strings.Contains(ctx.Ignored, tmp+" belongs to another user (uid 4242)") {
		t.Errorf("foreign work tree: Detect = %+v, %v", ctx, err)
	}
}

func TestOwnedBy(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tt := range []struct {
		uid, euid int
		sudo      string
		want      bool
	}{
		{1000, 1000, "", true},
		{1001, 1000, "", false},
		{1001, 1000, "1001", false}, // SUDO_UID counts only for root
		{0, 0, "", true},
		{1000, 0, "", false},
		{1000, 0, "1000", true},
		{0, 0, "1000", true}, // root's own files stay root's
		{1000, 0, "x", false},
		{1000, 0, "-1", false},
	} {
		if got := ownedBy(tt.uid, tt.euid, env(map[string]string{"SUDO_UID": tt.sudo})); got != tt.want {
			t.Errorf("ownedBy(%d, euid %d, SUDO_UID %q) = %v, want %v", tt.uid, tt.euid, tt.sudo, got, tt.want)
		}
	}
}

// gitIn runs git in dir, for checking that git agrees.
func gitIn(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	return string(out), err
}

// TestForeignDotGitNotRead: another user's /tmp/.git that is a FIFO or
// garbage is ignored before it is read, so it can neither hang nor fail
// kage in every folder below it.
func TestForeignDotGitNotRead(t *testing.T) {
	home := testEnv(t)
	t.Setenv("SUDO_UID", "")
	for name, plant := range map[string]func(p string){
		"FIFO":    func(p string) { mkfifo(t, p) },
		"garbage": func(p string) { writeFile(t, p, "\x1b[2J not a gitdir line\n") },
		"dangling": func(p string) {
			writeFile(t, p, "gitdir: /nowhere/.git/worktrees/x\n")
		},
	} {
		t.Run(name, func(t *testing.T) {
			tmp := mkdir(t, filepath.Join(home, name))
			plant(filepath.Join(tmp, ".git"))
			chownTree(t, filepath.Join(tmp, ".git"), otherUID)
			ctx, err, _ := detectWithin(t, mkdir(t, filepath.Join(tmp, "work")))
			if err != nil || ctx.Repo != "" || !strings.Contains(ctx.Ignored, "belongs to another user (uid 4242)") {
				t.Errorf("Detect = %+v, %v; want the foreign .git ignored", ctx, err)
			}
		})
	}
}
