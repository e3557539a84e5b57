//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
)

// hostileUnset, as a value in an environment override, removes the
// variable.
const hostileUnset = "\x00unset"

// hostileTimeout kills a row's kage that hangs (a FIFO read, a runaway
// parse); the row fails on its duration long before that.
const hostileTimeout = 20 * time.Second

// hostileWorld is what every row starts from: a private keychain holding
// secrets in global, a namespace and a repository, a subscription bound to
// the namespace, and a template KAGE_HOME that no row touches.
type hostileWorld struct {
	bus     *testkeyring.Bus
	kage    string
	home    string // HOME for every row
	repo    string // home/code/api, in namespace team (kage namespace set)
	plain   string // home/plain, in no repository
	runtime string // XDG_RUNTIME_DIR
	tmpl    string // the template KAGE_HOME
	index   []byte // the template's index.json

	items    []string // the keychain's items after setup
	tmplSnap map[string]string
	homeSnap []string
	views    []hostileView
}

// hostileView is one resolution that must read back the same after every
// row: together the views read every stored value.
type hostileView struct {
	dir, namespace string
	want           map[string]string
}

// hostileRun is one row's own world: a copy of the template KAGE_HOME, a
// scratch folder, and the working directory and environment to run in.
type hostileRun struct {
	w        *hostileWorld
	kageHome string
	dir      string
	scratch  string
	env      map[string]string
}

type hostileCase struct {
	name  string
	setup func(t *testing.T, r *hostileRun)
	args  []string
	stdin []byte
	env   map[string]string
	// closeStdout runs kage with its standard output closed (`>&-`).
	closeStdout bool
	code        int
	// err matches the error line, without its "kage: ".
	err string
	// details, for secret import only, matches each line before the error:
	// the import lists every bad line of a file, at most 20 and a count.
	details string
	// within bounds the run; 0 is 10 s.
	within time.Duration
	after  func(t *testing.T, r *hostileRun)
}

// TestHostileInputs (issue #8, point 3): each row runs one kage command as
// a user or a script could, with a bad name, scope, path, file, stream or
// environment, and checks what the house rules promise — one `kage: …`
// line on stderr, at most one `kage: hint: …` line after it, nothing on
// stdout, the exit code (1 error, 2 usage), in bounded time — and then
// that nothing was lost or changed: every stored secret reads back its
// value through `kage env`, the keychain holds the same items with the
// same modification times, and the files in KAGE_HOME are byte for byte
// (and mode for mode) what they were before the command, a file the row
// itself corrupted included: kage never overwrites a file it cannot read.
func TestHostileInputs(t *testing.T) {
	w := newHostileWorld(t)
	cases := hostileCases(w)
	if len(cases) < 40 {
		t.Fatalf("only %d hostile inputs", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] || c.code != exitFailure && c.code != exitUsage {
			t.Fatalf("case %q: duplicate name or an exit code other than 1 or 2", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) { w.run(t, c) })
	}
	t.Run("accepted", func(t *testing.T) { w.accepted(t) })
	// The template's access log grows by the reads checkIntact makes
	// after each row; a row's own KAGE_HOME keeps its log as it was (the
	// rows fail, and a failure hands out nothing).
	if got := withoutLog(hostileSnapshot(t, w.tmpl)); !maps.Equal(got, withoutLog(w.tmplSnap)) {
		t.Errorf("the template KAGE_HOME changed:\nbefore %v\nafter  %v", w.tmplSnap, got)
	}
	if got := hostileTree(t, w.home); !slices.Equal(got, w.homeSnap) {
		t.Errorf("HOME changed:\nbefore %v\nafter  %v", w.homeSnap, got)
	}
}

func newHostileWorld(t *testing.T) *hostileWorld {
	bus := testkeyring.Start(t)
	kage, err := exec.LookPath("kage")
	if err != nil {
		t.Fatal(err)
	}
	w := &hostileWorld{bus: bus, kage: kage, home: t.TempDir(), runtime: t.TempDir(), tmpl: filepath.Join(t.TempDir(), "kage")}
	w.repo = filepath.Join(w.home, "code", "api")
	w.plain = filepath.Join(w.home, "plain")
	hostileGitRepo(t, w.repo, "")
	if err := os.MkdirAll(w.plain, 0o700); err != nil {
		t.Fatal(err)
	}
	w.mustRun(t, w.repo, "", "namespace", "set", "team")

	const tricky = "it's $(touch pwned) \"q\" `id` \\ ; \n\tsecond line é"
	for _, s := range []struct{ stdin, scope, name string }{
		{"global-one", "global", "G_ONE"},
		{tricky, "global", "G_TWO"},
		{"shared-global", "global", "SHARED"},
		{"ns-one", "namespace:team", "NS_ONE"},
		{"shared-ns", "namespace:team", "SHARED"},
		{"repo-one", "repo", "REPO_ONE"},
		{"shared-repo", "repo", "SHARED"},
	} {
		w.mustRun(t, w.repo, s.stdin, "secret", "set", s.name, "--scope", s.scope)
	}
	w.mustRun(t, w.repo, "sub-key-work", "subscription", "add", "--name", "work", "--env", "SUB_KEY")
	w.mustRun(t, w.repo, "", "subscription", "use", "work", "--scope", "namespace:team")
	if w.index, err = os.ReadFile(filepath.Join(w.tmpl, keyring.IndexFile)); err != nil {
		t.Fatal(err)
	}

	global := map[string]string{"G_ONE": "global-one", "G_TWO": tricky, "SHARED": "shared-global"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := maps.Clone(m)
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	w.views = []hostileView{
		{dir: w.repo, want: with(global, "NS_ONE", "ns-one", "REPO_ONE", "repo-one", "SHARED", "shared-repo", "SUB_KEY", "sub-key-work")},
		{dir: w.plain, want: global},
		{dir: w.plain, namespace: "team", want: with(global, "NS_ONE", "ns-one", "SHARED", "shared-ns", "SUB_KEY", "sub-key-work")},
	}
	w.items = hostileItems(t, bus)
	if len(w.items) != 8 {
		t.Fatalf("the keychain holds %d items after setup, want 8:\n%s", len(w.items), strings.Join(w.items, "\n"))
	}
	w.checkIntact(t, w.items)
	w.tmplSnap = hostileSnapshot(t, w.tmpl)
	w.homeSnap = hostileTree(t, w.home)
	return w
}

// hostileGitRepo makes the smallest work tree kage recognises, without
// needing git: a .git folder with HEAD and the given local config.
func hostileGitRepo(t *testing.T, dir, config string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"HEAD": "ref: refs/heads/main\n", "config": config} {
		if err := os.WriteFile(filepath.Join(dir, ".git", name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// environ is the environment of a kage run: the private bus, HOME, and
// nothing of the machine's kage, XDG or git settings, then over.
func (w *hostileWorld) environ(over ...map[string]string) []string {
	set := map[string]string{"HOME": w.home, "XDG_RUNTIME_DIR": w.runtime, "GIT_CONFIG_NOSYSTEM": "1", "KAGE_HOME": w.tmpl}
	for _, m := range over {
		maps.Copy(set, m)
	}
	var out []string
	for _, kv := range w.bus.Environ(os.Environ()) {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "KAGE_") || strings.HasPrefix(k, "XDG_") || strings.HasPrefix(k, "GIT_") || k == "HOME" || k == "NO_COLOR" {
			continue
		}
		out = append(out, kv)
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if set[k] != hostileUnset {
			out = append(out, k+"="+set[k])
		}
	}
	return out
}

type hostileResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r hostileResult) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout: %q\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), hostileClip(r.stdout, 300), hostileClip(r.stderr, 2000))
}

func hostileClip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// exec runs kage with args in dir; closeStdout runs it as `kage … >&-`.
func (w *hostileWorld) exec(t *testing.T, dir string, env []string, stdin []byte, closeStdout bool, args ...string) hostileResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if closeStdout {
		cmd = exec.CommandContext(ctx, "sh", append([]string{"-c", `exec "$0" "$@" >&-`, w.kage}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, w.kage, args...)
	}
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := hostileResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("kage %q did not finish within %v:\n%v", args, hostileTimeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("kage %q: %v", args, err)
	}
	return r
}

func (w *hostileWorld) mustRun(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	r := w.exec(t, dir, w.environ(), []byte(stdin), false, args...)
	if r.code != 0 {
		t.Fatalf("kage %q:\n%v", args, r)
	}
	return r.stdout
}

// checkIntact reads every stored value back and compares the keychain's
// items with items.
func (w *hostileWorld) checkIntact(t *testing.T, items []string) {
	t.Helper()
	if got := hostileItems(t, w.bus); !slices.Equal(got, items) {
		t.Errorf("the keychain changed:\nbefore:\n%s\nafter:\n%s", strings.Join(items, "\n"), strings.Join(got, "\n"))
	}
	for _, v := range w.views {
		ns := hostileUnset
		if v.namespace != "" {
			ns = v.namespace
		}
		r := w.exec(t, v.dir, w.environ(map[string]string{"KAGE_NAMESPACE": ns}), nil, false, "env", "--shell", "json")
		var got map[string]string
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || !maps.Equal(got, v.want) {
			t.Errorf("kage env in %s (namespace %q) no longer reads the stored values:\n%v\nwant %v", v.dir, v.namespace, r, v.want)
		}
	}
}

// hostileItems lists the private keychain's items, read over D-Bus as
// secret-tool would, with their modification times: a value rewritten,
// even with the same bytes, shows.
func hostileItems(t *testing.T, bus *testkeyring.Bus) []string {
	t.Helper()
	// Registered first: ReadAlias, which this used to send first, looks
	// the client up too and made gnome-keyring fail an assertion in CI.
	conn := bus.Connect(t)
	const ss = "org.freedesktop.secrets"
	v, err := conn.Object(ss, "/org/freedesktop/secrets/collection/login").GetProperty("org.freedesktop.Secret.Collection.Items")
	if err != nil {
		t.Fatalf("list the keychain: %v", err)
	}
	var out []string
	for _, p := range v.Value().([]dbus.ObjectPath) {
		item := conn.Object(ss, p)
		a, err := item.GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			t.Fatalf("item %s: %v", p, err)
		}
		m, err := item.GetProperty("org.freedesktop.Secret.Item.Modified")
		if err != nil {
			t.Fatalf("item %s: %v", p, err)
		}
		attrs := a.Value().(map[string]string)
		out = append(out, fmt.Sprintf("%s %s modified %v", attrs["service"], attrs["username"], m.Value()))
	}
	sort.Strings(out)
	return out
}

// hostileSnapshot describes every entry of dir (or dir itself when it is
// not a folder) by mode and content hash; a symbolic link by its target
// and the target's. FIFOs and devices are never opened.
// withoutLog is a snapshot without the access log and its lock.
func withoutLog(snap map[string]string) map[string]string {
	out := maps.Clone(snap)
	for _, f := range []string{accesslog.FileName, accesslog.OldFileName, accesslog.FileName + ".lock"} {
		delete(out, f)
	}
	return out
}

func hostileSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	describe := func(p string) string {
		fi, err := os.Lstat(p)
		if err != nil {
			return "missing"
		}
		s := fi.Mode().String()
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			s += " -> " + target
			if fi, err = os.Stat(p); err != nil {
				return s + " (dangling)"
			}
			s += " " + fi.Mode().String()
		}
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			s += fmt.Sprintf(" %d bytes %s", len(data), hex.EncodeToString(sum[:8]))
		}
		return s
	}
	out := map[string]string{}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		out["."] = describe(dir)
		return out
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		out[e.Name()] = describe(filepath.Join(dir, e.Name()))
	}
	return out
}

// hostileTree lists every path under dir with its mode.
func hostileTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %s", strings.TrimPrefix(p, dir), fi.Mode()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs one row and checks everything the house rules promise.
func (w *hostileWorld) run(t *testing.T, c hostileCase) {
	r := &hostileRun{w: w, kageHome: filepath.Join(t.TempDir(), "kage"), dir: w.repo, scratch: t.TempDir(), env: map[string]string{}}
	r.copyTemplate(t, r.kageHome)
	if c.setup != nil {
		c.setup(t, r)
	}
	before := hostileSnapshot(t, r.kageHome)
	// The keychain as this row found it: a row that wrongly stores
	// something then fails alone, not every row after it too.
	items := hostileItems(t, w.bus)
	env := map[string]string{"KAGE_HOME": r.kageHome, "KAGE_NAMESPACE": hostileUnset}
	maps.Copy(env, r.env)
	maps.Copy(env, c.env)
	// An argument may name the row's scratch folder, known only now.
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "<scratch>", r.scratch)
	}
	res := w.exec(t, r.dir, w.environ(env), c.stdin, c.closeStdout, args...)

	if res.code != c.code {
		t.Errorf("exit code %d, want %d", res.code, c.code)
	}
	if res.stdout != "" {
		t.Errorf("a failing command printed on stdout")
	}
	within := c.within
	if within == 0 {
		within = 10 * time.Second
	}
	if res.took > within {
		t.Errorf("took %v, want at most %v", res.took, within)
	}
	hostileCheckStderr(t, res.stderr, c.err, c.details)
	if t.Failed() {
		t.Logf("kage %q in %q:\n%v", args, r.dir, res)
	}

	after := hostileSnapshot(t, r.kageHome)
	for name, was := range before {
		if after[name] != was {
			t.Errorf("KAGE_HOME/%s changed:\nbefore %s\nafter  %s", name, was, after[name])
		}
	}
	for name, now := range after {
		if _, ok := before[name]; !ok && !strings.HasSuffix(name, ".lock") {
			t.Errorf("KAGE_HOME/%s appeared: %s", name, now)
		}
	}
	w.checkIntact(t, items)
	if c.after != nil {
		c.after(t, r)
	}
}

// hostileCheckStderr checks the house format: optional detail lines
// (matching details), then one error line matching want, then at most one
// hint line; nothing else, so no usage text, stack trace or second error.
func hostileCheckStderr(t *testing.T, stderr, want, details string) {
	t.Helper()
	if !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is empty or does not end in a newline")
		return
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	i := 0
	if details != "" {
		re := regexp.MustCompile(details)
		for i < len(lines)-1 && re.MatchString(lines[i]) {
			i++
		}
		if i > 21 {
			t.Errorf("%d detail lines; the import shows at most 20 and a count", i)
		}
	}
	rest := lines[i:]
	msg, ok := strings.CutPrefix(rest[0], "kage: ")
	switch {
	case !ok || strings.HasPrefix(msg, "hint: "):
		t.Errorf("line %d is not a `kage: …` error line: %q", i+1, rest[0])
	case !regexp.MustCompile(want).MatchString(msg):
		t.Errorf("error %q does not match %q", msg, want)
	}
	if len(rest) > 2 || len(rest) == 2 && !strings.HasPrefix(rest[1], "kage: hint: ") {
		t.Errorf("stderr has %d lines after the error line, want at most one `kage: hint: …` line", len(rest)-1)
	}
}

// copyTemplate copies the template's index and bindings into dir, as
// kage writes them: 0600 files in a 0700 folder.
func (r *hostileRun) copyTemplate(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{keyring.IndexFile, subscription.File, scope.MembershipFile} {
		data, err := os.ReadFile(filepath.Join(r.w.tmpl, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// file is the path of name in the row's KAGE_HOME.
func (r *hostileRun) file(name string) string { return filepath.Join(r.kageHome, name) }

func (r *hostileRun) write(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask, and an existing file
	// keeps its own: set it.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// mount mounts a tmpfs on dir for the row; it skips the row where that is
// not allowed, unless CI requires every keychain test to run.
func (r *hostileRun) mount(t *testing.T, dir, opts string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv(testkeyring.RequireEnv) == "1" {
			t.Fatalf("mount a tmpfs: %v: %s", err, out)
		}
		t.Skipf("skipping: cannot mount a tmpfs (needs root): %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// onTmpfs moves the row's KAGE_HOME to a small tmpfs holding a copy of
// the template.
func (r *hostileRun) onTmpfs(t *testing.T, size string) {
	t.Helper()
	r.kageHome = filepath.Join(r.scratch, "tmpfs")
	r.mount(t, r.kageHome, "size="+size+",mode=0700")
	r.copyTemplate(t, r.kageHome)
}

// fill writes to dir until its file system is full.
func (r *hostileRun) fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'x'}, 512)
	for i := 0; ; i++ {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
		if i > 1<<16 {
			t.Fatal("the tmpfs never filled up")
		}
	}
	// Small writes may still fit in a partly used page: take those too.
	for _, n := range []int{64, 8, 1} {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}

// noItemNamed checks with secret-tool, as a user would, that the keychain
// holds no item for name.
func (r *hostileRun) noItemNamed(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command("secret-tool", "search", "--all", "username", name)
	cmd.Env = r.w.bus.Environ(os.Environ())
	out, _ := cmd.CombinedOutput()
	if strings.Contains(string(out), "= "+name) {
		t.Errorf("the keychain holds an item for %s:\n%s", name, out)
	}
}

func hostileMkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostileConfig is a config.toml of at least size bytes of valid
// [namespaces] keys: parsing it would cost the TOML decoder time that grows
// with the square of their number, so only a size check can be quick.
func hostileConfig(size int) []byte {
	var b bytes.Buffer
	b.WriteString("[namespaces]\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "n%d = [\"/srv/x%d\"]\n", i, i)
	}
	return b.Bytes()
}

func hostileCases(w *hostileWorld) []hostileCase {
	v := []byte("value\n")
	set := func(name string, extra ...string) []string { return append([]string{"secret", "set", name}, extra...) }
	writeFile := func(name string, data []byte, mode os.FileMode) func(*testing.T, *hostileRun) {
		return func(t *testing.T, r *hostileRun) { r.write(t, r.file(name), data, mode) }
	}
	config := func(toml string) func(*testing.T, *hostileRun) {
		return writeFile("config.toml", []byte(toml), 0o600)
	}
	nonUTF8Repo := func(t *testing.T, r *hostileRun) string {
		dir := filepath.Join(r.scratch, "caf\xe9-latin1")
		hostileGitRepo(t, dir, "")
		return dir
	}
	loop := func(t *testing.T, r *hostileRun) {
		if err := os.Symlink("loop", filepath.Join(r.scratch, "loop")); err != nil {
			t.Fatal(err)
		}
	}
	dotenv := func(data []byte) func(*testing.T, *hostileRun) {
		return func(t *testing.T, r *hostileRun) {
			r.write(t, filepath.Join(r.scratch, "in.env"), data, 0o600)
			r.dir = r.scratch
		}
	}
	importDetails := `^kage: in\.env: (line \d+: .+|… and \d+ more invalid lines?)$`
	var cases []hostileCase
	add := func(c ...hostileCase) { cases = append(cases, c...) }

	// Names.
	invalidName := `^invalid secret name `
	add(
		hostileCase{name: "name-empty", args: set(""), stdin: v, code: 2, err: invalidName + `""$`},
		hostileCase{name: "name-digit-first", args: set("1PASSWORD"), stdin: v, code: 2, err: invalidName},
		hostileCase{name: "name-dash-flag", args: set("-flag"), stdin: v, code: 2, err: `^flag provided but not defined: -flag$`},
		hostileCase{name: "name-dash-after-double-dash", args: []string{"secret", "set", "--", "-flag"}, stdin: v, code: 2, err: invalidName + `"-flag"$`},
		hostileCase{name: "name-assignment", args: set("A=B"), stdin: v, code: 2, err: invalidName + `"A=B"$`},
		hostileCase{name: "name-unicode", args: set("ΑPI_KEY"), stdin: v, code: 2, err: invalidName},
		hostileCase{name: "name-200-chars", args: set(strings.Repeat("A", 200)), stdin: v, code: 2, err: `^invalid secret name: it is 200 characters long$`},
		hostileCase{name: "name-newline", args: set("API\nKEY"), stdin: v, code: 2, err: invalidName + `"API\\nKEY"$`},
		hostileCase{name: "name-PATH", args: set("PATH"), stdin: v, code: 2, err: `^refusing to store "PATH": it changes how the shell finds and runs commands \(shell behaviour\)$`},
		hostileCase{name: "name-LD_PRELOAD", args: set("LD_PRELOAD"), stdin: v, code: 2, err: `^refusing to store "LD_PRELOAD"`},
		hostileCase{name: "name-get-invalid", args: []string{"secret", "get", "A B"}, code: 2, err: invalidName},
		hostileCase{name: "name-delete-invalid", args: []string{"secret", "delete", "9LIVES"}, code: 2, err: invalidName},
	)

	// Scopes.
	add(
		hostileCase{name: "scope-unknown", args: set("X", "--scope", "foo"), stdin: v, code: 2, err: `^invalid scope "foo"`},
		hostileCase{name: "scope-namespace-empty", args: set("X", "--scope", "namespace:"), stdin: v, code: 2, err: `^namespace name is empty`},
		hostileCase{name: "scope-namespace-invalid", args: set("X", "--scope", "namespace:UPPER bad"), stdin: v, code: 2, err: `^namespace name "UPPER bad" is invalid`},
		hostileCase{name: "scope-repo-empty", args: set("X", "--scope", "repo:"), stdin: v, code: 2, err: `^repo path is empty`},
		hostileCase{name: "scope-repo-missing", args: set("X", "--scope", "repo:/nonexistent"), stdin: v, code: 2, err: `^repo path "/nonexistent" does not exist$`},
		hostileCase{name: "scope-subscription", args: set("X", "--scope", "subscription:x"), stdin: v, code: 2, err: `^"subscription:x" is a subscription, not a scope$`},
		hostileCase{name: "scope-repo-dotdot-relative", args: set("X", "--scope", "repo:"+strings.Repeat("../", 40)), stdin: v, code: 2, err: `is the file-system root /, which is not a git repository$`},
		hostileCase{name: "scope-repo-dotdot-absolute", args: set("X", "--scope", "repo:/tmp/../.."), stdin: v, code: 2, err: `^repo path "/tmp/\.\./\.\." is the file-system root`},
		hostileCase{name: "scope-repo-symlink-loop", args: set("X", "--scope", "repo:<scratch>/loop"), stdin: v, code: 2, err: `^repo path ".*/loop" runs into a loop of symbolic links$`,
			setup: func(t *testing.T, r *hostileRun) { loop(t, r) }},
	)

	// Symlink loops and non-UTF-8 paths as the directory.
	add(
		hostileCase{name: "dir-parent-git-loop", args: []string{"env", "--shell", "json"}, code: 1, err: `^cannot look for a git repository: .*too many levels of symbolic links$`,
			setup: func(t *testing.T, r *hostileRun) {
				proj := filepath.Join(r.scratch, "proj")
				if err := os.MkdirAll(filepath.Join(proj, "sub"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(".git", filepath.Join(proj, ".git")); err != nil {
					t.Fatal(err)
				}
				r.dir = filepath.Join(proj, "sub")
			}},
		hostileCase{name: "dir-flag-through-loop", args: []string{"env", "--shell", "json", "-C", "<scratch>/loop/sub"}, code: 1, err: `^directory ".*/loop/sub" runs into a loop of symbolic links$`,
			setup: func(t *testing.T, r *hostileRun) { loop(t, r) }},
		hostileCase{name: "dir-flag-non-utf8-file", args: []string{"env", "--shell", "json", "--dir", "<scratch>/\xff\xfe"}, code: 1, err: `^directory ".*/\\xff\\xfe" is not a directory$`,
			setup: func(t *testing.T, r *hostileRun) {
				r.write(t, filepath.Join(r.scratch, "\xff\xfe"), []byte("x"), 0o600)
			}},
		hostileCase{name: "scope-repo-non-utf8", args: set("X", "--scope", "repo:<scratch>/caf\xe9-latin1"), stdin: v, code: 2, err: `^repo path ".*caf\\xe9-latin1" is not valid UTF-8`,
			setup: func(t *testing.T, r *hostileRun) { nonUTF8Repo(t, r) }},
		hostileCase{name: "cwd-non-utf8-repo-set", args: set("X", "--scope", "repo"), stdin: v, code: 2, err: `^this repository's path ".*caf\\xe9-latin1" is not valid UTF-8`,
			setup: func(t *testing.T, r *hostileRun) { r.dir = nonUTF8Repo(t, r) }},
		hostileCase{name: "cwd-non-utf8-repo-get", args: []string{"secret", "get", "G_ONE", "--scope", "repo"}, code: 2, err: `is not valid UTF-8`,
			setup: func(t *testing.T, r *hostileRun) { r.dir = nonUTF8Repo(t, r) }},
		hostileCase{name: "cwd-non-utf8-repo-bind", args: []string{"subscription", "use", "work", "--scope", "repo"}, code: 2, err: `is not valid UTF-8`,
			setup: func(t *testing.T, r *hostileRun) { r.dir = nonUTF8Repo(t, r) }},
	)

	// config.toml.
	env := []string{"env", "--shell", "json"}
	configErr := func(msg string) string { return `^config .*/config\.toml(, line \d+)?: ` + msg }
	add(
		hostileCase{name: "config-syntax", setup: config("[secrets\nbackend = \"keyring\"\n"), args: env, code: 1, err: configErr(`expected '\]'`)},
		hostileCase{name: "config-wrong-type", setup: config("[secrets]\nbackend = 5\n"), args: env, code: 1, err: configErr(`the key "secrets.backend" must be text in quotes, like "file", not a number`)},
		hostileCase{name: "config-unknown-backend", setup: config("[secrets]\nbackend = \"vault\"\n"), args: set("X"), stdin: v, code: 1, err: configErr(`unknown backend "vault"`)},
		hostileCase{name: "config-unknown-key", setup: config("colour = true\n"), args: env, code: 1, err: configErr(`unknown key "colour"`)},
		hostileCase{name: "config-namespaces-not-a-list", setup: config("[namespaces]\nteam = \"~/code\"\n"), args: env, code: 1, err: configErr(`the key "namespaces.team" must be a list of path globs, like \["~/code/api", "~/code/svc-\*"\], not text`)},
		hostileCase{name: "config-glob-relative-star", setup: config("[namespaces]\nproduction = [\"*\"]\n"), args: env, code: 1, err: configErr(`\[namespaces\] production: glob "\*" is not absolute`)},
		hostileCase{name: "config-glob-everything", setup: config("[namespaces]\nproduction = [\"/**\"]\n"), args: env, code: 1, err: configErr(`\[namespaces\] production: glob "/\*\*" takes in repositories anywhere on this machine`)},
		hostileCase{name: "config-glob-root", setup: config("[namespaces]\nproduction = [\"~/code/*\", \"/\"]\n"), args: []string{"secret", "get", "G_ONE"}, code: 1, err: configErr(`\[namespaces\] production: glob "/" takes in repositories anywhere on this machine`)},
		hostileCase{name: "config-glob-top-level-star", args: env, code: 1, err: configErr(`\[namespaces\] production: glob "/\*/code" takes in repositories anywhere on this machine`),
			setup: func(t *testing.T, r *hostileRun) {
				r.write(t, r.file("config.toml"), []byte("[namespaces]\nproduction = [\"/*/code\"]\n"), 0o600)
				r.dir = w.plain
			}},
		hostileCase{name: "config-huge", setup: writeFile("config.toml", hostileConfig(50<<20), 0o600), args: env, code: 1, err: configErr(`is 5\d{7} bytes; kage reads at most 262144`), within: 2 * time.Second},
		hostileCase{name: "config-over-limit", setup: writeFile("config.toml", hostileConfig(300<<10), 0o600), args: set("X"), stdin: v, code: 1, err: configErr(`is 3\d{5} bytes`), within: 2 * time.Second},
		hostileCase{name: "config-fifo", args: env, code: 1, err: configErr(`is not a regular file \(a named pipe\)$`), within: 2 * time.Second,
			setup: func(t *testing.T, r *hostileRun) { hostileMkfifo(t, r.file("config.toml")) }},
		hostileCase{name: "config-symlink-to-device", args: env, code: 1, err: configErr(`is not a regular file \(a device\)$`), within: 2 * time.Second,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Symlink("/dev/zero", r.file("config.toml")); err != nil {
					t.Fatal(err)
				}
			}},
		hostileCase{name: "backend-env-unknown", env: map[string]string{"KAGE_BACKEND": "vault"}, args: set("X"), stdin: v, code: 1, err: `^unknown backend "vault" in KAGE_BACKEND$`},
	)

	// The index and the bindings file.
	corrupt := `^index .*/index\.json is corrupt: `
	add(
		hostileCase{name: "index-corrupt", setup: writeFile(keyring.IndexFile, []byte("{\"version\": 1, \"secrets\": [{]}"), 0o600), args: set("NEW_NAME"), stdin: v, code: 1, err: corrupt},
		hostileCase{name: "index-truncated", args: set("NEW_NAME"), stdin: v, code: 1, err: corrupt,
			setup: func(t *testing.T, r *hostileRun) {
				r.write(t, r.file(keyring.IndexFile), w.index[:len(w.index)/2], 0o600)
			}},
		hostileCase{name: "index-truncated-env", args: env, code: 1, err: corrupt,
			setup: func(t *testing.T, r *hostileRun) {
				r.write(t, r.file(keyring.IndexFile), w.index[:len(w.index)-3], 0o600)
			}},
		hostileCase{name: "index-empty", setup: writeFile(keyring.IndexFile, nil, 0o600), args: set("NEW_NAME"), stdin: v, code: 1, err: corrupt + `EOF$`},
		hostileCase{name: "index-binary", setup: writeFile(keyring.IndexFile, []byte("\x00\xff\xfe{\x01"), 0o600), args: []string{"secret", "delete", "G_ONE"}, code: 1, err: corrupt},
		hostileCase{name: "index-world-writable", args: set("NEW_NAME"), stdin: v, code: 1, err: `^index .*/index\.json is writable by every user \(mode 0666\); kage does not trust it$`,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Chmod(r.file(keyring.IndexFile), 0o666); err != nil {
					t.Fatal(err)
				}
			}},
		hostileCase{name: "index-symlink", args: set("NEW_NAME"), stdin: v, code: 1, err: `^index .*/index\.json is a symbolic link; kage keeps it as a plain file and does not follow links$`,
			setup: func(t *testing.T, r *hostileRun) {
				other := filepath.Join(r.scratch, "elsewhere.json")
				r.write(t, other, w.index, 0o600)
				if err := os.Remove(r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(other, r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
			}},
		hostileCase{name: "index-dangling-symlink", args: set("NEW_NAME"), stdin: v, code: 1, err: `is a symbolic link`,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Remove(r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(r.scratch, "planted.json"), r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, r *hostileRun) {
				if _, err := os.Lstat(filepath.Join(r.scratch, "planted.json")); err == nil {
					t.Errorf("kage created the file the index link points to")
				}
			}},
		hostileCase{name: "index-directory", args: env, code: 1, err: `^index .*/index\.json is not a regular file`,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Remove(r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(r.file(keyring.IndexFile), 0o700); err != nil {
					t.Fatal(err)
				}
			}},
		hostileCase{name: "index-fifo", args: []string{"secret", "list"}, code: 1, err: `^index .*/index\.json is not a regular file`, within: 2 * time.Second,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Remove(r.file(keyring.IndexFile)); err != nil {
					t.Fatal(err)
				}
				hostileMkfifo(t, r.file(keyring.IndexFile))
			}},
		hostileCase{name: "bindings-corrupt", setup: writeFile(subscription.File, []byte("{\"version\": 1, \"bindings\": [{\"scope\": \"global\"}"), 0o600),
			args: []string{"subscription", "use", "work", "--scope", "global"}, code: 1, err: `^subscription bindings .*/subscriptions\.json is corrupt: `},
		hostileCase{name: "bindings-world-writable", args: []string{"subscription", "unuse", "--scope", "namespace:team"}, code: 1, err: `^subscription bindings .*/subscriptions\.json is writable by every user`,
			setup: func(t *testing.T, r *hostileRun) {
				if err := os.Chmod(r.file(subscription.File), 0o606); err != nil {
					t.Fatal(err)
				}
			}},
	)

	// Standard input.
	add(
		hostileCase{name: "stdin-over-1MiB", args: set("BIG"), stdin: bytes.Repeat([]byte("a"), keyring.MaxInput+1), code: 1, err: `^standard input holds more than 1048576 bytes \(1 MiB\)`},
		hostileCase{name: "stdin-binary-nul", args: set("BIN"), stdin: []byte("\x7fELF\x02\x01\x01\x00\x00\xff\xfe"), code: 1, err: `^the value for "BIN" contains a NUL byte`},
		hostileCase{name: "stdin-empty", args: set("EMPTY"), stdin: []byte("\n"), code: 1, err: `^the value for "EMPTY" is empty`},
		hostileCase{name: "from-file-dev-zero", args: set("ZERO", "--from-file", "/dev/zero"), code: 1, err: `^/dev/zero holds more than 1048576 bytes`, within: 2 * time.Second},
		hostileCase{name: "from-file-directory", args: set("DIR", "--from-file", "/"), code: 1, err: `^cannot read /: is a directory$`},
	)

	// A closed standard output.
	closed := `standard output is closed; nothing was written$`
	add(
		hostileCase{name: "stdout-closed-env", args: []string{"env", "--shell", "bash"}, closeStdout: true, code: 1, err: `^` + closed},
		hostileCase{name: "stdout-closed-get", args: []string{"secret", "get", "G_ONE"}, closeStdout: true, code: 1, err: `^cannot write the value: ` + closed},
		// Only the commands that print values treat a closed stdout as an
		// error: Python's subprocess.DEVNULL looks the same, and `kage
		// status` run so must succeed (TestPrintsValues).
		hostileCase{name: "stdout-closed-env-namespace-flag", args: []string{"--namespace", "team", "env", "--shell", "json"}, closeStdout: true, code: 1, err: `^` + closed},
		hostileCase{name: "stdout-closed-env-fish", args: []string{"env", "--shell", "fish"}, closeStdout: true, code: 1, err: `^` + closed},
		hostileCase{name: "stdout-closed-get-scope", args: []string{"secret", "get", "G_ONE", "--scope", "global"}, closeStdout: true, code: 1, err: `^cannot write the value: ` + closed},
	)

	// The disk under KAGE_HOME.
	noSpace := `^write index .*/index\.json: no space left on device$`
	add(
		hostileCase{name: "disk-full-new", args: set("FULL_DISK_NEW"), stdin: v, code: 1, err: noSpace,
			setup: func(t *testing.T, r *hostileRun) { r.onTmpfs(t, "64k"); r.fill(t, r.kageHome) },
			after: func(t *testing.T, r *hostileRun) { r.noItemNamed(t, "FULL_DISK_NEW") }},
		hostileCase{name: "disk-full-rotate", args: set("G_ONE"), stdin: []byte("rotated"), code: 1, err: noSpace,
			setup: func(t *testing.T, r *hostileRun) { r.onTmpfs(t, "64k"); r.fill(t, r.kageHome) }},
		hostileCase{name: "disk-full-bind", args: []string{"subscription", "use", "work", "--scope", "global"}, code: 1, err: `^write the subscription bindings .*: no space left on device$`,
			setup: func(t *testing.T, r *hostileRun) { r.onTmpfs(t, "64k"); r.fill(t, r.kageHome) }},
		hostileCase{name: "disk-read-only", args: set("READ_ONLY_NEW"), stdin: v, code: 1, err: `^cannot lock the index .*: read-only file system$`,
			setup: func(t *testing.T, r *hostileRun) {
				r.onTmpfs(t, "1m")
				if out, err := exec.Command("mount", "-o", "remount,ro", r.kageHome).CombinedOutput(); err != nil {
					t.Fatalf("remount read-only: %v: %s", err, out)
				}
			},
			after: func(t *testing.T, r *hostileRun) { r.noItemNamed(t, "READ_ONLY_NEW") }},
		hostileCase{name: "kage-home-is-a-file", args: set("X"), stdin: v, code: 1, err: `^KAGE_HOME .* is not a folder`,
			setup: func(t *testing.T, r *hostileRun) {
				r.kageHome = filepath.Join(r.scratch, "kage-home-file")
				r.write(t, r.kageHome, []byte("not a folder\n"), 0o600)
			}},
	)

	// HOME.
	noXDG := map[string]string{"KAGE_HOME": hostileUnset, "XDG_CONFIG_HOME": hostileUnset, "XDG_DATA_HOME": hostileUnset}
	missingHome := func(t *testing.T, r *hostileRun) { r.env["HOME"] = filepath.Join(r.scratch, "missing-home") }
	add(
		hostileCase{name: "home-missing-no-kage-home", setup: missingHome, env: noXDG, args: set("X"), stdin: v, code: 1, err: `^HOME .*/missing-home does not exist and XDG_CONFIG_HOME is empty; set KAGE_HOME`,
			after: func(t *testing.T, r *hostileRun) {
				if _, err := os.Lstat(filepath.Join(r.scratch, "missing-home")); err == nil {
					t.Errorf("kage created the missing HOME")
				}
			}},
		hostileCase{name: "home-unset-no-kage-home", env: map[string]string{"HOME": hostileUnset, "KAGE_HOME": hostileUnset, "XDG_CONFIG_HOME": hostileUnset, "XDG_DATA_HOME": hostileUnset}, args: env, code: 1, err: `^HOME is not set and XDG_CONFIG_HOME is empty`},
		hostileCase{name: "home-unset-tilde-scope", env: map[string]string{"HOME": hostileUnset}, args: set("X", "--scope", "repo:~/code/api"), stdin: v, code: 2, err: `^cannot expand "~/code/api": the home folder is unknown`},
		hostileCase{name: "home-missing-tilde-scope", setup: missingHome, args: set("X", "--scope", "repo:~/code/api"), stdin: v, code: 2, err: `^repo path "~/code/api" does not exist$`},
	)

	// Subscriptions.
	add(
		hostileCase{name: "sub-use-unknown", args: []string{"subscription", "use", "nope", "--scope", "global"}, code: 1, err: `^subscription "nope" not found$`},
		hostileCase{name: "sub-use-bad-scope", args: []string{"subscription", "use", "work", "--scope", "foo"}, code: 2, err: `^invalid scope "foo"`},
		hostileCase{name: "sub-use-no-scope", args: []string{"subscription", "use", "work"}, code: 2, err: `needs --scope$`},
		hostileCase{name: "sub-use-subscription-scope", args: []string{"subscription", "use", "work", "--scope", "subscription:work"}, code: 2, err: `is a subscription, not a scope$`},
		hostileCase{name: "sub-use-bad-name", args: []string{"subscription", "use", "../work", "--scope", "global"}, code: 2, err: `^subscription name "\.\./work" is invalid`},
		hostileCase{name: "sub-add-bad-name", args: []string{"subscription", "add", "--name", "Work Account"}, stdin: v, code: 2, err: `^subscription name "Work Account" is invalid`},
		hostileCase{name: "sub-add-bad-env", args: []string{"subscription", "add", "--name", "fresh", "--env", "1KEY"}, stdin: v, code: 2, err: invalidName + `"1KEY"`},
		hostileCase{name: "sub-add-dangerous-env", args: []string{"subscription", "add", "--name", "fresh", "--env", "LD_PRELOAD"}, stdin: v, code: 2, err: `^refusing to export a subscription.s key as "LD_PRELOAD"`},
		hostileCase{name: "sub-add-exists", args: []string{"subscription", "add", "--name", "work"}, stdin: v, code: 1, err: `^subscription "work" already exists`},
		hostileCase{name: "sub-add-nul", args: []string{"subscription", "add", "--name", "fresh"}, stdin: []byte("sk-\x00"), code: 1, err: `contains a NUL byte`},
		hostileCase{name: "sub-unuse-nothing-bound", args: []string{"subscription", "unuse", "--scope", "namespace:nobody"}, code: 1, err: `^no subscription is bound to namespace:nobody$`},
		hostileCase{name: "sub-remove-bound", args: []string{"subscription", "remove", "work"}, code: 1, err: `^subscription "work" is bound to namespace:team$`},
	)

	// secret import of hostile .env files.
	add(
		hostileCase{name: "import-binary", setup: dotenv([]byte("GOOD=1\n\x7fELF\x02\x01\x00\x00\nX=\x00\x01\n")), args: []string{"secret", "import", "in.env"}, code: 1, details: importDetails, err: `^in\.env has 2 invalid lines; nothing was stored$`},
		hostileCase{name: "import-huge-line", setup: dotenv(append([]byte("BIG="), bytes.Repeat([]byte("a"), keyring.MaxInput)...)), args: []string{"secret", "import", "in.env"}, code: 1, err: `^in\.env holds more than 1048576 bytes`},
		hostileCase{name: "import-invalid-utf8-name", setup: dotenv([]byte("GOOD=1\n\xffBAD\xfe=2\n")), args: []string{"secret", "import", "in.env"}, code: 1, details: importDetails, err: `^in\.env has 1 invalid line; nothing was stored$`},
		hostileCase{name: "import-dangerous-name", setup: dotenv([]byte("LD_PRELOAD=/tmp/evil.so\nGOOD=1\n")), args: []string{"secret", "import", "in.env"}, code: 1, details: importDetails, err: `^in\.env has 1 invalid line`},
		hostileCase{name: "import-dev-zero", args: []string{"secret", "import", "/dev/zero"}, code: 1, err: `^/dev/zero holds more than 1048576 bytes`, within: 2 * time.Second},
		hostileCase{name: "import-directory", args: []string{"secret", "import", "/"}, code: 1, err: `^/ is a directory, not a \.env file$`},
	)

	return cases
}

// accepted runs hostile-looking inputs that are fine, so the rows above
// cannot pass by refusing everything: a non-UTF-8 folder outside the
// chain's stored scopes resolves, and a binary value without NUL is stored
// exactly (and removed again).
func (w *hostileWorld) accepted(t *testing.T) {
	items := hostileItems(t, w.bus)
	scratch := t.TempDir()
	odd := filepath.Join(scratch, "caf\xe9")
	hostileGitRepo(t, odd, "")
	plainOdd := filepath.Join(scratch, "\xff-plain")
	if err := os.Mkdir(plainOdd, 0o700); err != nil {
		t.Fatal(err)
	}
	want := w.views[1].want
	for _, c := range []struct {
		dir  string
		args []string
	}{
		{w.plain, []string{"env", "--shell", "json", "-C", odd}},
		{odd, []string{"env", "--shell", "json"}},
		{plainOdd, []string{"env", "--shell", "json"}},
	} {
		r := w.exec(t, c.dir, w.environ(map[string]string{"KAGE_NAMESPACE": hostileUnset}), nil, false, c.args...)
		var got map[string]string
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || !maps.Equal(got, want) {
			t.Errorf("kage %q in %q:\n%v\nwant %v", c.args, c.dir, r, want)
		}
	}

	bin := []byte("\x7fELF\x02\x01\x01\xff\xfe\x1b[31m\r")
	w.mustRun(t, w.plain, string(bin), "secret", "set", "BIN_OK")
	if got := w.mustRun(t, w.plain, "", "secret", "get", "BIN_OK", "--scope", "global"); got != string(bin) {
		t.Errorf("binary value read back as %q, want %q", got, bin)
	}
	w.mustRun(t, w.plain, "", "secret", "delete", "BIN_OK")
	if got, err := os.ReadFile(filepath.Join(w.tmpl, keyring.IndexFile)); err != nil || !bytes.Equal(got, w.index) {
		// Set then delete leaves the index as it was, byte for byte.
		t.Errorf("the index after set and delete of BIN_OK differs: %v\n%s", err, got)
	}
	w.tmplSnap = hostileSnapshot(t, w.tmpl)
	w.checkIntact(t, items)
}
