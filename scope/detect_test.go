package scope

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/config"
)

func TestDetectRepo(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "code", "api"))
	deep := mkdir(t, filepath.Join(api, "a", "b", "c", "d"))
	wt := filepath.Join(home, "worktrees", "api-feature")
	runGit(t, api, "worktree", "add", "-q", "-b", "feature", wt)
	wtDeep := mkdir(t, filepath.Join(wt, "x", "y"))
	// A worktree whose config turns on extensions go-git cannot open.
	wt2 := filepath.Join(home, "worktrees", "api-sparse")
	runGit(t, api, "worktree", "add", "-q", "-b", "sparse", wt2)
	runGit(t, wt2, "sparse-checkout", "init")

	// Worktrees of a bare repository have no main work tree to map to.
	bare := filepath.Join(home, "bare.git")
	runGit(t, home, "clone", "-q", "--bare", api, bare)
	bwt := filepath.Join(home, "bare-wt")
	runGit(t, bare, "worktree", "add", "-q", "-b", "b", bwt)

	// A bare repository that happens to be called .git is still bare.
	bare2 := filepath.Join(home, "bare2", ".git")
	runGit(t, home, "clone", "-q", "--bare", api, bare2)
	bwt2 := filepath.Join(home, "bare2-wt")
	runGit(t, bare2, "worktree", "add", "-q", "-b", "b2", bwt2)

	// --separate-git-dir: .git is a file, but this is the main work tree.
	sep := mkdir(t, filepath.Join(home, "sep"))
	runGit(t, sep, "init", "-q", "--separate-git-dir", filepath.Join(home, "sep.git"))

	outside := mkdir(t, filepath.Join(home, "plain", "dir"))
	if err := os.Symlink(deep, filepath.Join(home, "deeplink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(api, filepath.Join(home, "apilink")); err != nil {
		t.Fatal(err)
	}
	// A stray, empty .git folder is not a repository: git looks further up.
	stray := mkdir(t, filepath.Join(api, "vendor", "lib"))
	mkdir(t, filepath.Join(stray, ".git"))

	tests := []struct {
		name, dir, wantDir, wantRepo string
	}{
		{"root", api, api, api},
		{"deep subdirectory", deep, deep, api},
		{"inside .git", filepath.Join(api, ".git", "refs"), filepath.Join(api, ".git", "refs"), api},
		{"linked worktree", wt, wt, api},
		{"linked worktree subdirectory", wtDeep, wtDeep, api},
		{"linked worktree with worktreeConfig", wt2, wt2, api},
		{"worktree of a bare repository", bwt, bwt, bwt},
		{"worktree of a bare repository named .git", bwt2, bwt2, bwt2},
		{"separate git dir", sep, sep, sep},
		{"outside any repository", outside, outside, ""},
		{"home", home, home, ""},
		{"symlink into a repository", filepath.Join(home, "deeplink"), deep, api},
		{"symlink to a repository", filepath.Join(home, "apilink"), api, api},
		{"relative path", filepath.Join(home, "code", "api", "a", "..", "a", "b"), filepath.Join(api, "a", "b"), api},
		{"stray .git folder", stray, stray, api},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := Detect(tt.dir, Options{})
			if err != nil {
				t.Fatalf("Detect(%s): %v", tt.dir, err)
			}
			if ctx.Dir != tt.wantDir || ctx.Repo != tt.wantRepo {
				t.Errorf("Detect(%s) = Dir %q Repo %q; want Dir %q Repo %q", tt.dir, ctx.Dir, ctx.Repo, tt.wantDir, tt.wantRepo)
			}
			if ctx.Namespace != "" || ctx.NamespaceFrom != "" {
				t.Errorf("Detect(%s) namespace = %q from %q; want none", tt.dir, ctx.Namespace, ctx.NamespaceFrom)
			}
		})
	}

	t.Run("working directory", func(t *testing.T) {
		t.Chdir(deep)
		ctx, err := Detect("", Options{})
		if err != nil || ctx.Dir != deep || ctx.Repo != api {
			t.Errorf("Detect(\"\") in %s = %+v, %v; want Repo %s", deep, ctx, err, api)
		}
		t.Chdir(filepath.Join(home, "code"))
		ctx, err = Detect("api/a", Options{})
		if err != nil || ctx.Dir != filepath.Join(api, "a") || ctx.Repo != api {
			t.Errorf("Detect(api/a) = %+v, %v; want Repo %s", ctx, err, api)
		}
	})
}

func TestDetectErrors(t *testing.T) {
	home := testEnv(t)
	writeFile(t, filepath.Join(home, "file"), "x")
	badGitFile := mkdir(t, filepath.Join(home, "badgitfile"))
	writeFile(t, filepath.Join(badGitFile, ".git"), "not a gitdir line\n")
	dangling := mkdir(t, filepath.Join(home, "dangling"))
	writeFile(t, filepath.Join(dangling, ".git"), "gitdir: /nowhere/.git/worktrees/x\n")

	tests := []struct {
		dir, wantErr string
	}{
		{filepath.Join(home, "missing"), "does not exist"},
		{filepath.Join(home, "file"), "is not a directory"},
		{badGitFile, `is not a valid .git file: it must start with "gitdir: "`},
		{dangling, "git worktree repair"},
	}
	for _, tt := range tests {
		ctx, err := Detect(tt.dir, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Detect(%s) = %+v, %v; want error containing %q", tt.dir, ctx, err, tt.wantErr)
		}
	}
}

func TestNamespacePrecedence(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "code", "api"))
	sub := mkdir(t, filepath.Join(api, "sub"))
	wt := filepath.Join(home, "wt")
	runGit(t, api, "worktree", "add", "-q", "-b", "wt", wt)
	cfg := &config.Config{Namespaces: map[string][]string{"fromglob": {"~/code/*"}}}
	data := t.TempDir()
	fromFile := "kage namespace set, kept in " + filepath.Join(data, MembershipFile)
	glob := `config.toml [namespaces] (glob "~/code/*")`

	tests := []struct {
		name     string
		git      string // kage.namespace in .git/config, "" for unset
		member   string // recorded with SetMembership, "" for none
		opts     Options
		want     string
		wantFrom string
		dirs     []string
	}{
		{"override wins", "fromgit", "fromfile", Options{Namespace: "Over", NamespaceFrom: "KAGE_NAMESPACE", Config: cfg, Data: data}, "over", "KAGE_NAMESPACE", nil},
		{"override without a source name", "", "", Options{Namespace: "over", Config: cfg}, "over", "--namespace", nil},
		{"membership beats globs", "fromgit", "fromfile", Options{Config: cfg, Data: data}, "fromfile", fromFile, nil},
		{"membership without globs", "", "fromfile", Options{Data: data}, "fromfile", fromFile, nil},
		// Earlier versions honoured .git/config; whoever made the folder
		// wrote it, so now it never counts.
		{"git config is ignored", "fromgit", "", Options{Config: cfg, Data: data}, "fromglob", glob, nil},
		{"git config alone is ignored", "production", "", Options{Data: data}, "", "", nil},
		{"no data folder reads no membership", "", "fromfile", Options{Config: cfg}, "fromglob", glob, []string{api, sub}},
		{"globs last", "", "", Options{Config: cfg, Data: data}, "fromglob", glob, []string{api, sub}},
		{"nothing", "", "", Options{}, "", "", nil},
		{"empty config", "", "", Options{Config: &config.Config{}}, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setGitConfigNamespace(t, api, tt.git)
			if _, err := UnsetMembership(context.Background(), data, api); err != nil {
				t.Fatal(err)
			}
			if tt.member != "" {
				if _, err := SetMembership(context.Background(), data, api, tt.member, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			dirs := tt.dirs
			if dirs == nil {
				// A linked worktree shares its repository's membership.
				dirs = []string{api, sub, wt}
			}
			for _, dir := range dirs {
				ctx, err := Detect(dir, tt.opts)
				if err != nil {
					t.Fatalf("Detect(%s): %v", dir, err)
				}
				if ctx.Namespace != tt.want || ctx.NamespaceFrom != tt.wantFrom {
					t.Errorf("Detect(%s) namespace = %q from %q; want %q from %q", dir, ctx.Namespace, ctx.NamespaceFrom, tt.want, tt.wantFrom)
				}
			}
		})
	}
}

func TestNamespaceInvalidSources(t *testing.T) {
	home := testEnv(t)
	api := newRepo(t, filepath.Join(home, "code", "api"))
	plain := mkdir(t, filepath.Join(home, "plain"))
	cfgFile := filepath.Join(home, ".config", "kage", "config.toml")
	ns := func(m map[string][]string) *config.Config { return &config.Config{Namespaces: m, File: cfgFile} }

	tests := []struct {
		name    string
		dir     string
		git     string
		opts    Options
		wantErr []string
	}{
		{"flag", plain, "", Options{Namespace: "bad!", NamespaceFrom: "--namespace"},
			[]string{`--namespace: namespace name "bad!" is invalid`}},
		{"env", plain, "", Options{Namespace: "-x", NamespaceFrom: "KAGE_NAMESPACE"},
			[]string{`KAGE_NAMESPACE: namespace name "-x" is invalid`}},
		{"config key", plain, "", Options{Config: ns(map[string][]string{"Bad!": {"~/x"}})},
			[]string{"config " + cfgFile + ": ", `[namespaces] key "Bad!"`, `namespace name "Bad!" is invalid`}},
		{"config key without file", plain, "", Options{Config: &config.Config{Namespaces: map[string][]string{"a b": {"~/x"}}}},
			[]string{"config.toml: ", `[namespaces] key "a b"`}},
		{"relative glob", plain, "", Options{Config: ns(map[string][]string{"backend": {"code/*"}})},
			[]string{`[namespaces] backend: glob "code/*" is not absolute; start it with / or ~/`}},
		{"empty glob", plain, "", Options{Config: ns(map[string][]string{"backend": {""}})},
			[]string{`[namespaces] backend: glob "" is empty`}},
		{"malformed glob", plain, "", Options{Config: ns(map[string][]string{"backend": {"~/code/["}})},
			[]string{`[namespaces] backend: glob "~/code/[" is malformed`}},
		{"~user glob", plain, "", Options{Config: ns(map[string][]string{"backend": {"~bob/code"}})},
			[]string{`[namespaces] backend: cannot expand "~bob/code"`}},
		// A bad entry is reported even where it would not match.
		{"bad entry elsewhere", plain, "", Options{Config: ns(map[string][]string{"good": {"~/plain"}, "zz!": {"/nowhere"}})},
			[]string{`"zz!"`}},
		// Globs that take in every repository on the machine, reported
		// even where git config or a flag chooses the namespace.
		{"glob of everything", plain, "", Options{Config: ns(map[string][]string{"prod": {"/**"}})},
			[]string{`[namespaces] prod: glob "/**" takes in repositories anywhere on this machine`, "~/code/*"}},
		{"glob of the root", api, "team", Options{Config: ns(map[string][]string{"prod": {"~/code", "/"}})},
			[]string{`glob "/" takes in repositories anywhere`}},
		{"glob with a top-level wildcard", plain, "", Options{Namespace: "x", NamespaceFrom: "--namespace", Config: ns(map[string][]string{"prod": {"/*/code/*"}})},
			[]string{`glob "/*/code/*" takes in repositories anywhere`}},
		{"glob of the root spelt oddly", plain, "", Options{Config: ns(map[string][]string{"prod": {"//./"}})},
			[]string{`glob "//./" takes in repositories anywhere`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setGitConfigNamespace(t, api, tt.git)
			ctx, err := Detect(tt.dir, tt.opts)
			if err == nil {
				t.Fatalf("Detect = %+v, want an error", ctx)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.opts.Config != nil && tt.opts.Config.File != "" {
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Errorf("error %T is not a *config.Error", err)
				}
			}
		})
	}
}

func TestGlobMatching(t *testing.T) {
	home := testEnv(t)
	code := mkdir(t, filepath.Join(home, "code"))
	svcA := newRepo(t, filepath.Join(code, "svc-a"))
	svcADeep := mkdir(t, filepath.Join(svcA, "internal", "x"))
	svcB := mkdir(t, filepath.Join(code, "svc-b", "not-a-repo"))
	svcx := newRepo(t, filepath.Join(code, "svcx"))
	api := newRepo(t, filepath.Join(code, "api"))
	apiSub := mkdir(t, filepath.Join(api, "sub"))
	other := mkdir(t, filepath.Join(home, "other"))
	if err := os.Symlink(code, filepath.Join(home, "codelink")); err != nil {
		t.Fatal(err)
	}
	weird := newRepo(t, filepath.Join(home, "we[ird]"))
	if err := os.Symlink(weird, filepath.Join(home, "weirdlink")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		globs map[string][]string
		dir   string
		want  string
		glob  string
	}{
		{"svc-* matches the repo root", map[string][]string{"backend": {"~/code/api", "~/code/svc-*"}}, svcA, "backend", "~/code/svc-*"},
		{"svc-* from deep in the repo", map[string][]string{"backend": {"~/code/svc-*"}}, svcADeep, "backend", "~/code/svc-*"},
		{"svc-* does not match svcx", map[string][]string{"backend": {"~/code/svc-*"}}, svcx, "", ""},
		{"outside a repo the dir's ancestors match", map[string][]string{"backend": {"~/code/svc-*"}}, svcB, "backend", "~/code/svc-*"},
		{"exact path with ~", map[string][]string{"backend": {"~/code/api"}}, apiSub, "backend", "~/code/api"},
		{"absolute path", map[string][]string{"backend": {filepath.Join(home, "code", "api")}}, api, "backend", filepath.Join(home, "code", "api")},
		{"trailing slash", map[string][]string{"backend": {"~/code/api/"}}, api, "backend", "~/code/api/"},
		{"ancestor glob covers everything below", map[string][]string{"work": {"~/code"}}, svcADeep, "work", "~/code"},
		{"deepest match wins over name order", map[string][]string{"a-outer": {"~/code"}, "z-inner": {"~/code/svc-*"}}, svcA, "z-inner", "~/code/svc-*"},
		{"same depth: first name in order wins", map[string][]string{"b": {"~/code/api"}, "a": {"~/code/api"}}, api, "a", "~/code/api"},
		{"config names are lower-cased", map[string][]string{"Backend": {"~/code/api"}}, api, "backend", "~/code/api"},
		// A repository joins as a whole: a glob below its root does not
		// match, even from inside that folder.
		{"glob inside a repo does not match", map[string][]string{"backend": {"~/code/api/sub"}}, apiSub, "", ""},
		{"no match", map[string][]string{"backend": {"~/code/*"}}, other, "", ""},
		{"symlinked glob prefix", map[string][]string{"backend": {"~/codelink/svc-*"}}, svcA, "backend", "~/codelink/svc-*"},
		{"symlinked prefix with glob characters", map[string][]string{"backend": {"~/weirdlink"}}, weird, "backend", "~/weirdlink"},
		{"* does not cross folders", map[string][]string{"backend": {"~/svc-*"}}, svcA, "", ""},
		{"* matches one folder level", map[string][]string{"backend": {"~/*/svc-a"}}, svcA, "backend", "~/*/svc-a"},
		{"** is not recursive", map[string][]string{"backend": {"~/**/svc-a/internal"}}, svcADeep, "", ""},
		{"? matches one character", map[string][]string{"backend": {"~/code/svc-?"}}, svcA, "backend", "~/code/svc-?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := Detect(tt.dir, Options{Config: &config.Config{Namespaces: tt.globs}})
			if err != nil {
				t.Fatal(err)
			}
			wantFrom := ""
			if tt.want != "" {
				wantFrom = `config.toml [namespaces] (glob "` + tt.glob + `")`
			}
			if ctx.Namespace != tt.want || ctx.NamespaceFrom != wantFrom {
				t.Errorf("Detect(%s) = %q from %q; want %q from %q", tt.dir, ctx.Namespace, ctx.NamespaceFrom, tt.want, wantFrom)
			}
		})
	}
}

func TestChain(t *testing.T) {
	g := Scope{Kind: Global}
	r := Scope{Kind: Repo, Path: "/r"}
	n := Scope{Kind: Namespace, Name: "backend"}
	tests := []struct {
		ctx  *Context
		want []Scope
	}{
		{&Context{Dir: "/r/x", Repo: "/r", Namespace: "backend"}, []Scope{r, n, g}},
		{&Context{Dir: "/r", Repo: "/r"}, []Scope{r, g}},
		{&Context{Dir: "/x", Namespace: "backend"}, []Scope{n, g}},
		{&Context{Dir: "/x"}, []Scope{g}},
		{nil, []Scope{g}},
	}
	for _, tt := range tests {
		if got := tt.ctx.Chain(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v.Chain() = %v, want %v", tt.ctx, got, tt.want)
		}
		rs, rok := tt.ctx.RepoScope()
		if wantOK := tt.ctx != nil && tt.ctx.Repo != ""; rok != wantOK || rok && rs != r || !rok && rs != (Scope{}) {
			t.Errorf("%+v.RepoScope() = %v, %v", tt.ctx, rs, rok)
		}
		ns, nok := tt.ctx.NamespaceScope()
		if wantOK := tt.ctx != nil && tt.ctx.Namespace != ""; nok != wantOK || nok && ns != n || !nok && ns != (Scope{}) {
			t.Errorf("%+v.NamespaceScope() = %v, %v", tt.ctx, ns, nok)
		}
	}
}

// setGitConfigNamespace sets kage.namespace with git itself ("" unsets it),
// as earlier versions of kage did.
func setGitConfigNamespace(t *testing.T, repo, v string) {
	t.Helper()
	// --unset-all exits 5 when nothing is set; that is fine here.
	_ = exec.Command("git", "-C", repo, "config", "--local", "--unset-all", "kage.namespace").Run()
	if v != "" {
		runGit(t, repo, "config", "--local", "kage.namespace", v)
	}
}
