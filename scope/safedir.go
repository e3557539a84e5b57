package scope

import (
	"os"
	"path/filepath"
	"strings"
)

// safeDirectory tells whether the user's own git configuration trusts the
// work tree root although someone else owns it, as git's safe.directory
// does. It is read only when the ownership test has failed, so a
// repository of one's own costs nothing. Like git, only the protected
// configuration counts — the system file and the user's global ones, never
// a repository's own, which whoever owns it wrote. Includes are not
// followed, nor are -c settings (git -c has no place here).
func safeDirectory(root string) bool {
	safe := false
	for _, f := range protectedConfigs(os.Getenv) {
		cfg, err := loadGitConfig(f)
		if err != nil {
			// git dies on a broken global config; kage just does not
			// take it as trusting anything.
			continue
		}
		for _, e := range cfg.entries {
			if e.name != "safe.directory" {
				continue
			}
			switch v := e.value; {
			case !e.hasValue:
			case v == "":
				// An empty value resets the list, as in git.
				safe = false
			case safeMatch(v, root):
				safe = true
			}
		}
	}
	return safe
}

// protectedConfigs are git's system and global config files, in the order
// git reads them: $GIT_CONFIG_SYSTEM or /etc/gitconfig unless
// GIT_CONFIG_NOSYSTEM is true, then $GIT_CONFIG_GLOBAL alone if set, else
// $XDG_CONFIG_HOME/git/config (~/.config/git/config) and ~/.gitconfig.
func protectedConfigs(getenv func(string) string) []string {
	var files []string
	if no, ok := parseGitBool(getenv("GIT_CONFIG_NOSYSTEM")); !no || !ok {
		sys := getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	if g := getenv("GIT_CONFIG_GLOBAL"); g != "" {
		return append(files, g)
	}
	home := getenv("HOME")
	xdg := getenv("XDG_CONFIG_HOME")
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	if xdg != "" {
		files = append(files, filepath.Join(xdg, "git", "config"))
	}
	if home != "" {
		files = append(files, filepath.Join(home, ".gitconfig"))
	}
	return files
}

// safeMatch is one safe.directory value against root: "*" is every
// folder, "/path/*" every folder below /path but not /path itself (git 2.46), anything else one
// folder, ~ expanded and compared with links resolved on both sides.
func safeMatch(v, root string) bool {
	if v == "*" {
		return true
	}
	p, err := ExpandHome(v)
	if err != nil || !filepath.IsAbs(p) {
		return false
	}
	if prefix, ok := strings.CutSuffix(p, "/*"); ok {
		prefix = filepath.Clean(prefix)
		if real, err := filepath.EvalSymlinks(prefix); err == nil {
			prefix = real
		}
		if !strings.HasSuffix(prefix, string(filepath.Separator)) {
			prefix += string(filepath.Separator)
		}
		return strings.HasPrefix(root, prefix)
	}
	p = filepath.Clean(p)
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	return p == root
}
