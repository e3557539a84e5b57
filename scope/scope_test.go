package scope

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStringFromCanonicalRoundTrip(t *testing.T) {
	tests := []struct {
		scope Scope
		str   string
	}{
		{Scope{}, "global"},
		{Scope{Kind: Global}, "global"},
		{Scope{Kind: Namespace, Name: "backend"}, "namespace:backend"},
		{Scope{Kind: Namespace, Name: "a.b_c-9"}, "namespace:a.b_c-9"},
		{Scope{Kind: Repo, Path: "/home/u/code/api"}, "repo:/home/u/code/api"},
		{Scope{Kind: Repo, Path: "/"}, "repo:/"},
		{Scope{Kind: Repo, Path: "/with space/and:colon"}, "repo:/with space/and:colon"},
	}
	for _, tt := range tests {
		if got := tt.scope.String(); got != tt.str {
			t.Errorf("%#v.String() = %q, want %q", tt.scope, got, tt.str)
		}
		back, err := FromCanonical(tt.str)
		if err != nil {
			t.Errorf("FromCanonical(%q): %v", tt.str, err)
			continue
		}
		if back != tt.scope {
			t.Errorf("FromCanonical(%q) = %#v, want %#v", tt.str, back, tt.scope)
		}
	}
}

func TestFromCanonicalRejects(t *testing.T) {
	for _, s := range []string{
		"", "Global", "global:", "global:x", " global", "namespace", "namespace:",
		"namespace:Backend", "namespace:bad!", "namespace:-a", "namespace:a b",
		"repo", "repo:", "repo:rel/path", "repo:.", "repo:~/x", "repo:/a/../b",
		"repo:/a/", "repo:/a//b", "repo:/a/.", "ns:x", "foo",
	} {
		got, err := FromCanonical(s)
		if err == nil {
			t.Errorf("FromCanonical(%q) = %#v, want an error", s, got)
			continue
		}
		if !strings.Contains(err.Error(), "not canonical") {
			t.Errorf("FromCanonical(%q) error %q does not say it is not canonical", s, err)
		}
	}
}

func TestValidNamespace(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name    string
		wantErr string
	}{
		{"a", ""},
		{"0", ""},
		{"backend", ""},
		{"a.b_c-d", ""},
		{"9lives", ""},
		{long, ""},
		{"", "namespace name is empty: use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"},
		{"Bad!", `namespace name "Bad!" is invalid: use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`},
		{"Backend", `namespace name "Backend" is invalid`},
		{"-a", `namespace name "-a" is invalid`},
		{".a", `namespace name ".a" is invalid`},
		{"_a", `namespace name "_a" is invalid`},
		{"a/b", `namespace name "a/b" is invalid`},
		{"a b", `namespace name "a b" is invalid`},
		{"a:b", `namespace name "a:b" is invalid`},
		{"é", `namespace name "é" is invalid`},
		{"\u212a", `is invalid`}, // Kelvin sign, lower-cases to "k" with strings.ToLower
		{long + "a", "is too long: use at most 64 characters"},
	}
	for _, tt := range tests {
		err := ValidNamespace(tt.name)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidNamespace(%q) = %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidNamespace(%q) = %v, want error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestParseNonPath(t *testing.T) {
	inRepo := &Context{Dir: "/r/sub", Repo: "/r", Namespace: "backend", NamespaceFrom: "x"}
	bare := &Context{Dir: "/tmp"}
	tests := []struct {
		in      string
		ctx     *Context
		want    Scope
		wantErr string
	}{
		{"global", nil, Scope{}, ""},
		{"namespace:backend", nil, Scope{Kind: Namespace, Name: "backend"}, ""},
		{"namespace:BackEnd", nil, Scope{Kind: Namespace, Name: "backend"}, ""},
		{"namespace:a.b_c-d", nil, Scope{Kind: Namespace, Name: "a.b_c-d"}, ""},
		{"namespace:Bad!", nil, Scope{}, `namespace name "Bad!" is invalid: use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`},
		{"namespace:\u212a", nil, Scope{}, "is invalid"},
		{"namespace:", nil, Scope{}, "namespace name is empty"},
		{"namespace:" + strings.Repeat("x", 65), nil, Scope{}, "too long"},
		{"repo:", nil, Scope{}, "repo path is empty: give repo:PATH, or repo for the current repository"},
		{"repo", inRepo, Scope{Kind: Repo, Path: "/r"}, ""},
		{"repo", bare, Scope{}, "not inside a git repository; cd into one or give --scope repo:PATH"},
		{"repo", nil, Scope{}, "not inside a git repository; cd into one or give --scope repo:PATH"},
		{"namespace", inRepo, Scope{Kind: Namespace, Name: "backend"}, ""},
		{"namespace", bare, Scope{}, "kage namespace set NAME"},
		{"namespace", nil, Scope{}, "no namespace applies here"},
		{"x", nil, Scope{}, `invalid scope "x": use global, namespace:<name> or repo:<path>`},
		{"", nil, Scope{}, `invalid scope "": use global, namespace:<name> or repo:<path>`},
		{"Global", nil, Scope{}, `invalid scope "Global"`},
		{"GLOBAL", nil, Scope{}, `invalid scope "GLOBAL"`},
		{"global:x", nil, Scope{}, `invalid scope "global:x"`},
		{"ns:backend", nil, Scope{}, `invalid scope "ns:backend"`},
		{" global", nil, Scope{}, `invalid scope " global"`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.ctx)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %#v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRepoPaths(t *testing.T) {
	home := testEnv(t)
	plain := mkdir(t, filepath.Join(home, "plain", "x"))
	api := newRepo(t, filepath.Join(home, "code", "api"))
	deep := mkdir(t, filepath.Join(api, "a", "b", "c"))
	writeFile(t, filepath.Join(home, "file"), "")
	if err := os.Symlink(plain, filepath.Join(home, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(deep, filepath.Join(home, "deeplink")); err != nil {
		t.Fatal(err)
	}
	wt := filepath.Join(home, "wt")
	runGit(t, api, "worktree", "add", "-q", wt)
	if err := os.Symlink("loop", filepath.Join(home, "loop")); err != nil {
		t.Fatal(err)
	}

	at := func(dir string) *Context { return &Context{Dir: dir} }
	tests := []struct {
		in      string
		ctx     *Context
		want    string
		wantErr string
	}{
		{"repo:.", at(plain), plain, ""},
		{"repo:~/plain/x", at("/"), plain, ""},
		{"repo:~", at("/"), home, ""},
		{"repo:~/", at("/"), home, ""},
		{"repo:plain/x", at(home), plain, ""},
		{"repo:./plain/./x/", at(home), plain, ""},
		{"repo:..", at(plain), filepath.Dir(plain), ""},
		{"repo:../x", at(plain), plain, ""},
		{"repo:" + home + "//plain/../plain/x", at("/"), plain, ""},
		{"repo:link", at(home), plain, ""},
		{"repo:~/link", at("/"), plain, ""},
		// Paths inside a repository name the repository.
		{"repo:.", at(deep), api, ""},
		{"repo:..", at(deep), api, ""},
		{"repo:~/code/api/a/b", at("/"), api, ""},
		{"repo:deeplink", at(home), api, ""},
		{"repo:" + api, nil, api, ""},
		{"repo:~/wt", at("/"), api, ""},
		{"repo:nope", at(home), "", `repo path "nope" does not exist`},
		{"repo:~/x", at("/"), "", `repo path "~/x" does not exist`},
		{"repo:/definitely/not/here", nil, "", `repo path "/definitely/not/here" does not exist`},
		{"repo:~/file", at("/"), "", `repo path "~/file" is not a directory`},
		{"repo:~bob/x", at("/"), "", `cannot expand "~bob/x"`},
		{"repo:loop", at(home), "", `repo path "loop" runs into a loop of symbolic links`},
		{"repo:loop/x", at(home), "", `repo path "loop/x" runs into a loop of symbolic links`},
		// Too many ".." stop at the root, which is no repository here.
		{"repo:" + strings.Repeat("../", 30), at(plain), "", `repo path "` + strings.Repeat("../", 30) + `" is the file-system root /, which is not a git repository`},
		{"repo:/tmp/../..", nil, "", `repo path "/tmp/../.." is the file-system root /`},
		{"repo:/", nil, "", `repo path "/" is the file-system root /`},
		// Keychain items are named in UTF-8.
		{"repo", &Context{Dir: "/x", Repo: "/x/caf\xe9"}, "", `this repository's path "/x/caf\xe9" is not valid UTF-8`},
	}
	// Where the file system allows such a name (macOS's does not).
	if os.Mkdir(filepath.Join(home, "caf\xe9"), 0o700) == nil {
		tests = append(tests, []struct {
			in      string
			ctx     *Context
			want    string
			wantErr string
		}{
			{"repo:~/caf\xe9", at("/"), "", `repo path "~/caf\xe9" is "` + filepath.Join(home, `caf\xe9`) + `", which is not valid UTF-8`},
			{"repo:" + home + "/caf\xe9", at("/"), "", `repo path "` + filepath.Join(home, `caf\xe9`) + `" is not valid UTF-8`},
		}...)
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.ctx)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr && !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %#v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		want := Scope{Kind: Repo, Path: tt.want}
		if err != nil || got != want {
			t.Errorf("Parse(%q, dir %v) = %#v, %v; want %#v", tt.in, tt.ctx, got, err, want)
			continue
		}
		// What Parse returns must survive storage unchanged.
		back, err := FromCanonical(got.String())
		if err != nil || back != got {
			t.Errorf("FromCanonical(%q) = %#v, %v; want %#v", got.String(), back, err, got)
		}
	}

	// Without a context, relative paths use the working directory.
	t.Chdir(filepath.Join(home, "link"))
	got, err := Parse("repo:.", nil)
	if err != nil || got.Path != plain {
		t.Errorf("Parse(repo:.) in %s = %#v, %v; want %s", plain, got, err, plain)
	}
	got, err = Parse("repo:.", &Context{})
	if err != nil || got.Path != plain {
		t.Errorf("Parse(repo:.) with an empty context = %#v, %v; want %s", got, err, plain)
	}
}

func TestDisplay(t *testing.T) {
	home := testEnv(t)
	sep := string(filepath.Separator)
	tests := []struct {
		scope Scope
		want  string
	}{
		{Scope{}, "global"},
		{Scope{Kind: Namespace, Name: "backend"}, "namespace:backend"},
		{Scope{Kind: Repo, Path: filepath.Join(home, "code", "api")}, "repo:~" + sep + filepath.Join("code", "api")},
		{Scope{Kind: Repo, Path: home}, "repo:~"},
		{Scope{Kind: Repo, Path: home + "x"}, "repo:" + home + "x"},
		{Scope{Kind: Repo, Path: "/elsewhere/api"}, "repo:/elsewhere/api"},
	}
	for _, tt := range tests {
		if got := tt.scope.Display(); got != tt.want {
			t.Errorf("%#v.Display() = %q, want %q", tt.scope, got, tt.want)
		}
	}

	// A symlinked $HOME still abbreviates paths, which are stored resolved.
	link := filepath.Join(t.TempDir(), "homelink")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", link)
	s := Scope{Kind: Repo, Path: filepath.Join(home, "api")}
	if got, want := s.Display(), "repo:~"+sep+"api"; got != want {
		t.Errorf("with HOME a symlink, Display() = %q, want %q", got, want)
	}

	// No home: nothing to abbreviate, and no panic.
	t.Setenv("HOME", "")
	if got, want := s.Display(), s.String(); got != want {
		t.Errorf("without HOME, Display() = %q, want %q", got, want)
	}
}

func TestExpandHome(t *testing.T) {
	home := testEnv(t)
	tests := []struct {
		in, want, wantErr string
	}{
		{"~", home, ""},
		{"~/", home, ""},
		{"~/x", filepath.Join(home, "x"), ""},
		{"~/x/../y", filepath.Join(home, "y"), ""},
		{"x", "x", ""},
		{"", "", ""},
		{"/a/~/b", "/a/~/b", ""},
		{"./~", "./~", ""},
		{"~bob", "", `cannot expand "~bob": only ~ and ~/ are supported; write the full path`},
		{"~bob/x", "", `cannot expand "~bob/x"`},
	}
	for _, tt := range tests {
		got, err := ExpandHome(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ExpandHome(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ExpandHome(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	t.Setenv("HOME", "")
	if got, err := ExpandHome("~/x"); err == nil || !strings.Contains(err.Error(), "set HOME") {
		t.Errorf("ExpandHome without HOME = %q, %v; want an error asking to set HOME", got, err)
	}
	if got, err := ExpandHome("/abs"); err != nil || got != "/abs" {
		t.Errorf("ExpandHome(/abs) without HOME = %q, %v; want it unchanged", got, err)
	}
}
