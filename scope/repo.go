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
	// cfgFile is the repository's local config, cfg its content (empty when
	// the file is missing). Only this file is read, never include.path nor
	// anything in the work tree, so a cloned repository cannot configure kage.
	cfgFile string
	cfg     *gitConfig
}

// findRepo looks for the git work tree containing dir (absolute, symlinks
// resolved), walking up like git and go-git's DetectDotGit. Not being in a
// repository is not an error.
func findRepo(dir string) (repoInfo, bool, error) {
	for d := dir; ; {
		dotGit := filepath.Join(d, ".git")
		fi, err := os.Stat(dotGit)
		switch {
		case err == nil:
			r, found, err := openWorkTree(d, dotGit, fi)
			if err != nil || found {
				return r, found, err
			}
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return repoInfo{}, false, fmt.Errorf("cannot look for a git repository: %w", err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return repoInfo{}, false, nil
		}
		d = parent
	}
}

// openWorkTree reads the repository whose .git entry is dotGit inside root.
func openWorkTree(root, dotGit string, fi fs.FileInfo) (repoInfo, bool, error) {
	gitDir := dotGit
	if !fi.IsDir() {
		// A linked worktree or submodule: .git is a file naming the git dir.
		var err error
		if gitDir, err = readGitFile(dotGit); err != nil {
			return repoInfo{}, false, err
		}
	}
	if _, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil {
		if fi.IsDir() {
			// Not a repository after all (an empty or stray .git folder);
			// git keeps looking upward, so do the same.
			return repoInfo{}, false, nil
		}
		return repoInfo{}, false, fmt.Errorf("%s points to %s, which is not a git directory; if the worktree was moved or its repository deleted, run git worktree repair or remove %s", dotGit, gitDir, dotGit)
	}
	gitDir, err := filepath.EvalSymlinks(gitDir)
	if err != nil {
		return repoInfo{}, false, fmt.Errorf("cannot resolve git directory: %w", err)
	}

	commonDir := gitDir
	b, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	switch {
	case err == nil:
		c := strings.TrimSpace(firstLine(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		if commonDir, err = filepath.EvalSymlinks(c); err != nil {
			return repoInfo{}, false, fmt.Errorf("the worktree %s belongs to %s, which cannot be read (%v); if the repository moved, run git worktree repair in it", root, c, unwrapPath(err))
		}
	case !errors.Is(err, fs.ErrNotExist):
		return repoInfo{}, false, fmt.Errorf("cannot read %s: %w", filepath.Join(gitDir, "commondir"), err)
	}

	r := repoInfo{root: root, gitDir: gitDir, commonDir: commonDir, cfgFile: filepath.Join(commonDir, "config")}
	if r.cfg, err = loadGitConfig(r.cfgFile); err != nil {
		return repoInfo{}, false, err
	}
	// A linked worktree shares its repository's secrets, so it maps to the
	// main work tree, which git keeps as the parent of a common dir named
	// .git. A bare repository has no main work tree to map to.
	if commonDir != gitDir && filepath.Base(commonDir) == ".git" && !r.cfg.bool("core.bare") {
		r.root = filepath.Dir(commonDir)
	}
	return r, true, nil
}

// readGitFile follows a ".git" file ("gitdir: PATH") the way git does.
func readGitFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	line, ok := strings.CutPrefix(strings.TrimRight(firstLine(b), "\r"), "gitdir: ")
	if !ok || strings.TrimSpace(line) == "" {
		return "", fmt.Errorf("%s is not a valid .git file: it must start with \"gitdir: \"; fix or remove it", name)
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
// into the work tree.
func loadGitConfig(name string) (*gitConfig, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &gitConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read git config %s: %w", name, unwrapPath(err))
	}
	cfg, err := parseGitConfig(b)
	if err != nil {
		return nil, fmt.Errorf("cannot parse git config %s, %v; check it with git config --local --list", name, err)
	}
	return cfg, nil
}

// gitNamespace returns the validated kage.namespace of r's local config.
func gitNamespace(r repoInfo) (string, error) {
	// A valueless "namespace" (boolean true to git) reads as "", like
	// git config --get prints it: no namespace.
	e, _ := r.cfg.get("kage.namespace")
	if e.value == "" {
		return "", nil
	}
	n, err := normalizeNamespace(e.value)
	if err != nil {
		return "", fmt.Errorf("git config kage.namespace in %s: %w; fix it with kage namespace set NAME", r.cfgFile, err)
	}
	return n, nil
}

// unwrapPath drops the *PathError wrapper when the message names the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
