package scope

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kage-cli/kage/internal/safefile"
)

// Size caps for the files kage reads from a repository, which whoever made
// the folder wrote. git writes a few hundred bytes to a .git file, commondir
// or gitdir; a local config of thousands of lines stays far below 1 MiB,
// which the reader parses in 10–120 ms (TestGitConfigCapParseTime).
const (
	maxPointerFile = 4 << 10
	maxGitConfig   = 1 << 20
)

// repoInfo is what kage needs from a repository. It is found by reading a
// few small files rather than with git.PlainOpen: go-git v5 refuses to open
// repositories that use extensions it does not implement (worktreeConfig,
// which `git sparse-checkout` turns on, partialClone, objectFormat), and kage
// must work in those, and cheaply, as it runs on every prompt.
type repoInfo struct {
	// root is the main work tree's root; for a linked worktree of a bare
	// repository there is no main work tree, so it is the worktree's own.
	root string
	// gitDir is this work tree's git directory, commonDir the one shared by
	// all worktrees (equal unless this is a linked worktree).
	gitDir, commonDir string
}

// cfgFile is the repository's local config, shared by its worktrees. Only
// this file is ever read, never include.path nor anything in the work tree.
func (r repoInfo) cfgFile() string { return filepath.Join(r.commonDir, "config") }

// findRepo looks for the git work tree containing dir (absolute, symlinks
// resolved), walking up like git. Not being in a repository is not an
// error. A .git that git itself would refuse — another user's, or a linked
// worktree its repository does not list — ends the walk as git's refusal
// does: found is false and ignored says why, in one line. Each file or
// folder the answer was read from is appended to *in (Context.Inputs).
func findRepo(dir string, in *[]string) (r repoInfo, found bool, ignored string, err error) {
	for d := dir; ; {
		dotGit := filepath.Join(d, ".git")
		*in = append(*in, dotGit)
		fi, err := os.Lstat(dotGit)
		linked := false
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// git follows a linked .git; its owner is checked below.
			linked = true
			fi, err = os.Stat(dotGit)
		}
		switch {
		case err == nil:
			r, found, ignored, err := openWorkTree(d, dotGit, fi, linked, in)
			if err != nil || found || ignored != "" {
				return r, found, ignored, err
			}
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return repoInfo{}, false, "", fmt.Errorf("cannot look for a git repository: %w", cleanErr(err))
		}
		parent := filepath.Dir(d)
		if parent == d {
			return repoInfo{}, false, "", nil
		}
		d = parent
	}
}

// openWorkTree reads the repository whose .git entry is dotGit inside root
// (which has its links resolved); linked tells that dotGit is a link. in
// is findRepo's.
func openWorkTree(root, dotGit string, fi fs.FileInfo, linked bool, in *[]string) (repoInfo, bool, string, error) {
	// root for its owner; what git's global configs say, when asked
	// (safe.directory), depends on them.
	*in = append(*in, root)
	safe := func() bool {
		*in = append(*in, protectedConfigs(os.Getenv)...)
		return safeDirectory(root)
	}
	// git's safe.directory rule: a repository someone else owns may run
	// their hooks and filters, and here would choose the secrets. The work
	// tree and its .git are checked before anything is read, so another
	// user's /tmp/.git — a FIFO, garbage — cannot make kage fail in every
	// folder below it either.
	if why := notOwned([]string{root, dotGit}); why != "" && !safe() {
		return repoInfo{}, false, foreign(root, why), nil
	}
	gitDir := dotGit
	isFile := !fi.IsDir()
	if isFile {
		// A linked worktree or submodule: .git is a file naming the git dir.
		var err error
		if gitDir, err = readGitFile(dotGit); err != nil {
			return repoInfo{}, false, "", err
		}
	}
	*in = append(*in, gitDir, KindOnly+filepath.Join(gitDir, "HEAD"))
	if hfi, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil || !hfi.Mode().IsRegular() {
		if !isFile {
			// Not a repository after all (an empty or stray .git folder);
			// git keeps looking upward, so do the same.
			return repoInfo{}, false, "", nil
		}
		return repoInfo{}, false, "", fmt.Errorf("%s points to %s, which is not a git directory; if the worktree was moved or its repository deleted, run git worktree repair or remove %s", quotePath(dotGit), quotePath(gitDir), quotePath(dotGit))
	}
	if isFile || linked {
		// A plain .git folder inside a resolved root needs no resolving:
		// the common case, on every prompt, saves a call per folder.
		var err error
		if gitDir, err = filepath.EvalSymlinks(gitDir); err != nil {
			return repoInfo{}, false, "", fmt.Errorf("cannot resolve git directory: %w", cleanErr(err))
		}
	}

	commonDir := gitDir
	cf := filepath.Join(gitDir, "commondir")
	*in = append(*in, cf)
	b, err := safefile.ReadFile(cf, safefile.Options{Max: maxPointerFile})
	switch {
	case err == nil:
		c := strings.TrimSpace(firstLine(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		if commonDir, err = filepath.EvalSymlinks(c); err != nil {
			return repoInfo{}, false, "", fmt.Errorf("the worktree %s belongs to %s, which cannot be read (%v); if the repository moved, run git worktree repair in it", quotePath(root), quotePath(c), cleanErr(unwrapPath(err)))
		}
	case !errors.Is(err, fs.ErrNotExist):
		return repoInfo{}, false, "", fmt.Errorf("%s %s; git writes it as a short text file, so this is no repository git made", quotePath(cf), safefile.Describe(err))
	}

	// The git directories a .git file or commondir lead to must be the
	// user's too.
	var owned []string
	if gitDir != dotGit {
		owned = append(owned, gitDir)
	}
	if commonDir != gitDir {
		owned = append(owned, commonDir)
	}
	*in = append(*in, owned...)
	if why := notOwned(owned); why != "" && !safe() {
		return repoInfo{}, false, foreign(root, why), nil
	}

	r := repoInfo{root: root, gitDir: gitDir, commonDir: commonDir}
	if commonDir == gitDir {
		return r, true, "", nil
	}
	if why := notListed(root, dotGit, isFile, gitDir, commonDir, in); why != "" {
		return repoInfo{}, false, fmt.Sprintf("ignoring the git worktree at %s: it names %s as its repository, %s; if you moved the worktree, run git worktree repair in it", quotePath(root), quotePath(commonDir), why), nil
	}
	// A linked worktree shares its repository's secrets, so it maps to the
	// main work tree, which git keeps as the parent of a common dir named
	// .git. A bare repository has no main work tree to map to.
	if filepath.Base(commonDir) == ".git" {
		*in = append(*in, r.cfgFile())
		cfg, err := loadGitConfig(r.cfgFile())
		if err != nil {
			return repoInfo{}, false, "", err
		}
		if !cfg.bool("core.bare") {
			r.root = filepath.Dir(commonDir)
		}
	}
	return r, true, "", nil
}

// foreign is why a repository of someone else's is ignored.
func foreign(root, why string) string {
	return fmt.Sprintf("ignoring the git repository at %s: %s, and git refuses such a repository too (safe.directory); if you trust it: git config --global --add safe.directory %s", quotePath(root), why, quotePath(root))
}

// notListed is git's own check that a linked worktree belongs to the
// repository it names (git worktree prune and repair apply it): its git
// directory is <common>/worktrees/<id>, and that folder's gitdir file
// points back at this worktree's .git file. Anything else is a folder
// claiming another repository — a downloaded archive whose commondir leads
// to ~/code/payments/.git must not get payments' secrets. It returns why
// the claim fails, or "". in is findRepo's.
func notListed(root, dotGit string, isFile bool, gitDir, commonDir string, in *[]string) string {
	if !isFile {
		return "but its .git is a folder, which a linked worktree never has"
	}
	if filepath.Dir(gitDir) != filepath.Join(commonDir, "worktrees") {
		return fmt.Sprintf("but its git directory %s is not one of that repository's worktrees", quotePath(gitDir))
	}
	back := filepath.Join(gitDir, "gitdir")
	*in = append(*in, back)
	b, err := safefile.ReadFile(back, safefile.Options{Max: maxPointerFile})
	if err != nil {
		return fmt.Sprintf("but %s %s", quotePath(back), safefile.Describe(err))
	}
	p := strings.TrimSpace(firstLine(b))
	if p == "" {
		return fmt.Sprintf("but %s is empty", quotePath(back))
	}
	if !filepath.IsAbs(p) {
		// git 2.48's worktree.useRelativePaths writes it relative to
		// the folder holding it.
		p = filepath.Join(gitDir, p)
	}
	if filepath.Clean(p) == dotGit {
		// git writes the real path; comparing files is for links.
		return ""
	}
	// Lstat: a .git that is a link to the listed worktree's .git file is
	// another folder claiming that worktree (an archive can hold the
	// link); git takes it as its own top level.
	*in = append(*in, p)
	want, err1 := os.Lstat(dotGit)
	got, err2 := os.Stat(p)
	if err1 != nil || err2 != nil || !os.SameFile(want, got) {
		return fmt.Sprintf("which lists that worktree at %s, not here", quotePath(p))
	}
	return ""
}

// readGitFile follows a ".git" file ("gitdir: PATH") the way git does.
func readGitFile(name string) (string, error) {
	b, err := safefile.ReadFile(name, safefile.Options{Max: maxPointerFile, Follow: true})
	if err != nil {
		return "", fmt.Errorf("%s %s; git writes it as a short \"gitdir: PATH\" line: fix or remove it", quotePath(name), safefile.Describe(err))
	}
	line, ok := strings.CutPrefix(strings.TrimRight(firstLine(b), "\r"), "gitdir: ")
	if !ok || strings.TrimSpace(line) == "" {
		return "", fmt.Errorf("%s is not a valid .git file: it must start with \"gitdir: \"; fix or remove it", quotePath(name))
	}
	line = strings.TrimSpace(line)
	if !filepath.IsAbs(line) {
		line = filepath.Join(filepath.Dir(name), line)
	}
	return filepath.Clean(line), nil
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// loadGitConfig reads a git config file with kage's own reader (see
// gitcfg.go), which does not follow include.path: an include could point
// into the work tree. git follows a linked config, so kage does too, but
// the file must be a regular one of at most maxGitConfig bytes: a FIFO
// would hang the prompt, /dev/zero would never end.
func loadGitConfig(name string) (*gitConfig, error) {
	b, err := safefile.ReadFile(name, safefile.Options{Max: maxGitConfig, Follow: true})
	if errors.Is(err, fs.ErrNotExist) {
		return &gitConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("git config %s %s", quotePath(name), safefile.Describe(err))
	}
	cfg, err := parseGitConfig(b)
	if err != nil {
		return nil, fmt.Errorf("cannot parse git config %s, %v; check it with git config --local --list", quotePath(name), err)
	}
	return cfg, nil
}

// unwrapPath drops the *PathError wrapper when the message names the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// quotePath writes a path for a message: as is, unless it holds control
// characters or is not UTF-8, which a terminal would act on (a folder
// named with an escape sequence can set the title or erase the screen);
// those are escaped as Go does, \x1b.
func quotePath(p string) string {
	if printableText(p) {
		return p
	}
	q := fmt.Sprintf("%q", p)
	return q[1 : len(q)-1]
}

func printableText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd {
			return false
		}
	}
	return true
}

// cleanErr makes an error's text safe for a terminal: a file-system error
// quotes the path it failed on.
func cleanErr(err error) error {
	if err == nil || printableText(err.Error()) {
		return err
	}
	return errors.New(quotePath(err.Error()))
}
