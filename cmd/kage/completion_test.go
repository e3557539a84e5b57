package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kage-cli/kage/completions"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// complFixture is a home folder for completion tests: an index written by
// hand (completion reads it, never the keychain), a config.toml with a
// [namespaces] table, subscription bindings and a repository in namespace
// backend. Its environment
// points D-Bus at a socket that does not exist, so a completion that
// touched the keychain would fail and print nothing.
type complFixture struct {
	home string
	api  string // ~/code/api, a repository in namespace backend
	env  []string
}

// The secrets of the fixture's index.
var complIndex = []struct{ scope, name string }{
	{"global", "GLOBAL_ONE"},
	{"global", "SHARED"},
	{"namespace:backend", "DB_PASSWORD"},
	{"namespace:backend", "SHARED"},
	{"repo:@HOME@/code/api", "DEPLOY_TOKEN"},
	// A repository that was deleted: its secrets must still complete, to
	// be deleted.
	{"repo:@HOME@/gone", "OLD_TOKEN"},
	// Subscription keys: their names complete as subscriptions, never as
	// secret names or scopes.
	{"subscription:work", "ANTHROPIC_API_KEY"},
	{"subscription:personal", "OPENAI_API_KEY"},
	// Not a valid subscription name: left out.
	{"subscription:Bad Name", "ANTHROPIC_API_KEY"},
}

// complBindings is the fixture's subscriptions.json: only-bound is bound
// but has no key, work is bound and stored.
const complBindings = `{"version": 1, "bindings": [
{"scope": "global", "subscription": "only-bound", "bound": "2025-01-02T03:04:05Z"},
{"scope": "namespace:backend", "subscription": "work", "bound": "2025-01-02T03:04:05Z"}
]}
`

// complSubscriptions is what completes as a subscription name in the
// fixture.
var complSubscriptions = []string{"only-bound", "personal", "work"}

func newComplFixture(t *testing.T) *complFixture {
	t.Helper()
	home := t.TempDir()
	if real, err := filepath.EvalSymlinks(home); err == nil {
		home = real
	}
	fx := &complFixture{home: home, api: filepath.Join(home, "code", "api")}
	kageHome := filepath.Join(home, ".kage")
	fx.env = append(os.Environ(),
		"HOME="+home,
		"KAGE_HOME="+kageHome,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR="+home,
		"KAGE_NAMESPACE=",
		"GIT_CONFIG_NOSYSTEM=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-bus"),
	)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = fx.env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", fx.api)
	if err := os.Mkdir(filepath.Join(fx.api, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(fx.api, "afile.txt"), "x\n")
	var entries []string
	for _, s := range complIndex {
		entries = append(entries, `{"scope": "`+strings.ReplaceAll(s.scope, "@HOME@", home)+`", "name": "`+s.name+
			`", "created": "2025-01-02T03:04:05Z", "updated": "2025-01-02T03:04:05Z"}`)
	}
	write(filepath.Join(kageHome, "index.json"), "{\"version\": 1, \"secrets\": [\n"+strings.Join(entries, ",\n")+"\n]}\n")
	write(filepath.Join(kageHome, "config.toml"), "[namespaces]\nfrontend = [\"~/web\"]\n")
	write(filepath.Join(kageHome, scope.MembershipFile), `{"version": 1, "repositories": [{"repo": "`+fx.api+`", "namespace": "backend", "set": "2025-01-02T03:04:05Z"}]}`+"\n")
	write(filepath.Join(kageHome, subscription.File), complBindings)
	return fx
}

// kage runs the kage on PATH in dir with the fixture's environment.
func (fx *complFixture) kage(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("kage", args...)
	cmd.Env, cmd.Dir = fx.env, dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kage %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

// TestCompleteProtocol checks what `kage __complete` prints: the
// candidates, one a line, from the index and config alone (the bus is
// dead), and nothing else — no message, exit 0 — whatever it is given.
func TestCompleteProtocol(t *testing.T) {
	fx := newComplFixture(t)
	lines := func(s ...string) string {
		if len(s) == 0 {
			return ""
		}
		return strings.Join(s, "\n") + "\n"
	}
	for _, tc := range []struct {
		dir  string
		args []string
		want string
	}{
		{fx.api, []string{"names"}, lines("DB_PASSWORD", "DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED")},
		{fx.home, []string{"names"}, lines("GLOBAL_ONE", "SHARED")},
		{fx.home, []string{"names", "--scope", "namespace:backend"}, lines("DB_PASSWORD", "SHARED")},
		{fx.home, []string{"names", "--scope=namespace:BACKEND"}, lines("DB_PASSWORD", "SHARED")},
		{fx.home, []string{"names", "-s", "repo:~/code/api"}, lines("DEPLOY_TOKEN")},
		{fx.home, []string{"names", "-s=repo:code/api"}, lines("DEPLOY_TOKEN")},
		{fx.api, []string{"names", "--scope", "repo"}, lines("DEPLOY_TOKEN")},
		{fx.api, []string{"names", "--scope", "namespace"}, lines("DB_PASSWORD", "SHARED")},
		{fx.api, []string{"names", "--scope", "repo:" + filepath.Join(fx.api, "subdir")}, lines("DEPLOY_TOKEN")},
		{fx.home, []string{"names", "--scope", "repo:~/gone"}, lines("OLD_TOKEN")},
		{fx.home, []string{"names", "--scope", "repo:" + filepath.Join(fx.home, "gone")}, lines("OLD_TOKEN")},
		{fx.api, []string{"names", "--namespace", "frontend"}, lines("DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED")},
		{fx.home, []string{"names", "--namespace=backend"}, lines("DB_PASSWORD", "GLOBAL_ONE", "SHARED")},
		{fx.home, []string{"names", "--scope", "namespace"}, ""},
		{fx.home, []string{"names", "--scope", "nonsense"}, ""},
		{fx.home, []string{"names", "--scope"}, lines("GLOBAL_ONE", "SHARED")},
		{fx.api, []string{"scopes"}, lines("global", "repo", "namespace", "namespace:backend", "namespace:frontend", "repo:~/code/api", "repo:~/gone")},
		{fx.home, []string{"scopes"}, lines("global", "namespace:backend", "namespace:frontend", "repo:~/code/api", "repo:~/gone")},
		{fx.home, []string{"scopes", "--namespace", "Staging"}, lines("global", "namespace", "namespace:backend", "namespace:frontend", "namespace:staging", "repo:~/code/api", "repo:~/gone")},
		{fx.home, []string{"namespaces"}, lines("backend", "frontend")},
		{fx.home, []string{"subscriptions"}, lines(complSubscriptions...)},
		{fx.api, []string{"subscriptions", "--scope", "global"}, lines(complSubscriptions...)},
		{fx.home, []string{"nonsense"}, ""},
		{fx.home, []string{}, ""},
		{fx.home, []string{"names", "--help"}, lines("GLOBAL_ONE", "SHARED")},
	} {
		out, errOut, code := fx.kage(t, tc.dir, append([]string{"__complete"}, tc.args...)...)
		if out != tc.want || errOut != "" || code != 0 {
			t.Errorf("in %s: kage __complete %s:\nstdout %q\nstderr %q\nexit %d\nwant stdout %q, no stderr, exit 0",
				tc.dir, strings.Join(tc.args, " "), out, errOut, code, tc.want)
		}
	}
}

// TestCompleteBrokenFiles: a corrupt index or config.toml costs the
// candidates that come from it, silently; the rest still complete.
func TestCompleteBrokenFiles(t *testing.T) {
	fx := newComplFixture(t)
	kageHome := filepath.Join(fx.home, ".kage")
	if err := os.WriteFile(filepath.Join(kageHome, "config.toml"), []byte("[namespaces\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := fx.kage(t, fx.api, "__complete", "names")
	if want := "DB_PASSWORD\nDEPLOY_TOKEN\nGLOBAL_ONE\nSHARED\n"; out != want || errOut != "" || code != 0 {
		t.Errorf("broken config: got %q %q %d, want %q", out, errOut, code, want)
	}
	// A corrupt bindings file costs the names only bound; the stored
	// ones still complete.
	if err := os.WriteFile(filepath.Join(kageHome, subscription.File), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = fx.kage(t, fx.api, "__complete", "subscriptions")
	if want := "personal\nwork\n"; out != want || errOut != "" || code != 0 {
		t.Errorf("broken bindings: got %q %q %d, want %q", out, errOut, code, want)
	}
	if err := os.WriteFile(filepath.Join(kageHome, "index.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = fx.kage(t, fx.api, "__complete", "scopes")
	if want := "global\nrepo\nnamespace\nnamespace:backend\nrepo:~/code/api\n"; out != want || errOut != "" || code != 0 {
		t.Errorf("broken index and config: got %q %q %d, want %q", out, errOut, code, want)
	}
	out, errOut, code = fx.kage(t, fx.api, "__complete", "subscriptions")
	if out != "" || errOut != "" || code != 0 {
		t.Errorf("broken index and bindings: got %q %q %d, want nothing", out, errOut, code)
	}
}

// TestCompletionCommand: kage completion SHELL prints the embedded file.
func TestCompletionCommand(t *testing.T) {
	fx := newComplFixture(t)
	for _, sh := range completions.Shells() {
		want, err := completions.Script(sh)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := fx.kage(t, fx.home, "completion", sh)
		if out != string(want) || errOut != "" || code != 0 {
			t.Errorf("kage completion %s: exit %d, stderr %q, stdout differs from the embedded script: %v", sh, code, errOut, out != string(want))
		}
	}
}
