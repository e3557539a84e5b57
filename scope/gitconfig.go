package scope

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// GitNamespace reads kage.namespace from the local git config of the
// repository holding repo ("" when unset). A linked worktree shares its
// repository's config, so it reports the same namespace.
func GitNamespace(repo string) (string, error) {
	r, err := openRepo(repo)
	if err != nil {
		return "", err
	}
	return gitNamespace(r)
}

// SetGitNamespace puts the repository holding repo into namespace name by
// writing kage.namespace to its local config (.git/config, or the shared
// config of a linked worktree), which git never tracks or clones. The name
// is lower-cased and validated first.
//
// The file is edited in place rather than through go-git's SetConfig, which
// rewrites the whole file: it drops comments, turns a valueless boolean
// ("[x] flag") into false, duplicates remote URLs that an insteadOf rule
// rewrites, and refuses configs with a remote that has no url.
func SetGitNamespace(repo, name string) error {
	n, err := normalizeNamespace(name)
	if err != nil {
		return err
	}
	r, err := openRepo(repo)
	if err != nil {
		return err
	}
	return editGitConfig(r.cfgFile, n)
}

// UnsetGitNamespace removes kage.namespace from the repository's local
// config; it is not an error when none is set.
func UnsetGitNamespace(repo string) error {
	r, err := openRepo(repo)
	if err != nil {
		return err
	}
	return editGitConfig(r.cfgFile, "")
}

func openRepo(repo string) (repoInfo, error) {
	d, err := resolveDir(repo)
	if err != nil {
		return repoInfo{}, err
	}
	r, found, err := findRepo(d)
	if err != nil {
		return repoInfo{}, err
	}
	if !found {
		return repoInfo{}, fmt.Errorf("%s is not inside a git repository; cd into one first", d)
	}
	return r, nil
}

// editGitConfig sets kage.namespace to value ("" removes it) in the config
// file name, changing no other line. Like git, it takes name.lock before
// reading, so a concurrent git command's change is neither lost nor
// interleaved, and renames the lock over the file, so a crash leaves the old
// or the new file, never half of one.
func editGitConfig(name, value string) error {
	lock := name + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cannot lock git config: %s exists; another git process seems to be running in this repository; if not, remove the file and retry", lock)
	}
	if err != nil {
		return fmt.Errorf("cannot lock git config: %w", err)
	}
	renamed := false
	defer func() {
		if f != nil {
			_ = f.Close()
		}
		if !renamed {
			_ = os.Remove(lock)
		}
	}()

	perm := fs.FileMode(0o644)
	old, err := os.ReadFile(name)
	switch {
	case err == nil:
		if fi, err := os.Stat(name); err == nil {
			perm = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	default:
		return fmt.Errorf("cannot read git config %s: %w", name, unwrapPath(err))
	}
	updated, err := rewriteNamespace(old, value)
	if err != nil {
		return fmt.Errorf("cannot edit git config %s: %v; run git config --local kage.namespace NAME instead", name, err)
	}
	if bytes.Equal(updated, old) {
		return nil
	}
	if err := verifyEdit(old, updated, value); err != nil {
		return fmt.Errorf("cannot edit git config %s safely: %v; run git config --local kage.namespace NAME instead", name, err)
	}

	// OpenFile's mode is filtered by the umask; keep the file's own mode.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("cannot write git config: %w", err)
	}
	if _, err := f.Write(updated); err != nil {
		return fmt.Errorf("cannot write git config: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write git config: %w", err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("cannot write git config: %w", err)
	}
	if err := os.Rename(lock, name); err != nil {
		return fmt.Errorf("cannot write git config: %w", err)
	}
	renamed = true
	return nil
}

// rewriteNamespace returns data with every kage.namespace entry removed
// and, unless value is "", one "namespace = value" written where the last
// one was, or at the top of the last [kage] section, or in a new [kage]
// section at the end. Every other byte is kept.
func rewriteNamespace(data []byte, value string) ([]byte, error) {
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var (
		out        []string
		inKage     bool // the current section is [kage] itself
		cont       bool // the previous line ended in a continuation backslash
		quoted     bool // ... inside a quoted string
		dropping   bool // that previous line was removed, so this one goes too
		insertAt   = -1 // where the last removed entry was
		lastHeader = -1 // just after the last [kage] header
	)
	for i, line := range lines {
		if cont {
			cont, quoted = continues(line, quoted)
			if !dropping {
				out = append(out, line)
			}
			continue
		}
		dropping = false
		t := strings.TrimLeft(line, " \t")
		rest := t // the part holding a key = value, if any
		if strings.HasPrefix(t, "[") {
			name, sub, tail, ok := parseHeader(t)
			if !ok {
				return nil, fmt.Errorf("line %d: cannot understand section header %q", i+1, strings.TrimSpace(line))
			}
			inKage = strings.EqualFold(name, "kage") && !sub
			rest = strings.TrimLeft(tail, " \t")
			if inKage {
				if isNamespaceKey(rest) {
					// "[kage] namespace = x" on one line: keep the header.
					header := line[:len(line)-len(tail)]
					out = append(out, header+"\n")
					insertAt, lastHeader = len(out), len(out)
					dropping = true
					cont, quoted = continues(rest, false)
					continue
				}
				lastHeader = len(out) + 1
			}
		} else if inKage && isNamespaceKey(rest) {
			insertAt = len(out)
			dropping = true
			cont, quoted = continues(rest, false)
			continue
		}
		out = append(out, line)
		cont, quoted = continues(rest, false)
	}
	if cont {
		return nil, errors.New("the file ends in the middle of a continued value")
	}
	if value == "" {
		return []byte(strings.Join(out, "")), nil
	}
	entry := "\tnamespace = " + value + "\n"
	switch {
	case insertAt >= 0:
		out = insertString(out, insertAt, entry)
	case lastHeader >= 0:
		out = insertString(out, lastHeader, entry)
	default:
		if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
			out[n-1] += "\n"
		}
		out = append(out, "[kage]\n", entry)
	}
	return []byte(strings.Join(out, "")), nil
}

func insertString(s []string, i int, v string) []string {
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// parseHeader reads "[name]", "[name \"sub\"]" or the old "[name.sub]"
// and returns what follows the closing bracket.
func parseHeader(t string) (name string, sub bool, tail string, ok bool) {
	i := 1
	for i < len(t) && t[i] != ']' && t[i] != ' ' && t[i] != '\t' && t[i] != '"' {
		i++
	}
	name = t[1:i]
	if strings.Contains(name, ".") {
		sub = true
	}
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	if i < len(t) && t[i] == '"' {
		sub = true
		for i++; i < len(t) && t[i] != '"'; i++ {
			if t[i] == '\\' {
				i++
			}
		}
		if i >= len(t) {
			return "", false, "", false
		}
		i++
	}
	if i >= len(t) || t[i] != ']' || name == "" {
		return "", false, "", false
	}
	return name, sub, t[i+1:], true
}

// isNamespaceKey reports whether a "key = value" line sets "namespace";
// git keys are case-insensitive.
func isNamespaceKey(s string) bool {
	const key = "namespace"
	if len(s) < len(key) || !strings.EqualFold(s[:len(key)], key) {
		return false
	}
	r := strings.TrimLeft(s[len(key):], " \t")
	return r == "" || r[0] == '=' || r[0] == '\r' || r[0] == '\n' || r[0] == '#' || r[0] == ';'
}

// continues reports whether a line's value goes on to the next line: it
// ends in a backslash outside a comment. inQuote carries an open quote from
// the previous line, where ';' and '#' do not start a comment.
func continues(s string, inQuote bool) (cont, quoted bool) {
	s = strings.TrimRight(s, "\r\n")
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i == len(s)-1 {
				return true, inQuote
			}
			i++
		case '"':
			inQuote = !inQuote
		case '#', ';':
			if !inQuote {
				return false, false
			}
		}
	}
	return false, false
}

// verifyEdit parses both versions and checks that they differ only in
// kage.namespace: the line editor handles git's syntax only as far as kage
// needs, and a config it misread must not be written back damaged.
func verifyEdit(old, updated []byte, value string) error {
	before, err := flatten(old)
	if err != nil {
		return fmt.Errorf("cannot parse it: %v", err)
	}
	after, err := flatten(updated)
	if err != nil {
		return fmt.Errorf("the edit would leave it unreadable: %v", err)
	}
	var want []string
	if value != "" {
		want = []string{value}
	}
	if got := after.namespace; !slices.Equal(got, want) {
		return fmt.Errorf("the edit would set kage.namespace to %q, not %q", got, want)
	}
	if !slices.Equal(before.others, after.others) {
		return errors.New("the edit would change other settings")
	}
	return nil
}

type flatConfig struct {
	namespace []string // values of kage.namespace
	others    []string // every other entry, in order
}

// flatten lists b's entries as git reads them, so that verifyEdit compares
// what git will see rather than the bytes.
func flatten(b []byte) (flatConfig, error) {
	cfg, err := parseGitConfig(b)
	if err != nil {
		return flatConfig{}, err
	}
	var f flatConfig
	for _, e := range cfg.entries {
		if e.name == "kage.namespace" {
			f.namespace = append(f.namespace, e.value)
			continue
		}
		// A valueless key (true) and "key =" (false) differ to git.
		kind := "="
		if !e.hasValue {
			kind = "!"
		}
		f.others = append(f.others, e.name+"\x00"+kind+e.value)
	}
	return f, nil
}
