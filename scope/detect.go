package scope

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/kage-cli/kage/config"
)

// Context is what applies in one directory: its repository, if any, and
// its namespace, if any. Global always applies and is not stored.
type Context struct {
	// Dir is the directory the context is for: absolute, symlinks resolved.
	Dir string
	// Repo is the main work tree root of the repository holding Dir, with
	// symlinks resolved; "" outside a repository.
	Repo string
	// Namespace is the namespace in effect, "" when none.
	Namespace string
	// NamespaceFrom tells the user where Namespace came from, so a
	// surprising namespace can be traced and fixed (kage env --explain).
	NamespaceFrom string
	// Ignored, when set, says in one line why a .git on the way up was not
	// taken as a repository (another user's, or a worktree its repository
	// does not list), so Repo is "". The caller shows it to the user.
	Ignored string
	// Inputs lists the files and folders the answer was read from, for a
	// caller that keeps it and wants to know when to look again (the
	// prompt hook): each .git looked for on the way up, the repository's
	// files that were read, git's global configs where its
	// safe.directory rule was asked, kage's membership file and the
	// folders a [namespaces] glob resolves. A change to any of them can
	// change the answer; nothing else in the file system can. A path
	// written with KindOnly in front matters only by whether it is a
	// regular file (a repository's HEAD, which git rewrites at every
	// checkout).
	Inputs []string

	// commonDir is Repo's shared git directory, whose config
	// IgnoredGitNamespace reads.
	commonDir string
}

// KindOnly marks an entry of Context.Inputs whose content does not
// matter, only whether it is a regular file.
const KindOnly = "+"

// Options are the caller's inputs to Detect.
type Options struct {
	// Namespace overrides every other source; the caller picks it from
	// --namespace or KAGE_NAMESPACE. It is lower-cased and validated.
	Namespace string
	// NamespaceFrom names that source ("--namespace", "KAGE_NAMESPACE").
	NamespaceFrom string
	// Config supplies the [namespaces] globs; nil means none.
	Config *config.Config
	// Data is kage's data folder, which holds the memberships kage
	// namespace set records (MembershipFile); "" reads none.
	Data string
}

// Detect finds the context of dir ("" means the working directory). The
// repository is found from git's own files; the namespace comes only from
// opts, kage's membership file and config.toml — never from the work tree
// or its .git, which whoever made the folder wrote.
func Detect(dir string, opts Options) (*Context, error) {
	d, err := resolveDir(dir)
	if err != nil {
		return nil, err
	}
	ctx := &Context{Dir: d}
	r, inRepo, ignored, err := findRepo(d, &ctx.Inputs)
	if err != nil {
		return nil, err
	}
	if inRepo {
		ctx.Repo, ctx.commonDir = r.root, r.commonDir
	}
	ctx.Ignored = ignored
	// Every glob is checked wherever kage runs, even where a namespace
	// from elsewhere wins: a mistake in config.toml, or a glob that takes
	// in every repository, is reported at once, not first in the folder
	// it would change.
	var globs []nsGlob
	if opts.Config != nil && len(opts.Config.Namespaces) > 0 {
		if globs, err = configGlobs(opts.Config); err != nil {
			return nil, err
		}
	}

	if opts.Namespace != "" {
		from := opts.NamespaceFrom
		if from == "" {
			from = "--namespace"
		}
		n, err := normalizeNamespace(opts.Namespace)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		ctx.Namespace, ctx.NamespaceFrom = n, from
		return ctx, nil
	}
	if inRepo && opts.Data != "" {
		ctx.Inputs = append(ctx.Inputs, MembershipPath(opts.Data))
		n, err := membershipOf(opts.Data, r.root)
		if err != nil {
			return nil, err
		}
		if n != "" {
			ctx.Namespace, ctx.NamespaceFrom = n, "kage namespace set, kept in "+quotePath(MembershipPath(opts.Data))
			return ctx, nil
		}
	}
	if len(globs) > 0 {
		// Resolved only here, where they are matched: checking them above
		// costs no file-system call, resolving one costs a few.
		for i := range globs {
			var prefix string
			globs[i].pattern, prefix = resolveGlobPrefix(globs[i].pattern)
			if prefix != "" {
				ctx.Inputs = append(ctx.Inputs, prefix)
			}
		}
		at := ctx.Dir
		if inRepo {
			// A repository joins a namespace as a whole, whichever of its
			// folders the user is in.
			at = ctx.Repo
		}
		if g, ok := matchGlobs(globs, at); ok {
			ctx.Namespace = g.name
			ctx.NamespaceFrom = fmt.Sprintf("config.toml [namespaces] (glob %q)", g.glob)
		}
	}
	return ctx, nil
}

func resolveDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("cannot find the current directory: %w", err)
		}
		dir = wd
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("directory %q: %w", dir, err)
	}
	return realDir(abs, fmt.Sprintf("directory %q", dir))
}

// realDir resolves the symlinks of the absolute path p and checks that it
// is a directory; what names p in errors as the user gave it.
func realDir(p, what string) (string, error) {
	real, err := filepath.EvalSymlinks(filepath.Clean(p))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s does not exist", what)
	}
	if isLinkLoop(err) {
		return "", fmt.Errorf("%s runs into a loop of symbolic links", what)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, cleanErr(err))
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, cleanErr(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", what)
	}
	return real, nil
}

// isLinkLoop tells a symbolic link loop from other errors: EvalSymlinks
// reports one as a bare "too many links", the system calls as ELOOP.
func isLinkLoop(err error) bool {
	return err != nil && (errors.Is(err, syscall.ELOOP) || strings.HasSuffix(err.Error(), "too many links"))
}

// Chain lists the scopes a name is looked up in, most specific first.
func (c *Context) Chain() []Scope {
	var chain []Scope
	if s, ok := c.RepoScope(); ok {
		chain = append(chain, s)
	}
	if s, ok := c.NamespaceScope(); ok {
		chain = append(chain, s)
	}
	return append(chain, Scope{Kind: Global})
}

// RepoScope is the repository scope of the context, if it is in one.
func (c *Context) RepoScope() (Scope, bool) {
	if c == nil || c.Repo == "" {
		return Scope{}, false
	}
	return Scope{Kind: Repo, Path: c.Repo}, true
}

// NamespaceScope is the namespace scope of the context, if one applies.
func (c *Context) NamespaceScope() (Scope, bool) {
	if c == nil || c.Namespace == "" {
		return Scope{}, false
	}
	return Scope{Kind: Namespace, Name: c.Namespace}, true
}

// nsGlob is one glob of config.toml [namespaces], ready to match.
type nsGlob struct {
	name    string // validated namespace
	glob    string // as written, for NamespaceFrom
	pattern string // expanded, cleaned, static prefix symlink-resolved
}

// configGlobs validates every [namespaces] entry, not only the one that
// matches, so a typo is reported wherever kage runs rather than only in
// the folder it was meant for. Names are sorted so ties are deterministic.
func configGlobs(cfg *config.Config) ([]nsGlob, error) {
	keys := make([]string, 0, len(cfg.Namespaces))
	for k := range cfg.Namespaces {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []nsGlob
	for _, key := range keys {
		name, err := normalizeNamespace(key)
		if err != nil {
			return nil, configError(cfg, fmt.Sprintf("[namespaces] key %q: %v", key, err))
		}
		for _, g := range cfg.Namespaces[key] {
			pat, err := globPattern(g)
			if err != nil {
				return nil, configError(cfg, fmt.Sprintf("[namespaces] %s: %v", key, err))
			}
			out = append(out, nsGlob{name: name, glob: g, pattern: pat})
		}
	}
	return out, nil
}

func configError(cfg *config.Config, msg string) error {
	if cfg.File != "" {
		return &config.Error{File: cfg.File, Msg: msg}
	}
	return errors.New("config.toml: " + msg)
}

func globPattern(g string) (string, error) {
	if g == "" {
		return "", errors.New(`glob "" is empty; use an absolute path or one starting with ~/`)
	}
	p, err := ExpandHome(g)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("glob %q is not absolute; start it with / or ~/", g)
	}
	p = filepath.Clean(p)
	if _, err := filepath.Match(p, ""); err != nil {
		return "", fmt.Errorf("glob %q is malformed: %v", g, err)
	}
	if matchesEverything(p) {
		return "", fmt.Errorf("glob %q takes in repositories anywhere on this machine, cloned ones included, and would give them all the namespace's secrets; start it with a fixed folder, such as ~/code/* or /srv/*", g)
	}
	return p, nil
}

// matchesEverything is true for a pattern that is the file-system root or
// has a wildcard in its first folder ("/", "/*", "/**", "/*/code"):
// matchGlobs tries every ancestor of a path, and every path has the root
// and a first folder among its ancestors.
func matchesEverything(p string) bool {
	rest := strings.TrimLeft(filepath.ToSlash(p[len(filepath.VolumeName(p)):]), "/")
	if rest == "" {
		return true
	}
	first, _, _ := strings.Cut(rest, "/")
	return strings.ContainsAny(first, globMeta())
}

// globMeta are the characters filepath.Match treats specially; on Windows
// the backslash is a separator, not an escape.
func globMeta() string {
	if runtime.GOOS == "windows" {
		return "*?["
	}
	return `*?[\`
}

// resolveGlobPrefix resolves symlinks in the part of a pattern before its
// first wildcard: the paths it is matched against have theirs resolved, so
// "~/code/*" must still match when ~ or ~/code is a symlink. It returns the
// prefix it resolved too, "" when it resolved none.
func resolveGlobPrefix(pat string) (resolved, prefix string) {
	prefix, rest := pat, ""
	if i := strings.IndexAny(pat, globMeta()); i >= 0 {
		j := strings.LastIndexByte(pat[:i], filepath.Separator)
		if j <= 0 {
			return pat, ""
		}
		prefix, rest = pat[:j], pat[j:]
	}
	real, err := filepath.EvalSymlinks(prefix)
	if err != nil || real == prefix {
		return pat, prefix
	}
	return escapeGlob(real) + rest, prefix
}

func escapeGlob(s string) string {
	meta := globMeta()
	if !strings.ContainsAny(s, meta) || runtime.GOOS == "windows" {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(meta, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// matchGlobs tries p and then each ancestor, deepest first, so the most
// specific glob wins: "~/code/api" beats "~/code" whatever the names.
func matchGlobs(globs []nsGlob, p string) (nsGlob, bool) {
	for {
		for _, g := range globs {
			if ok, _ := filepath.Match(g.pattern, p); ok {
				return g, true
			}
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nsGlob{}, false
		}
		p = parent
	}
}
