//go:build linux

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/internal/testkeyring"
)

// The leak scans: while kage runs, no command line holds a secret; after
// it ran, no file in its folders, HOME or TMPDIR holds one; no stderr
// (and no stdout that should carry no value) holds one, on every error
// path; a terminal shows none. Each test stores canary values — random,
// so nothing else can hold them — and looks for them raw, hex- and
// base64-encoded. Each checker is itself tested on a planted leak
// (TestLeakCheckersCatchPlantedLeaks, and the probes inside the tests),
// so a scan that sees nothing has shown it could have seen something.

// leakNeedle is one form in which a canary would show: what names it in a
// failure.
type leakNeedle struct {
	what string
	b    []byte
}

// leakHex is n random bytes, hex-encoded.
func leakHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// leakNeedlesFor returns the forms of each core that count as a leak: the
// bytes themselves, hex in both cases, and base64 (standard and URL
// alphabets) at each of the three alignments a core can have inside a
// longer encoded value, keeping only the characters that depend on the
// core alone.
func leakNeedlesFor(cores ...string) []leakNeedle {
	var ns []leakNeedle
	for _, c := range cores {
		ns = append(ns,
			leakNeedle{fmt.Sprintf("%q", c), []byte(c)},
			leakNeedle{"hex of " + c, []byte(hex.EncodeToString([]byte(c)))},
			leakNeedle{"HEX of " + c, []byte(strings.ToUpper(hex.EncodeToString([]byte(c))))},
		)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			for k := range 3 {
				src := append(make([]byte, k), c...)
				s := enc.EncodeToString(src)
				start, end := 0, 4*(len(src)/3)
				if k > 0 {
					start = 4 // the first group mixes in the bytes before
				}
				if end-start >= 12 {
					ns = append(ns, leakNeedle{fmt.Sprintf("base64 of %s (offset %d)", c, k), []byte(s[start:end])})
				}
			}
		}
	}
	return ns
}

// findLeak returns what of ns data holds, or "".
func findLeak(data []byte, ns []leakNeedle) string {
	for _, n := range ns {
		if bytes.Contains(data, n.b) {
			return n.what
		}
	}
	return ""
}

// leakCanaries are a test's secret values. plain is letters, digits and '-';
// meta holds every shell metacharacter, a quote of each kind, a tab and a
// newline around its core, so that quoting or escaping it still leaves the
// core to find.
type leakCanaries struct {
	plain, meta string
	needles     []leakNeedle
}

func newLeakCanaries(t testing.TB) leakCanaries {
	plain := "LEAKCANARY-" + leakHex(t, 8)
	metaCore := "LEAKMETA-" + leakHex(t, 8)
	// Harmless if a quoting bug ever ran it.
	meta := "it's \"" + metaCore + "\" $(echo run) `id` ${HOME} ; & | < > * ? [x] ~ # ! \\ %s\t\nline two"
	// The prefixes alone too: a value cut short in a message is a leak.
	return leakCanaries{plain: plain, meta: meta, needles: leakNeedlesFor(plain, metaCore, "LEAKCANARY-", "LEAKMETA-")}
}

// leakArgvScanner reads /proc/*/cmdline of every process as fast as it can,
// recording each command line that holds a needle.
type leakArgvScanner struct {
	needles []leakNeedle
	stop    chan struct{}
	done    chan struct{}

	mu    sync.Mutex
	hits  map[string]string // "pid: what" → command line
	scans int
}

func startLeakArgvScanner(ns []leakNeedle) *leakArgvScanner {
	s := &leakArgvScanner{needles: ns, stop: make(chan struct{}), done: make(chan struct{}), hits: map[string]string{}}
	go func() {
		defer close(s.done)
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			s.scanOnce()
		}
	}()
	return s
}

func (s *leakArgvScanner) scanOnce() {
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		argv, err := os.ReadFile("/proc/" + n + "/cmdline")
		if err != nil || len(argv) == 0 {
			continue
		}
		if what := findLeak(argv, s.needles); what != "" {
			s.mu.Lock()
			s.hits["pid "+n+": "+what] = strings.ReplaceAll(string(argv), "\x00", " ")
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	s.scans++
	s.mu.Unlock()
}

// Stop ends the scan and returns its hits, as "pid N: what: argv" lines,
// and the number of complete scans.
func (s *leakArgvScanner) Stop() ([]string, int) {
	close(s.stop)
	<-s.done
	var out []string
	for k, v := range s.hits {
		out = append(out, fmt.Sprintf("%s: %q", k, v))
	}
	sort.Strings(out)
	return out, s.scans
}

// seenArg reports whether a command line holding arg was seen so far.
func (s *leakArgvScanner) seenArg(arg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, argv := range s.hits {
		if strings.Contains(argv, arg) {
			return true
		}
	}
	return false
}

// leakScanFiles walks roots and returns one line for each file whose name or
// bytes hold a needle. Symbolic links are not followed.
func leakScanFiles(t testing.TB, ns []leakNeedle, roots ...string) (hits []string, files int) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == root {
					return nil
				}
				return err
			}
			if what := findLeak([]byte(d.Name()), ns); what != "" {
				hits = append(hits, fmt.Sprintf("the name of %s holds %s", p, what))
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			if what := findLeak(data, ns); what != "" {
				hits = append(hits, fmt.Sprintf("%s holds %s", p, what))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("scanning %s: %v", root, err)
		}
	}
	return hits, files
}

// leakBox is one kage installation: its own HOME, TMPDIR, XDG folders and
// (optionally) KAGE_HOME, plus a folder outside all of them for the
// test's own files that hold canaries (--from-file inputs, .env files).
type leakBox struct {
	t   *testing.T
	bus *testkeyring.Bus
	c   leakCanaries

	home, tmp, xdgData, xdgConfig, xdgState, xdgCache, kageHome, inputs string
	// data and config are the folders kage uses in this box.
	data, config string
	env          []string // extra environment for every command
	// streams: check stdout and stderr of every command for the canaries.
	streams bool
	// why says what is broken, for failure messages.
	why string
	// runs counts the commands run.
	runs int
}

// newLeakBox makes a box; kageHome says whether KAGE_HOME is set (else
// kage uses the XDG folders).
func newLeakBox(t *testing.T, bus *testkeyring.Bus, c leakCanaries, kageHome bool) *leakBox {
	t.Helper()
	root := t.TempDir()
	b := &leakBox{t: t, bus: bus, c: c}
	for p, name := range map[*string]string{&b.home: "home", &b.tmp: "tmp", &b.xdgData: "xdg-data", &b.xdgConfig: "xdg-config",
		&b.xdgState: "xdg-state", &b.xdgCache: "xdg-cache", &b.inputs: "inputs"} {
		*p = filepath.Join(root, name)
		if err := os.Mkdir(*p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	b.data, b.config = filepath.Join(b.xdgData, "kage"), filepath.Join(b.xdgConfig, "kage")
	if kageHome {
		b.kageHome = filepath.Join(root, "kage-home")
		b.data, b.config = b.kageHome, b.kageHome
	}
	return b
}

// roots are the folders the file scan walks.
func (b *leakBox) roots() []string {
	r := []string{b.home, b.tmp, b.xdgData, b.xdgConfig, b.xdgState, b.xdgCache}
	if b.kageHome != "" {
		r = append(r, b.kageHome)
	}
	return r
}

// input writes a file the test needs, outside every scanned folder.
func (b *leakBox) input(name string, data []byte) string {
	b.t.Helper()
	p := filepath.Join(b.inputs, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// command is kage (or, with argv, another program) in the box.
func (b *leakBox) command(stdin []byte, env []string, args ...string) *exec.Cmd {
	cmd := kageCmd(b.t, b.bus, b.home, string(stdin), args...)
	cmd.Env = append(cmd.Env, "KAGE_HOME="+b.kageHome, "TMPDIR="+b.tmp,
		"XDG_DATA_HOME="+b.xdgData, "XDG_CONFIG_HOME="+b.xdgConfig, "XDG_STATE_HOME="+b.xdgState, "XDG_CACHE_HOME="+b.xdgCache,
		"NO_COLOR=1", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Env = append(append(cmd.Env, b.env...), env...)
	return cmd
}

// leakRun is one command of a workload.
type leakRun struct {
	args  []string
	stdin []byte
	env   []string
	// fail: the command must fail (an error path); else it must succeed,
	// unless either.
	fail, either bool
	// wantOut must be in stdout, to show the command did its work.
	wantOut string
	// prints: stdout carries values by design (env, get, hook-env).
	prints bool
	// dir runs the command there instead of HOME.
	dir string
	// program runs this instead of kage, with args.
	program string
}

// run runs r and checks its exit status and, if b.streams, its output.
func (b *leakBox) run(r leakRun) (stdout, stderr []byte) {
	t := b.t
	t.Helper()
	cmd := b.command(r.stdin, r.env, r.args...)
	label := "kage " + strings.Join(r.args, " ")
	if r.program != "" {
		path, err := exec.LookPath(r.program)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Path, cmd.Args = path, append([]string{r.program}, r.args...)
		label = strings.Join(cmd.Args, " ")
	}
	if r.dir != "" {
		cmd.Dir = r.dir
	}
	if b.why != "" {
		label = "(" + b.why + ") " + label
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	b.runs++
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%s: %v", label, err)
	}
	switch {
	case r.either:
	case r.fail && err == nil:
		t.Errorf("%s succeeded; the error path was not taken\nstderr: %s", label, errb.Bytes())
	case !r.fail && err != nil:
		t.Errorf("%s: %v\nstderr: %s", label, err, errb.Bytes())
	}
	if !bytes.Contains(out.Bytes(), []byte(r.wantOut)) {
		t.Errorf("%s: stdout does not hold %q:\n%s\nstderr: %s", label, r.wantOut, out.Bytes(), errb.Bytes())
	}
	if b.streams {
		for _, l := range streamLeaks(out.Bytes(), errb.Bytes(), r.prints, b.c.needles) {
			t.Errorf("LEAK in %s: %s", label, l)
		}
	}
	return out.Bytes(), errb.Bytes()
}

// streamLeaks says which of stderr and (unless it carries values by
// design) stdout holds a needle.
func streamLeaks(stdout, stderr []byte, prints bool, ns []leakNeedle) []string {
	var leaks []string
	if what := findLeak(stderr, ns); what != "" {
		leaks = append(leaks, fmt.Sprintf("stderr holds %s:\n%s", what, stderr))
	}
	if what := findLeak(stdout, ns); what != "" && !prints {
		leaks = append(leaks, fmt.Sprintf("stdout holds %s:\n%s", what, stdout))
	}
	return leaks
}

func (b *leakBox) runAll(rs []leakRun) {
	b.t.Helper()
	for _, r := range rs {
		b.run(r)
	}
}

func leakArgs(s ...string) []string { return s }

// seed stores what the workloads read: a git repository with a secret of
// its own, secrets in global and a namespace, a subscription bound to
// global, and an import.
func (b *leakBox) seed() {
	t := b.t
	t.Helper()
	api := filepath.Join(b.home, "api")
	if out, err := exec.Command("git", "init", "-q", api).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	c := b.c
	b.input("meta.txt", []byte(c.meta))
	b.input("repo.txt", []byte(c.plain+"-repo"))
	b.runAll([]leakRun{
		{args: leakArgs("secret", "set", "PLAIN"), stdin: []byte(c.plain + "\n")},
		{args: leakArgs("secret", "set", "META", "--from-file", filepath.Join(b.inputs, "meta.txt"))},
		{args: leakArgs("secret", "set", "REPO_TOKEN", "--scope", "repo:"+api), stdin: []byte(c.plain + "-repo")},
		{args: leakArgs("secret", "set", "NS_TOKEN", "--scope", "namespace:backend"), stdin: []byte(c.plain + "-ns")},
		{args: leakArgs("subscription", "add", "--name", "work"), stdin: []byte(c.plain + "-sub\n")},
		{args: leakArgs("subscription", "use", "work", "--scope", "global")},
		{args: leakArgs("secret", "import", b.input("good.env", goodDotenv(c)), "--scope", "namespace:imported")},
	})
}

// goodDotenv is a valid .env file whose values are the canaries.
func goodDotenv(c leakCanaries) []byte {
	dq := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`", "\n", `\n`, "\t", `\t`).Replace(c.meta)
	return []byte("# values that must stay secret\n" +
		"IMP_PLAIN=" + c.plain + "\n" +
		"export IMP_QUOTED='" + c.plain + " in quotes'\n" +
		"IMP_META=\"" + dq + "\"\n")
}

// badDotenvs are .env files that hold the canaries in valid and invalid
// lines, one mistake of each kind next to them, each file short enough
// for kage to report every line (it shows twenty).
func badDotenvs(c leakCanaries) map[string][]byte {
	p := c.plain
	return map[string][]byte{
		"bad-syntax.env": []byte("OK_ONE=" + p + "\n" +
			p + "\n" + // a stray value line
			"BAD-NAME=" + p + "\n" +
			"1BAD=" + p + "\n" +
			"+" + p + "/x=1\n" +
			"SPACED = " + p + "\n" +
			"AFTER= " + p + "\n" +
			"UNQ=" + p + "\"quote\n" +
			"BACK=" + p + "\\x\n" +
			"DOLLAR=" + p + "$x\n" +
			"TICK=\"" + p + "`id`\"\n" +
			"DQ=\"" + p + "${x}\"\n" +
			"ESC=\"" + p + "\\q\"\n" +
			"HEX=\"" + p + "\\xZZ\"\n" +
			"AFTERQ=\"" + p + "\"tail\n" +
			"OPEN=\"" + p + "\n" +
			"LAST=" + p + "\n"),
		"bad-values.env": []byte("OK_ONE=" + p + "\n" +
			"LD_PRELOAD=" + p + "\n" +
			"NUL=" + p + "\x00" + p + "\n" +
			"CTRL=" + p + "\x01\n" +
			"OK_ONE=" + p + "\n" +
			"META=it's " + c.meta[:20] + "\n" +
			strings.Repeat("N", 129) + "=" + p + "\n" +
			"LAST=" + p + "\n"),
		// A long value wrapped by an editor: its second half, base64
		// padding included, lands where a name goes.
		"bad-wrapped.env": []byte("OK_ONE=first-half-of-a-long-value\n" +
			p + "==\n" +
			"LAST=" + p + "\n"),
	}
}

// successWorkload is what a user runs every day: set (stdin, file,
// rotation), get, env in several shells, exec, the subscription commands,
// the prompt hook in a real bash, and the read-only commands.
func (b *leakBox) successWorkload() {
	b.t.Helper()
	c := b.c
	api := filepath.Join(b.home, "api")
	metaFile := filepath.Join(b.inputs, "meta.txt")
	hook := "PS1='$ '\n" +
		`eval "$(kage hook bash)"` + "\n" +
		"cd api\n" +
		// [ is a builtin: the values never reach a command line.
		`[ "$REPO_TOKEN" = "$(cat ` + filepath.Join(b.inputs, "repo.txt") + `)" ] && echo hook-loaded-repo` + "\n" +
		"cd ..\n" +
		`[ -z "$REPO_TOKEN" ] && [ -n "$PLAIN" ] && echo hook-unloaded-repo` + "\n" +
		"cd api\n" +
		"true\n" +
		"exit\n"
	b.runAll([]leakRun{
		{args: leakArgs("secret", "set", "ROTATED"), stdin: []byte(c.plain + "-rot\n")},
		{args: leakArgs("secret", "set", "ROTATED"), stdin: []byte(c.plain + "-rot2")},
		{args: leakArgs("secret", "set", "FROM_FILE", "--from-file", metaFile)},
		{args: leakArgs("secret", "set", "FROM_FILE_NS", "--from-file", metaFile, "--scope", "namespace:backend")},
		// The values do go through: stdout holds them.
		{args: leakArgs("secret", "get", "PLAIN"), prints: true, wantOut: c.plain},
		{args: leakArgs("secret", "get", "META", "--scope", "global"), prints: true, wantOut: c.meta},
		{args: leakArgs("secret", "get", "REPO_TOKEN"), dir: api, prints: true, wantOut: c.plain + "-repo"},
		{args: leakArgs("env", "--shell", "bash"), prints: true, wantOut: c.plain},
		{args: leakArgs("env", "--shell", "fish"), prints: true, wantOut: c.plain},
		{args: leakArgs("env", "--shell", "json"), prints: true, wantOut: c.plain},
		{args: leakArgs("env", "--shell", "bash", "--explain"), dir: api, prints: true, wantOut: c.plain + "-repo"},
		{args: leakArgs("env", "--shell", "dotenv", "--namespace", "imported"), prints: true, wantOut: c.plain + " in quotes"},
		{args: leakArgs("env", "--shell", "bash", "--subscription", "work"), prints: true, wantOut: c.plain + "-sub"},
		{args: leakArgs("exec", "--", "sleep", "0.05")},
		{args: leakArgs("exec", "--subscription", "work", "--", "sh", "-c", `sleep 0.05; [ -n "$ANTHROPIC_API_KEY" ]`)},
		{args: leakArgs("exec", "--", "sh", "-c", `[ -n "$REPO_TOKEN" ] && sleep 0.05`), dir: api},
		{args: leakArgs("subscription", "add", "--name", "work", "--overwrite"), stdin: []byte(c.plain + "-sub\n")},
		{args: leakArgs("subscription", "add", "--name", "other", "--env", "OTHER_KEY", "--overwrite", "--from-file", metaFile)},
		{args: leakArgs("subscription", "list")},
		{args: leakArgs("hook", "bash")},
		{args: leakArgs("hook-env", "bash"), prints: true, wantOut: c.plain},
		{args: leakArgs("hook-env", "bash"), dir: api, prints: true, wantOut: c.plain + "-repo"},
		{args: leakArgs("hook-env", "fish"), dir: api, prints: true, wantOut: c.plain + "-repo"},
		{program: "bash", args: leakArgs("--norc", "--noprofile", "-i"), stdin: []byte(hook), wantOut: "hook-loaded-repo\nhook-unloaded-repo\n"},
		{args: leakArgs("secret", "list")},
		{args: leakArgs("secret", "list", "--json")},
		{args: leakArgs("status"), dir: api},
		{args: leakArgs("doctor")},
		{args: leakArgs("secret", "import", filepath.Join(b.inputs, "good.env"), "--scope", "namespace:imported", "--overwrite")},
		{args: leakArgs("secret", "import", filepath.Join(b.inputs, "good.env"), "--scope", "namespace:imported", "--dry-run", "--overwrite")},
		{args: leakArgs("secret", "delete", "ROTATED")},
	})
}

// errorWorkload provokes every error path that a value can reach, with
// the keychain working: bad names, scopes and values (empty, NUL, over
// 1 MiB), refused names, a bad .env, subscription mistakes, shells that
// cannot hold a value, a broken config.toml and a corrupt index.
func (b *leakBox) errorWorkload() {
	t := b.t
	t.Helper()
	c := b.c
	v := []byte(c.plain + "\n")
	big := bytes.Repeat([]byte(c.plain+"|"), (1<<20)/len(c.plain)+10)
	bigFile := b.input("big.txt", big)
	nul := []byte(c.plain + "\x00" + c.plain)
	nulFile := b.input("nul.txt", nul)
	var badEnvs []string
	for name, data := range badDotenvs(c) {
		badEnvs = append(badEnvs, b.input(name, data))
	}
	sort.Strings(badEnvs)
	bigEnv := b.input("big.env", append([]byte("BIG=\""), append(big, "\"\n"...)...))
	goodEnv := filepath.Join(b.inputs, "good.env")
	b.runAll([]leakRun{
		// secret set: names, scopes, values.
		{args: leakArgs("secret", "set", "bad-name"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", ""), stdin: v, fail: true},
		{args: leakArgs("secret", "set"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "A", "B"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "LD_PRELOAD"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "PATH"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "KAGE_STATE"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "X", "--scope", "bogus"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "X", "--scope", "namespace:Bad Name!"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "X", "--scope", "subscription:work"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "X", "--scope", "repo"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "EMPTY"), stdin: []byte("\n"), fail: true},
		{args: leakArgs("secret", "set", "EMPTY"), fail: true},
		{args: leakArgs("secret", "set", "NUL"), stdin: nul, fail: true},
		{args: leakArgs("secret", "set", "NUL", "--from-file", nulFile), fail: true},
		{args: leakArgs("secret", "set", "BIG"), stdin: big, fail: true},
		{args: leakArgs("secret", "set", "BIG", "--from-file", bigFile), fail: true},
		{args: leakArgs("secret", "set", "NOFILE", "--from-file", filepath.Join(b.inputs, "missing")), fail: true},
		{args: leakArgs("secret", "set", "DIRFILE", "--from-file", b.inputs), fail: true},
		// secret get and delete.
		{args: leakArgs("secret", "get", "MISSING"), fail: true},
		{args: leakArgs("secret", "get", "MISSING", "--scope", "namespace:backend"), fail: true},
		{args: leakArgs("secret", "get", "bad-name"), fail: true},
		{args: leakArgs("secret", "get", "PLAIN", "--scope", "bogus"), fail: true},
		{args: leakArgs("secret", "delete", "MISSING"), fail: true},
		{args: leakArgs("secret", "delete", "NS_TOKEN"), fail: true}, // exists elsewhere
		// secret import.
		{args: leakArgs("secret", "import", bigEnv), fail: true},
		{args: leakArgs("secret", "import", goodEnv, "--scope", "namespace:imported"), fail: true}, // exist
		{args: leakArgs("secret", "import", goodEnv, "--scope", "bogus"), fail: true},
		{args: leakArgs("secret", "import", b.inputs), fail: true},
	})
	for _, f := range badEnvs {
		b.runAll([]leakRun{
			{args: leakArgs("secret", "import", f), fail: true},
			{args: leakArgs("secret", "import", f, "--dry-run"), fail: true},
			{args: leakArgs("secret", "import", f, "--force", "--overwrite", "--scope", "namespace:imported"), fail: true},
		})
	}
	b.runAll([]leakRun{
		// subscription add.
		{args: leakArgs("subscription", "add", "--name", "work"), stdin: v, fail: true}, // exists
		{args: leakArgs("subscription", "add", "--name", "Bad Name!"), stdin: v, fail: true},
		{args: leakArgs("subscription", "add", "work"), stdin: v, fail: true},
		{args: leakArgs("subscription", "add"), stdin: v, fail: true},
		{args: leakArgs("subscription", "add", "--name", "new", "--env", "LD_PRELOAD"), stdin: v, fail: true},
		{args: leakArgs("subscription", "add", "--name", "new", "--env", "bad-var"), stdin: v, fail: true},
		{args: leakArgs("subscription", "add", "--name", "new"), stdin: []byte("\n"), fail: true},
		{args: leakArgs("subscription", "add", "--name", "new"), stdin: nul, fail: true},
		{args: leakArgs("subscription", "add", "--name", "new"), stdin: big, fail: true},
		{args: leakArgs("subscription", "add", "--name", "new", "--from-file", bigFile), fail: true},
		{args: leakArgs("subscription", "use", "missing", "--scope", "global"), fail: true},
		{args: leakArgs("subscription", "remove", "work"), fail: true}, // bound
		// env, exec, hook.
		{args: leakArgs("env", "--shell", "bogus"), fail: true},
		{args: leakArgs("env", "--subscription", "missing", "--shell", "bash"), fail: true},
		{args: leakArgs("exec", "--", "no-such-program-kage"), fail: true},
		{args: leakArgs("exec"), fail: true},
		{args: leakArgs("hook-env", "bogus"), fail: true},
		{args: leakArgs("hook", "bogus"), fail: true},
		// Started with stdout or stderr closed, the first file kage opens
		// could take the descriptor and a value written to stdout land in
		// it (Go's runtime opens /dev/null there; the file scan checks).
		{program: "sh", args: leakArgs("-c", "kage secret get PLAIN >&-"), either: true},
		{program: "sh", args: leakArgs("-c", "kage env --shell bash >&-"), either: true},
		{program: "sh", args: leakArgs("-c", "kage exec -- sh -c 'printf %s \"$PLAIN\"' >&-"), either: true},
		{program: "sh", args: leakArgs("-c", "kage secret set CLOSED_OUT >&- 2>&-"), stdin: v, either: true},
		{program: "sh", args: leakArgs("-c", "kage secret set CLOSED_IN <&-"), either: true},
		{program: "sh", args: leakArgs("-c", "kage secret get PLAIN 2>&- >&-; kage secret get MISSING 2>&- >&-"), either: true},
	})

	// Values no shell can hold: invalid UTF-8 for pwsh, nu and json, and
	// two names pwsh cannot tell apart.
	b.runAll([]leakRun{
		{args: leakArgs("secret", "set", "BIN", "--scope", "namespace:bin"), stdin: append([]byte("\xff\xfe"), c.plain...)},
		{args: leakArgs("secret", "set", "Token", "--scope", "namespace:case"), stdin: v},
		{args: leakArgs("secret", "set", "TOKEN", "--scope", "namespace:case"), stdin: v},
	})
	for _, sh := range []string{"pwsh", "nu", "json"} {
		b.run(leakRun{args: leakArgs("env", "--shell", sh, "--namespace", "bin"), fail: true})
	}
	b.run(leakRun{args: leakArgs("env", "--shell", "pwsh", "--namespace", "case"), fail: true})
	// The hook cannot load it either: it says so and prints the unload
	// alone, which pwsh renders even with an empty KAGE_LOADED.
	b.run(leakRun{args: leakArgs("hook-env", "pwsh"), env: []string{"KAGE_NAMESPACE=bin"}, prints: true})
	b.runAll([]leakRun{
		{args: leakArgs("secret", "delete", "BIN", "--scope", "namespace:bin")},
		{args: leakArgs("secret", "delete", "Token", "--scope", "namespace:case")},
		{args: leakArgs("secret", "delete", "TOKEN", "--scope", "namespace:case")},
	})

	// A broken config.toml, then one naming an unknown backend.
	cfg := filepath.Join(b.config, "config.toml")
	for _, content := range []string{"[secrets\nbackend = \n", "[secrets]\nbackend = \"vault\"\n"} {
		if err := os.MkdirAll(b.config, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b.brokenStore("config.toml "+content, leakRun{args: leakArgs("secret", "list"), fail: true})
		if err := os.Remove(cfg); err != nil {
			t.Fatal(err)
		}
	}

	// A corrupt index.
	index := filepath.Join(b.data, "index.json")
	saved, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, []byte("{\"version\": 1, \"entries\": [ garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.brokenStore("corrupt index", leakRun{args: leakArgs("secret", "list"), fail: true})
	if err := os.WriteFile(index, saved, 0o600); err != nil {
		t.Fatal(err)
	}
}

// brokenStore runs the commands that read or write values while the store
// cannot be used; each must fail (the hook reports and unloads instead).
func (b *leakBox) brokenStore(why string, more ...leakRun) {
	b.t.Helper()
	c := b.c
	v := []byte(c.plain + "\n")
	api := filepath.Join(b.home, "api")
	b.why = why
	defer func() { b.why = "" }()
	b.runAll([]leakRun{
		{args: leakArgs("secret", "set", "PLAIN"), stdin: v, fail: true},
		{args: leakArgs("secret", "set", "NEW_ONE", "--from-file", filepath.Join(b.inputs, "meta.txt")), fail: true},
		{args: leakArgs("secret", "get", "PLAIN"), fail: true},
		{args: leakArgs("secret", "get", "REPO_TOKEN"), dir: api, fail: true},
		{args: leakArgs("env", "--shell", "bash"), fail: true},
		{args: leakArgs("env", "--shell", "fish"), dir: api, fail: true},
		{args: leakArgs("exec", "--", "true"), fail: true},
		{args: leakArgs("hook-env", "bash"), dir: api},
		{args: leakArgs("secret", "import", filepath.Join(b.inputs, "good.env"), "--scope", "namespace:imported", "--overwrite"), fail: true},
		{args: leakArgs("subscription", "add", "--name", "work", "--overwrite"), stdin: v, fail: true},
		{args: leakArgs("doctor"), either: true},
	})
	b.runAll(more)
}

// faultWorkload runs the commands that touch values against a Secret
// Service that is locked, absent, or gone. It replaces b.bus: run it last.
func (b *leakBox) faultWorkload() {
	t := b.t
	t.Helper()
	for _, f := range []struct {
		why   string
		start func(testing.TB) *testkeyring.Bus
	}{
		{"a locked collection", testkeyring.StartLocked},
		{"no Secret Service on the bus", testkeyring.StartBare},
		{"a stopped bus", func(tb testing.TB) *testkeyring.Bus { tb.Helper(); b.bus.Stop(); return b.bus }},
	} {
		b.bus = f.start(t)
		b.brokenStore(f.why)
	}
}

// leakFileBox is a second installation on the file backend (kage init
// --backend file), with no keychain anywhere.
func leakFileBox(t *testing.T, bus *testkeyring.Bus, c leakCanaries) *leakBox {
	t.Helper()
	b := newLeakBox(t, bus, c, true)
	b.env = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(b.inputs, "no-such-bus")}
	return b
}

// fileWorkload sets, reads and fails on the file backend.
func (b *leakBox) fileWorkload() {
	b.t.Helper()
	c := b.c
	v := []byte(c.plain + "\n")
	meta := b.input("meta.txt", []byte(c.meta))
	b.runAll([]leakRun{
		{args: leakArgs("init", "--backend", "file")},
		{args: leakArgs("secret", "set", "PLAIN"), stdin: v},
		{args: leakArgs("secret", "set", "META", "--from-file", meta)},
		{args: leakArgs("secret", "set", "PLAIN"), stdin: []byte(c.plain + "-rotated")},
		{args: leakArgs("secret", "import", b.input("good.env", goodDotenv(c)))},
		{args: leakArgs("subscription", "add", "--name", "work"), stdin: v},
		{args: leakArgs("secret", "get", "META"), prints: true, wantOut: c.meta},
		{args: leakArgs("env", "--shell", "bash"), prints: true, wantOut: c.plain + "-rotated"},
		{args: leakArgs("env", "--shell", "json"), prints: true, wantOut: c.plain + "-rotated"},
		{args: leakArgs("exec", "--", "sleep", "0.05")},
		{args: leakArgs("hook-env", "bash"), prints: true, wantOut: c.plain + "-rotated"},
		{args: leakArgs("secret", "list")},
		{args: leakArgs("doctor")},
		{args: leakArgs("secret", "set", "NUL"), stdin: []byte(c.plain + "\x00"), fail: true},
		{args: leakArgs("secret", "set", "BIG"), stdin: bytes.Repeat(v, (1<<20)/len(v)+2), fail: true},
		{args: leakArgs("secret", "set", "bad-name"), stdin: v, fail: true},
		{args: leakArgs("secret", "import", b.input("bad.env", badDotenvs(c)["bad-syntax.env"])), fail: true},
		{args: leakArgs("secret", "get", "MISSING"), fail: true},
	})
	// A program kage exec starts gets none of what opens the file: not the
	// identity, not a passphrase (here holding a canary).
	b.run(leakRun{args: leakArgs("exec", "--", "sh", "-c", `printf '%s|%s|%s' "${KAGE_AGE_IDENTITY-none}" "${KAGE_PASSPHRASE-none}" "${PLAIN:+plain}"`),
		env: []string{"KAGE_AGE_IDENTITY=" + b.identityKey(), "KAGE_PASSPHRASE=" + c.plain + "-passphrase"}, wantOut: "none|none|plain"})
	// A damaged secrets file: cut short, then one byte changed.
	age := filepath.Join(b.kageHome, secretsFileName)
	saved, err := os.ReadFile(age)
	if err != nil {
		b.t.Fatal(err)
	}
	flipped := bytes.Clone(saved)
	flipped[len(flipped)-20] ^= 1
	for _, damaged := range [][]byte{saved[:len(saved)*2/3], flipped} {
		if err := os.WriteFile(age, damaged, 0o600); err != nil {
			b.t.Fatal(err)
		}
		b.runAll([]leakRun{
			{args: leakArgs("env", "--shell", "bash"), fail: true},
			{args: leakArgs("secret", "get", "PLAIN"), fail: true},
			{args: leakArgs("secret", "set", "PLAIN"), stdin: v, fail: true},
			{args: leakArgs("doctor"), either: true},
		})
	}
	if err := os.WriteFile(age, saved, 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.runAll([]leakRun{
		// Another identity cannot open the file, and says so without a value.
		{args: leakArgs("env", "--shell", "bash"), env: []string{"KAGE_AGE_IDENTITY=" + b.otherIdentity()}, fail: true},
		{args: leakArgs("secret", "set", "PLAIN"), stdin: v, env: []string{"KAGE_AGE_IDENTITY=" + b.otherIdentity()}, fail: true},
	})
}

// identityKey is the AGE-SECRET-KEY-1… line of the box's identity file.
func (b *leakBox) identityKey() string {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(b.kageHome, identityFileName))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "AGE-SECRET-KEY-") {
			return l
		}
	}
	b.t.Fatalf("no key in %s", identityFileName)
	return ""
}

// otherIdentity makes an age identity that does not open the box's file.
func (b *leakBox) otherIdentity() string {
	b.t.Helper()
	p := filepath.Join(b.inputs, "other-identity.txt")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	cmd := b.command(nil, []string{"KAGE_HOME=" + filepath.Join(b.inputs, "other")}, "init", "--backend", "file")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("init another identity: %v: %s", err, out)
	}
	if err := os.Rename(filepath.Join(b.inputs, "other", identityFileName), p); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// TestLeakCheckersCatchPlantedLeaks shows that each checker of the leak
// tests sees a canary where one is: in a command line, in a file (raw,
// hex, base64 at every offset, in its name), and on stderr.
func TestLeakCheckersCatchPlantedLeaks(t *testing.T) {
	c := newLeakCanaries(t)
	t.Run("argv", func(t *testing.T) {
		s := startLeakArgvScanner(c.needles)
		// sh runs sleep as a child, so the canary stays its argument.
		if out, err := exec.Command("sh", "-c", "sleep 0.2; :", c.plain).CombinedOutput(); err != nil {
			t.Fatalf("sh: %v: %s", err, out)
		}
		hits, scans := s.Stop()
		if len(hits) == 0 {
			t.Fatalf("%d scans of /proc missed a canary in a command line", scans)
		}
	})
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "clean"), []byte("nothing to see"), 0o600); err != nil {
			t.Fatal(err)
		}
		if hits, _ := leakScanFiles(t, c.needles, dir); len(hits) > 0 {
			t.Fatalf("false positive: %v", hits)
		}
		planted := map[string][]byte{
			"raw":       []byte("x=" + c.plain + "\n"),
			"meta":      []byte(c.meta),
			"hex":       []byte(hex.EncodeToString([]byte("v:" + c.plain))),
			"HEX":       []byte(strings.ToUpper(hex.EncodeToString([]byte(c.meta)))),
			"truncated": []byte("value LEAKCANARY-0a1b…"),
		}
		for k := range 3 {
			v := append([]byte(strings.Repeat("p", k)), c.plain+"-and-more"...)
			planted[fmt.Sprint("base64 at ", k)] = []byte(base64.StdEncoding.EncodeToString(v))
			planted[fmt.Sprint("base64url at ", k)] = []byte(base64.RawURLEncoding.EncodeToString(append(v, c.meta...)))
		}
		sub := filepath.Join(dir, "a", "b")
		for what, data := range planted {
			if err := os.MkdirAll(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, "f"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			if hits, _ := leakScanFiles(t, c.needles, dir); len(hits) != 1 {
				t.Errorf("a file holding the canary %s: hits %v, want 1", what, hits)
			}
			if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "."+c.plain+".tmp"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if hits, _ := leakScanFiles(t, c.needles, dir); len(hits) != 1 {
			t.Errorf("a file named after the canary: hits %v, want 1", hits)
		}
	})
	t.Run("stderr", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "v.txt")
		if err := os.WriteFile(p, []byte(c.meta), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, script := range []string{
			`echo "kage: bad value $(cat "$1")" >&2`,
			`cat "$1" | base64 >&2`,
			`cat "$1" | od -An -tx1 | tr -d ' \n' >&2`,
		} {
			var errb bytes.Buffer
			cmd := exec.Command("sh", "-c", script, "sh", p)
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			if len(streamLeaks(nil, errb.Bytes(), false, c.needles)) != 1 {
				t.Errorf("the stderr check missed the canary in %q", errb.String())
			}
			if len(streamLeaks(errb.Bytes(), nil, false, c.needles)) != 1 || len(streamLeaks(errb.Bytes(), nil, true, c.needles)) != 0 {
				t.Errorf("the stdout check is wrong for %q", errb.String())
			}
		}
	})
}

// TestLeakArgv runs every command that handles a value — secret set from
// stdin and --from-file, env for bash, fish and json, exec, subscription
// add, the prompt hook in a real bash — over and over for a while, and
// scans every process's command line meanwhile. A probe (sh with the
// canary as an argument, alive for about as long as a kage command) shows
// the scan is fast enough to catch one.
func TestLeakArgv(t *testing.T) {
	bus := testkeyring.Start(t)
	c := newLeakCanaries(t)
	b := newLeakBox(t, bus, c, false)
	b.seed()
	probe := "LEAKPROBE-" + leakHex(t, 8)
	s := startLeakArgvScanner(append(append([]leakNeedle{}, c.needles...), leakNeedlesFor(probe)[:1]...))
	start := time.Now()
	rounds, caught := 0, 0
	for rounds < 2 || time.Since(start) < 1500*time.Millisecond {
		b.successWorkload()
		// The probe lives ~20 ms, as long as a quick kage command.
		p := fmt.Sprintf("%s-%d", probe, rounds)
		if err := exec.Command("sh", "-c", "sleep 0.02; :", p).Run(); err != nil {
			t.Fatal(err)
		}
		if s.seenArg(p) {
			caught++
		}
		rounds++
	}
	b.errorWorkload()
	fb := leakFileBox(t, bus, c)
	fb.fileWorkload()
	b.faultWorkload()
	hits, scans := s.Stop()
	t.Logf("%d rounds, %d commands, %d scans of /proc in %v; the probe was caught %d times out of %d",
		rounds, b.runs+fb.runs, scans, time.Since(start).Round(time.Millisecond), caught, rounds)
	var leaks []string
	for _, h := range hits {
		if !strings.Contains(h, probe) {
			leaks = append(leaks, h)
		}
	}
	if len(leaks) > 0 {
		t.Errorf("LEAK: a secret value was in a command line:\n%s", strings.Join(leaks, "\n"))
	}
	if caught == 0 {
		t.Fatalf("the scanner never saw the probe: %d scans were not enough to catch a short-lived process", scans)
	}
}

// TestLeakStderr runs every command, with every error path that can be
// provoked, and fails if stderr — or stdout, for the commands that print
// no value — holds a canary.
func TestLeakStderr(t *testing.T) {
	bus := testkeyring.Start(t)
	c := newLeakCanaries(t)
	b := newLeakBox(t, bus, c, false)
	b.streams = true
	b.seed()
	b.successWorkload()
	b.errorWorkload()
	fb := leakFileBox(t, bus, c)
	fb.streams = true
	fb.fileWorkload()
	b.faultWorkload()
	t.Logf("%d commands checked", b.runs+fb.runs)
}

// TestLeakFiles runs every command, error paths included, on the keychain
// (with the XDG folders) and on the file backend (with KAGE_HOME), then
// reads every file under HOME, TMPDIR, the XDG folders and KAGE_HOME: none
// may hold a canary, in clear or encoded — the age file included.
func TestLeakFiles(t *testing.T) {
	bus := testkeyring.Start(t)
	c := newLeakCanaries(t)
	b := newLeakBox(t, bus, c, false)
	b.seed()
	b.successWorkload()
	b.errorWorkload()
	fb := leakFileBox(t, bus, c)
	fb.fileWorkload()
	b.faultWorkload()
	if _, err := os.Stat(filepath.Join(fb.kageHome, secretsFileName)); err != nil {
		t.Fatalf("the file backend wrote no %s: %v", secretsFileName, err)
	}
	if _, err := os.Stat(filepath.Join(b.data, "index.json")); err != nil {
		t.Fatalf("kage wrote no index in the XDG data folder: %v", err)
	}
	hits, files := leakScanFiles(t, c.needles, append(b.roots(), fb.roots()...)...)
	t.Logf("%d files read", files)
	if len(hits) > 0 {
		t.Errorf("LEAK: secret values in files:\n%s", strings.Join(hits, "\n"))
	}
}

// TestLeakTerminal runs kage env, kage hook-env and kage secret get
// (without --reveal) in a real terminal and fails if the screen shows a
// canary; the same screen check must see the value that secret get
// --reveal prints.
func TestLeakTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
			t.Fatal("tmux is not installed")
		}
		t.Skip("tmux is not installed: skipping the terminal test")
	}
	bus := testkeyring.Start(t)
	c := newLeakCanaries(t)
	home := t.TempDir()
	for name, v := range map[string]string{"PLAIN": c.plain, "META": c.meta} {
		if out, err := kageCmd(t, bus, home, v, "secret", "set", name).CombinedOutput(); err != nil {
			t.Fatalf("set %s: %v: %s", name, err, out)
		}
	}
	screen := func(t *testing.T, script string) string {
		// In HOME, not in the repository the test runs in.
		term := newTerminal(t, bus, home, `cd "$HOME"; `+script+"; echo kage-''done; sleep 30")
		term.waitFor("kage-done")
		sc := term.tmux("capture-pane", "-p", "-J", "-S", "-")
		return sc
	}
	t.Run("hidden", func(t *testing.T) {
		sc := screen(t, "kage env; kage env --shell fish; kage env --explain; kage hook-env bash; kage secret get PLAIN; kage secret get META --scope global; echo get-exit=$?; kage secret list")
		if what := findLeak([]byte(sc), c.needles); what != "" {
			t.Fatalf("LEAK: the terminal shows %s:\n%s", what, sc)
		}
		if !strings.Contains(sc, "PLAIN=********") || !strings.Contains(sc, "get-exit=1") || !strings.Contains(sc, "kage hook-env is the prompt hook's worker") {
			t.Fatalf("the commands did not run as expected:\n%s", sc)
		}
		// What a terminal was refused, or shown masked, was handed out
		// to nobody: the access log has no line for it.
		if b, err := os.ReadFile(filepath.Join(home, ".kage", accesslog.FileName)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the access log after commands that handed nothing out: %q, %v", b, err)
		}
	})
	t.Run("revealed", func(t *testing.T) {
		// The check itself: a value printed on purpose must be seen.
		sc := screen(t, "kage secret get PLAIN --reveal")
		if findLeak([]byte(sc), c.needles) == "" {
			t.Fatalf("the screen check missed a revealed value:\n%s", sc)
		}
		// And the log check: a value shown on purpose is logged.
		if b, err := os.ReadFile(filepath.Join(home, ".kage", accesslog.FileName)); err != nil || !strings.Contains(string(b), `"command":"secret get","secrets":[{"name":"PLAIN"`) {
			t.Fatalf("the access log after secret get --reveal: %q, %v", b, err)
		}
	})
}
