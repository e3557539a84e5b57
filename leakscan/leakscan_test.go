package leakscan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

const value = "s3cr3t-'v@l\"ue$/+?&é"

func scanner(t *testing.T) *Scanner {
	t.Helper()
	s, short := New([]Secret{{Name: "API_KEY", Scope: "global", Value: []byte(value)}, {Name: "PIN", Scope: "global", Value: []byte("1234")}})
	if len(short) != 1 || short[0] != "PIN" {
		t.Fatalf("short = %q, want PIN", short)
	}
	return s
}

func find(t *testing.T, s *Scanner, text []byte) []Finding {
	t.Helper()
	got, err := s.Reader(bytes.NewReader(text), "f", false)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestEveryEncodingIsFound: the value inside longer texts in each
// spelling a file may hold it in, base64 at each alignment included.
func TestEveryEncodingIsFound(t *testing.T) {
	s := scanner(t)
	q, _ := json.Marshal(value)
	var texts = map[string]string{
		"raw":          "x" + value + "y",
		"percent":      "https://h/?k=" + url.QueryEscape(value) + "&z=1",
		"percent path": "/p/" + url.PathEscape(value) + "/q",
		"json":         `{"cmd":` + string(q) + `}`,
		"shell single": `export K='` + strings.ReplaceAll(value, `'`, `'\''`) + `'`,
		"shell double": `export K="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace(value) + `"`,
		"shell %q":     `K=` + backslashed.Replace(value) + ` cmd`,
	}
	for a := range 3 {
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			for after := range 3 {
				pre, post := strings.Repeat("p", a), strings.Repeat("q", after)
				texts[fmt.Sprintf("base64 %d/%d %p", a, after, e)] = "Authorization: Basic " + e.EncodeToString([]byte(pre+value+post)) + "\n"
			}
		}
	}
	for name, text := range texts {
		got := find(t, s, []byte(text))
		if len(got) != 1 || got[0].Name != "API_KEY" || got[0].Scope != "global" || got[0].Line != 1 {
			t.Errorf("%s: %q gave %+v", name, text, got)
		}
	}
	if got := find(t, s, []byte("nothing here, 1234 is too short to look for")); len(got) != 0 {
		t.Errorf("found %+v in a clean text", got)
	}
}

// TestLinesAndPieces: line numbers count from 1, one finding per line
// and secret, and a value across the reader's pieces is found whatever
// the size of the reads.
func TestLinesAndPieces(t *testing.T) {
	s := scanner(t)
	var b bytes.Buffer
	b.WriteString("one\ntwo " + value + " and again " + value + "\n")
	b.Write(bytes.Repeat([]byte("filler line\n"), chunk/12))
	b.WriteString(strings.Repeat("z", chunk-b.Len()%chunk-5) + value + "\nlast\n")
	want := 2 + chunk/12 + 1
	for _, r := range []struct {
		name string
		r    func([]byte) *bytes.Reader
	}{{"whole", bytes.NewReader}} {
		got, err := s.Reader(r.r(b.Bytes()), "f", false)
		if err != nil || len(got) != 2 || got[0].Line != 2 || got[1].Line != want {
			t.Fatalf("%s: %+v, %v; want lines 2 and %d", r.name, got, err, want)
		}
	}
	got, err := s.Reader(iotest.HalfReader(bytes.NewReader(b.Bytes())), "f", false)
	if err != nil || len(got) != 2 || got[1].Line != want {
		t.Fatalf("half reads: %+v, %v", got, err)
	}
}

func TestBinary(t *testing.T) {
	s := scanner(t)
	text := []byte("\x00\x01ELF " + value)
	if _, err := s.Reader(bytes.NewReader(text), "f", false); err != ErrBinary {
		t.Fatalf("binary: %v, want ErrBinary", err)
	}
	if got, err := s.Reader(bytes.NewReader(text), "f", true); err != nil || len(got) != 1 {
		t.Fatalf("binary asked for: %+v, %v", got, err)
	}
}

// TestWalk: a tree with a leak in a file, one in a .git folder (left to
// Git), one behind a link (not followed), a FIFO (skipped, never
// opened), a file over the bound and a binary file.
func TestWalk(t *testing.T) {
	s := scanner(t)
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("src/app.go", "package app\n\nconst key = \""+value+"\"\n")
	write("clean.txt", "nothing\n")
	write(".git/config", value)
	write("big.log", strings.Repeat("x", 100)+value)
	write("img.bin", "\x00"+value)
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte(value), 0o600)
	if runtime.GOOS != "windows" {
		os.Symlink(outside, filepath.Join(dir, "link"))
		if err := mkfifo(filepath.Join(dir, "pipe")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Walk(context.Background(), []string{dir}, Options{MaxSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != filepath.Join(dir, "src", "app.go") || res.Findings[0].Line != 3 {
		t.Fatalf("findings %+v", res.Findings)
	}
	reasons := map[string]string{}
	for _, sk := range res.Skipped {
		reasons[filepath.Base(sk.Path)] = sk.Reason
	}
	want := map[string]string{"big.log": SkipTooLarge, "img.bin": SkipBinary}
	if runtime.GOOS != "windows" {
		want["pipe"] = SkipNotRegular
	}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("skipped %v, want %v", reasons, want)
	}
	// A root given by name is read, even a link.
	res, err = s.Walk(context.Background(), []string{filepath.Join(dir, "big.log"), outside}, Options{})
	if err != nil || len(res.Findings) != 2 {
		t.Fatalf("named files: %+v, %v", res.Findings, err)
	}
}

// TestGit: a value committed and then deleted is found in the history,
// by blob and path, and in a commit message.
func TestGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed (install git)")
	}
	s := scanner(t)
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(dir, "config.env"), []byte("A=1\nKEY="+value+"\n"), 0o600)
	git("add", ".")
	git("commit", "-qm", "add config")
	os.WriteFile(filepath.Join(dir, "config.env"), []byte("A=1\n"), 0o600)
	git("commit", "-qam", "remove the key, which was "+value)
	res, err := s.Git(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Findings {
		if f.Blob == "" {
			t.Errorf("finding without its object: %+v", f)
		}
		paths = append(paths, fmt.Sprintf("%s:%d", f.Path, f.Line))
	}
	if got := strings.Join(paths, " "); got != ":6 config.env:2" {
		t.Fatalf("findings %s (%+v), want the commit message and the old blob", got, res.Findings)
	}
	if _, err := s.Git(context.Background(), t.TempDir(), Options{}); err == nil {
		t.Fatal("Git of a folder that is no repository succeeded")
	}
}
