package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// The programs are built once per run of the test binary, into a folder
// TestMain removes: every benchmark function starts its own keyring, but
// building kage three times would only make `make bench` slower.
var (
	buildOnce sync.Once
	binDir    string
	bins      programs
	buildErr  error
)

// programs are the binaries a benchmark runs: kage and kage-hook (built
// into one folder, as `make install` puts them), and the baselines.
type programs struct{ kage, hook, minimal, onebyone, hello string }

// TestMain prints the table of every figure once the benchmarks ran, and
// removes the programs build compiled.
func TestMain(m *testing.M) {
	code := m.Run()
	printFigures(os.Stdout)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// build compiles kage and the two baselines the way `make build` compiles
// kage (static, stripped), so that none of them starts faster for being
// built differently.
func build(b *testing.B) programs {
	b.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "kage-bench-"); buildErr != nil {
			return
		}
		bins = programs{
			kage:     filepath.Join(binDir, "kage"),
			hook:     filepath.Join(binDir, "kage-hook"),
			minimal:  filepath.Join(binDir, "minimal"),
			onebyone: filepath.Join(binDir, "onebyone"),
			hello:    filepath.Join(binDir, "hello"),
		}
		for out, pkg := range map[string]string{
			bins.kage:     "github.com/kage-cli/kage/cmd/kage",
			bins.hook:     "github.com/kage-cli/kage/cmd/kage-hook",
			bins.minimal:  "github.com/kage-cli/kage/bench/minimal",
			bins.onebyone: "github.com/kage-cli/kage/bench/onebyone",
			bins.hello:    "github.com/kage-cli/kage/bench/hello",
		} {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
				return
			}
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return bins
}

var (
	extraMu sync.Mutex
	extras  = map[string]string{}
)

// buildProgram compiles one more baseline, the package at path pkg (as
// "github.com/kage-cli/kage/bench/NAME"), as build compiles the others,
// once per run, and returns the program's path.
func buildProgram(b *testing.B, pkg string) string {
	b.Helper()
	build(b)
	extraMu.Lock()
	defer extraMu.Unlock()
	if out, ok := extras[pkg]; ok {
		return out
	}
	out := filepath.Join(binDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	extras[pkg] = out
	return out
}

// layout is one user's world: a private keyring, a HOME with a git
// repository in namespace "backend", and secrets stored by kage.
type layout struct {
	bins programs
	repo string
	env  []string
	// pairs lists SCOPE NAME of every secret stored, the arguments of
	// minimal and onebyone.
	pairs []string
	names []string
	// kageHome is kage's data folder (KAGE_HOME).
	kageHome string
}

// isolated reports whether an environment variable could point a program
// at the user's own configuration, keyring or shell state.
func isolated(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	for _, p := range []string{"HOME", "KAGE_", "XDG_", "GIT_", "DIRENV_", "DBUS_", "GNOME_KEYRING_"} {
		if k == p || strings.HasPrefix(k, p) && strings.HasSuffix(p, "_") {
			return true
		}
	}
	return false
}

// newLayout starts a private keyring and stores n secrets through kage,
// a third each in global, namespace:backend and the repository's scope,
// all winning in the repository.
func newLayout(b *testing.B, n int) *layout { return newLayoutFor(b, n, "keyring") }

// newLayoutFor is newLayout for a backend: keyring, or file (an age file
// encrypted to an identity kage init creates).
func newLayoutFor(b *testing.B, n int, backend string) *layout {
	b.Helper()
	testkeyring.Skip(b)
	l := &layout{bins: build(b)}
	bus := testkeyring.Start(b)
	root := b.TempDir()
	l.kageHome = filepath.Join(root, "kage")
	home := filepath.Join(root, "home")
	l.repo = filepath.Join(home, "code", "api")
	if err := os.MkdirAll(l.repo, 0o700); err != nil {
		b.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !isolated(kv) {
			base = append(base, kv)
		}
	}
	l.env = append(bus.Environ(base),
		"HOME="+home,
		"KAGE_HOME="+l.kageHome,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"GIT_CONFIG_NOSYSTEM=1",
	)
	l.run(b, "", "git", "init", "-q", ".")
	if backend == "file" {
		l.run(b, "", l.bins.kage, "init", "--backend", "file")
	}
	l.run(b, "", l.bins.kage, "namespace", "set", "backend")
	scopes := []string{"global", "namespace:backend", "repo:" + l.repo}
	for i := range n {
		name := fmt.Sprintf("SECRET_%03d", i)
		l.run(b, fmt.Sprintf("s3cr3t-%03d-0123456789abcdefghijklmnopqrstuvwxyz", i),
			l.bins.kage, "secret", "set", name, "--scope", scopes[i%len(scopes)])
	}
	// The canonical scopes, as kage names the items, from kage itself.
	var listed []struct{ Scope, Name string }
	if err := json.Unmarshal(l.run(b, "", l.bins.kage, "secret", "list", "--json"), &listed); err != nil {
		b.Fatal(err)
	}
	if len(listed) != n {
		b.Fatalf("kage secret list shows %d secrets, want %d", len(listed), n)
	}
	for _, e := range listed {
		l.pairs = append(l.pairs, e.Scope, e.Name)
		l.names = append(l.names, e.Name)
	}
	return l
}

// pairOf is the SCOPE NAME pair of one stored name, the arguments of
// minimal and onebyone for it alone.
func (l *layout) pairOf(name string) []string {
	for i := 1; i < len(l.pairs); i += 2 {
		if l.pairs[i] == name {
			return l.pairs[i-1 : i+1]
		}
	}
	panic("no secret " + name)
}

// run runs a program in the repository with stdin and returns its stdout.
func (l *layout) run(b *testing.B, stdin, prog string, args ...string) []byte {
	b.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = l.repo
	cmd.Env = l.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(prog), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// hasAll checks that each name is in the output, once.
func hasAll(names []string) func([]byte) error {
	return func(out []byte) error {
		for _, n := range names {
			if c := bytes.Count(out, []byte(n+"=")); c != 1 {
				return fmt.Errorf("%s appears %d times", n, c)
			}
		}
		return nil
	}
}

// isEmptyEnv checks that kage env exported nothing.
func isEmptyEnv(out []byte) error {
	if bytes.Contains(out, []byte("=")) {
		return fmt.Errorf("exports something")
	}
	return nil
}

func isEmpty(out []byte) error {
	if len(out) != 0 {
		return fmt.Errorf("printed %d bytes, want nothing", len(out))
	}
	return nil
}

// BenchmarkEnv times `kage env --shell bash` for 10 and 100 secrets next
// to its two baselines: batch-minimal, one batched Secret Service read
// (the physical limit), and go-keyring-one-by-one, how kage read before
// its batch. The goals: within 1.15× (10) and 1.3× (100) of batch-minimal,
// and at least 4× (10) and 10× (100) faster than go-keyring one by one.
//
// The 0 rows are kage env where no secrets are stored, next to a static Go
// program that does nothing: what kage costs besides the keychain (start,
// config, repository and namespace detection, index).
func BenchmarkEnv(b *testing.B) {
	empty := newLayout(b, 0)
	compare(b, "env-0-secrets", goal{}, empty.in(isEmptyEnv, empty.bins.kage, "env", "--shell", "bash"),
		"static Go hello", empty.in(isEmpty, empty.bins.hello))
	emptyFile := newLayoutFor(b, 0, "file")
	compare(b, "env-0-secrets-file", goal{}, emptyFile.in(isEmptyEnv, emptyFile.bins.kage, "env", "--shell", "bash"),
		"static Go hello", emptyFile.in(isEmpty, emptyFile.bins.hello))
	for _, c := range []struct {
		n             int
		batch, faster float64
	}{{10, 1.15, 4}, {100, 1.3, 10}} {
		l := newLayout(b, c.n)
		kage := l.in(hasAll(l.names), l.bins.kage, "env", "--shell", "bash")
		compare(b, fmt.Sprintf("env-%d-secrets", c.n), goal{Max: c.batch}, kage,
			"one batched read", l.in(hasAll(l.names), l.bins.minimal, l.pairs...))
		compare(b, fmt.Sprintf("env-%d-secrets-vs-one-by-one", c.n), goal{Faster: c.faster}, kage,
			"go-keyring one by one", l.in(hasAll(l.names), l.bins.onebyone, l.pairs...))
		fileEnv(b, c.n)
	}
}

// fileEnv times kage env over the file backend with an identity next to
// age decrypting the same file: what kage adds to one decryption.
func fileEnv(b *testing.B, n int) {
	name := fmt.Sprintf("env-%d-secrets-file", n)
	age, err := exec.LookPath("age")
	if err != nil {
		fmt.Printf("# %s: skipped, age is not installed (sudo apt-get install age)\n", name)
		return
	}
	f := newLayoutFor(b, n, "file")
	decrypted := func(out []byte) error {
		if len(out) == 0 {
			return fmt.Errorf("decrypted nothing")
		}
		return nil
	}
	compare(b, name, goal{}, f.in(hasAll(f.names), f.bins.kage, "env", "--shell", "bash"),
		"age -d of the file", f.in(decrypted, age, "-d", "-i", filepath.Join(f.kageHome, "identity.txt"), filepath.Join(f.kageHome, "secrets.age")))
}

// BenchmarkSecretGet times `kage secret get`, which reads the whole chain
// in one batch: a name stored in the repository's scope, and a global one
// that the repository and the namespace lack, cost the same.
func BenchmarkSecretGet(b *testing.B) {
	l := newLayout(b, 10)
	// SECRET_000 is global, SECRET_002 in the repository (see newLayout).
	one := func(name string) func([]byte) error {
		return func(out []byte) error {
			if !bytes.HasPrefix(out, []byte("s3cr3t-"+strings.TrimPrefix(name, "SECRET_"))) {
				return fmt.Errorf("not the value of %s", name)
			}
			return nil
		}
	}
	// The baseline reads the one item with the fewest round trips.
	compare(b, "get-repo-hit", goal{}, l.in(one("SECRET_002"), l.bins.kage, "secret", "get", "SECRET_002"),
		"one batched read", l.in(hasAll([]string{"SECRET_002"}), l.bins.minimal, l.pairOf("SECRET_002")...))
	compare(b, "get-global-after-2-misses", goal{}, l.in(one("SECRET_000"), l.bins.kage, "secret", "get", "SECRET_000"),
		"one batched read", l.in(hasAll([]string{"SECRET_000"}), l.bins.minimal, l.pairOf("SECRET_000")...))
}

// settled runs the hook once in bash, as the prompt would, and returns the
// environment it leaves: the state in which the next run has nothing to do.
func settled(b *testing.B, dir string, env []string, hook string) []string {
	b.Helper()
	cmd := exec.Command("bash", "-c", `eval "$(`+hook+`)" && env -0`)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v\n%s", hook, err, stderr.String())
	}
	var next []string
	for kv := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if !strings.HasPrefix(kv, "_=") && !strings.HasPrefix(kv, "SHLVL=") {
			next = append(next, kv)
		}
	}
	return next
}

// BenchmarkHookUnchanged times the prompt hook when nothing changed since
// the last prompt, which is what it does almost every time. The hook `kage
// hook` prints runs kage-hook, which compares the stamps in KAGE_WATCH and
// execs kage only when one differs, so that is what is timed: next to
// direnv's export with an allowed .envrc, next to a static Go program that
// does nothing, and next to kage hook-env without kage-hook (what the hook
// does when kage-hook is not installed). The goals: 0.6× direnv and 1.15×
// the empty program.
func BenchmarkHookUnchanged(b *testing.B) {
	l := newLayout(b, 10)
	after := settled(b, l.repo, l.env, l.bins.hook+" "+l.bins.kage+" hook-env bash")
	joined := strings.Join(after, "\n")
	if !strings.Contains(joined, "SECRET_000=s3cr3t-") {
		b.Fatal("kage hook-env did not load the secrets")
	}
	if !strings.Contains(joined, "KAGE_WATCH=w1 ") {
		b.Fatal("kage hook-env under kage-hook did not set KAGE_WATCH")
	}
	kage := command{dir: l.repo, env: after, check: isEmpty, prog: l.bins.hook, args: []string{l.bins.kage, "hook-env", "bash"}}
	compare(b, "hook-unchanged-vs-hello", goal{Max: 1.15}, kage,
		"static Go hello", command{dir: l.repo, env: after, check: isEmpty, prog: l.bins.hello})
	compare(b, "hook-unchanged-vs-kage", goal{}, kage,
		"kage hook-env alone", command{dir: l.repo, env: after, check: isEmpty, prog: l.bins.kage, args: []string{"hook-env", "bash"}})

	direnv, err := exec.LookPath("direnv")
	if err != nil {
		fmt.Println("# hook-unchanged-vs-direnv: skipped, direnv is not installed (sudo apt-get install direnv)")
		return
	}
	root := b.TempDir()
	home := filepath.Join(root, "home")
	dir := filepath.Join(root, "project")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".envrc"), []byte("export BENCH_VALUE=loaded\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !isolated(kv) {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
	)
	d := &layout{repo: dir, env: env}
	d.run(b, "", direnv, "allow", dir)
	dafter := settled(b, dir, env, direnv+" export bash")
	if !strings.Contains(strings.Join(dafter, "\n"), "BENCH_VALUE=loaded") {
		b.Fatalf("direnv did not load .envrc: %q", dafter)
	}
	compare(b, "hook-unchanged-vs-direnv", goal{Max: 0.6}, kage,
		"direnv export bash", command{dir: dir, env: dafter, check: isEmpty, prog: direnv, args: []string{"export", "bash"}})
}
