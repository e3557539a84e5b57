package scope

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorktreeMustBeListed covers a folder that claims to be a linked
// worktree of a real repository. Before, kage took the claim at its word:
// an archive whose .git/commondir led to ~/code/payments/.git got
// payments' repo secrets, and secret set --scope repo or namespace set
// there wrote to payments.
func TestWorktreeMustBeListed(t *testing.T) {
	home := testEnv(t)
	payments := newRepo(t, filepath.Join(home, "code", "payments"))
	real := filepath.Join(home, "wt", "payments-feature")
	runGit(t, payments, "worktree", "add", "-q", "-b", "feature", real)
	realGitDir := filepath.Join(payments, ".git", "worktrees", "payments-feature")
	if _, err := os.Stat(filepath.Join(realGitDir, "gitdir")); err != nil {
		t.Fatalf("test setup: git did not write the back-pointer: %v", err)
	}

	// A: a .git folder with HEAD and a commondir leading, relatively, to
	// payments' .git.
	a := mkdir(t, filepath.Join(home, "Downloads", "a", "x"))
	writeFile(t, filepath.Join(a, ".git", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(a, ".git", "commondir"), "../../../../code/payments/.git\n")
	// B: a .git file naming a git dir in the archive, with that commondir.
	b := mkdir(t, filepath.Join(home, "Downloads", "b"))
	writeFile(t, filepath.Join(b, ".git"), "gitdir: fake\n")
	writeFile(t, filepath.Join(b, "fake", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(b, "fake", "commondir"), filepath.Join(payments, ".git")+"\n")
	// C: a .git file naming the real worktree's git dir, whose gitdir
	// lists the real worktree, not this folder.
	c := mkdir(t, filepath.Join(home, "Downloads", "c"))
	writeFile(t, filepath.Join(c, ".git"), "gitdir: "+realGitDir+"\n")
	// D: B's fake git dir, given its own back-pointer: it is still not
	// one of payments' worktrees.
	d := mkdir(t, filepath.Join(home, "Downloads", "d"))
	writeFile(t, filepath.Join(d, ".git"), "gitdir: fake\n")
	writeFile(t, filepath.Join(d, "fake", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(d, "fake", "commondir"), filepath.Join(payments, ".git")+"\n")
	writeFile(t, filepath.Join(d, "fake", "gitdir"), filepath.Join(d, ".git")+"\n")
	// E: a .git that is a link to the real worktree's .git file, which an
	// archive can hold: git takes the folder as its own top level, and the
	// back-pointer names the real worktree's file, not this link.
	e := mkdir(t, filepath.Join(home, "Downloads", "e"))
	if err := os.Symlink(filepath.Join(real, ".git"), filepath.Join(e, ".git")); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, dir, why string }{
		{"commondir in a .git folder", a, "its .git is a folder"},
		{"commondir behind a .git file", b, "is not one of that repository's worktrees"},
		{"another worktree's git dir", c, "which lists that worktree at " + filepath.Join(real, ".git") + ", not here"},
		{"own back-pointer outside the repository", d, "is not one of that repository's worktrees"},
		{"a link to the real worktree's .git", e, "which lists that worktree at " + filepath.Join(real, ".git") + ", not here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := Detect(mkdir(t, filepath.Join(tt.dir, "src")), Options{Data: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if ctx.Repo != "" {
				t.Errorf("Repo = %q; want none: the folder is not a worktree of %s", ctx.Repo, payments)
			}
			want := "ignoring the git worktree at " + tt.dir + ": it names " + filepath.Join(payments, ".git") + " as its repository"
			if !strings.HasPrefix(ctx.Ignored, want) || !strings.Contains(ctx.Ignored, tt.why) || !strings.Contains(ctx.Ignored, "git worktree repair") {
				t.Errorf("Ignored = %q; want %q… %q", ctx.Ignored, want, tt.why)
			}
			// A repo scope typed for the folder is the folder, not payments.
			sc, err := Parse("repo:"+tt.dir, nil)
			if err != nil || sc.Path != tt.dir {
				t.Errorf("Parse(repo:%s) = %v, %v; want the folder itself", tt.dir, sc, err)
			}
		})
	}

	t.Run("the real worktree", func(t *testing.T) {
		ctx, err := Detect(real, Options{})
		if err != nil || ctx.Repo != payments || ctx.Ignored != "" {
			t.Errorf("Detect(%s) = %+v, %v; want repo %s", real, ctx, err, payments)
		}
	})
	t.Run("a relative back-pointer", func(t *testing.T) {
		// git 2.48's worktree.useRelativePaths writes both pointers
		// relative.
		wt := filepath.Join(home, "wt", "rel")
		runGit(t, payments, "worktree", "add", "-q", "-b", "rel", wt)
		gd := filepath.Join(payments, ".git", "worktrees", "rel")
		rel, err := filepath.Rel(gd, filepath.Join(wt, ".git"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(gd, "gitdir"), rel+"\n")
		relGD, _ := filepath.Rel(wt, gd)
		writeFile(t, filepath.Join(wt, ".git"), "gitdir: "+relGD+"\n")
		if got := runGit(t, wt, "rev-parse", "--git-common-dir"); !strings.HasSuffix(got, "payments/.git") {
			t.Fatalf("test setup: git reads the worktree as %q", got)
		}
		ctx, err := Detect(wt, Options{})
		if err != nil || ctx.Repo != payments || ctx.Ignored != "" {
			t.Errorf("Detect(%s) = %+v, %v; want repo %s", wt, ctx, err, payments)
		}
	})
	t.Run("a moved worktree", func(t *testing.T) {
		wt := filepath.Join(home, "wt", "moving")
		runGit(t, payments, "worktree", "add", "-q", "-b", "moving", wt)
		moved := filepath.Join(home, "wt", "moved")
		if err := os.Rename(wt, moved); err != nil {
			t.Fatal(err)
		}
		ctx, err := Detect(moved, Options{})
		if err != nil || ctx.Repo != "" || !strings.Contains(ctx.Ignored, "if you moved the worktree, run git worktree repair in it") {
			t.Errorf("Detect(%s) = %+v, %v; want it ignored with the repair hint", moved, ctx, err)
		}
		runGit(t, moved, "worktree", "repair")
		ctx, err = Detect(moved, Options{})
		if err != nil || ctx.Repo != payments || ctx.Ignored != "" {
			t.Errorf("after git worktree repair, Detect(%s) = %+v, %v; want repo %s", moved, ctx, err, payments)
		}
	})
}
