//go:build unix

package hookstamp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// watch encodes paths as kage hook-env would, in dir, with env.
func watch(t *testing.T, dir string, env map[string]string, paths ...string) string {
	t.Helper()
	w, ok := Take(paths).Encode(dir, func(k string) string { return env[k] })
	if !ok {
		t.Fatalf("%q cannot be watched", paths)
	}
	return w
}

func unchanged(w, dir string, env map[string]string) bool {
	return Unchanged(w, dir, func(k string) string { return env[k] })
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUnchangedSeesEachChange changes, one at a time, each thing the sum
// covers, and checks that the list then reads as changed, and that it
// reads as unchanged while nothing is touched.
func TestUnchangedSeesEachChange(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "con:fig%.toml") // ':' and '%' must survive the escaping
	odd := filepath.Join(dir, "é\x01dir")
	link := filepath.Join(dir, "link")
	missing := filepath.Join(dir, "missing")
	head := filepath.Join(dir, "HEAD")
	write(t, file, "a")
	write(t, head, "ref: refs/heads/main\n")
	if err := os.Mkdir(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KAGE_STATE": "s1", "HOME": dir}
	paths := []string{file, odd, link, missing, KindOnly + head}
	w := watch(t, dir, env, paths...)
	if !strings.HasPrefix(w, version) || strings.ContainsAny(w[len(version):], " \x01é") {
		t.Fatalf("the list is not one word of printable ASCII: %q", w)
	}
	if !unchanged(w, dir, env) {
		t.Fatal("nothing changed, yet the list reads as changed")
	}

	changes := []struct {
		what   string
		change func()
		undo   func()
	}{
		{"the working directory", func() {}, nil},
		{"KAGE_STATE", func() { env["KAGE_STATE"] = "s2" }, func() { env["KAGE_STATE"] = "s1" }},
		{"HOME", func() { env["HOME"] = "/" }, func() { env["HOME"] = dir }},
		{"KAGE_NAMESPACE set", func() { env["KAGE_NAMESPACE"] = "x" }, func() { delete(env, "KAGE_NAMESPACE") }},
		{"the file's content", func() { write(t, file, "bb") }, nil},
		{"a missing path created", func() { write(t, missing, "") }, func() { os.Remove(missing) }},
		{"the folder's mode", func() { os.Chmod(odd, 0o755) }, func() { os.Chmod(odd, 0o700) }},
		{"the link retargeted", func() {
			os.Remove(link)
			os.Symlink(head, link)
		}, func() {
			os.Remove(link)
			os.Symlink(file, link)
		}},
		{"HEAD made a folder", func() {
			os.Remove(head)
			os.Mkdir(head, 0o700)
		}, func() {
			os.Remove(head)
			write(t, head, "ref: refs/heads/main\n")
		}},
	}
	for _, c := range changes {
		w := watch(t, dir, env, paths...)
		c.change()
		wd := dir
		if c.what == "the working directory" {
			wd = odd
		}
		if unchanged(w, wd, env) {
			t.Errorf("%s changed, yet the list reads as unchanged", c.what)
		}
		if c.undo != nil {
			c.undo()
		}
	}

	// What the list leaves out on purpose: HEAD's content (a checkout;
	// kage reads only that HEAD is a file) and a folder's times (an entry
	// added inside it).
	w = watch(t, dir, env, paths...)
	write(t, head, "ref: refs/heads/other-branch\n")
	write(t, filepath.Join(odd, "new"), "")
	if !unchanged(w, dir, env) {
		t.Error("only HEAD's content and a folder's entries changed, yet the list reads as changed")
	}
}

// TestUnchangedRefusesWhatItCannotRead: a list it cannot parse, or one
// written by another version, always reads as changed, so that kage
// checks in full.
func TestUnchangedRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "f"), "a")
	w := watch(t, dir, nil, filepath.Join(dir, "f"))
	for _, bad := range []string{"", version, "w2" + w[2:], w[:len(version)+15], w + ":", w + ":%4", w + ":%zz", w + ":%4a",
		strings.Replace(w, ":", "", 1), strings.Replace(w, ":", "::", 1), w[:len(version)] + strings.ToUpper(w[len(version):])} {
		if unchanged(bad, dir, nil) {
			t.Errorf("Unchanged(%q) is true", bad)
		}
	}
	if _, ok := Take([]string{"relative/path"}).Encode(dir, func(string) string { return "" }); ok {
		t.Error("a relative path can be watched")
	}
	if _, ok := Take([]string{KindOnly}).Encode(dir, func(string) string { return "" }); ok {
		t.Error("an empty path can be watched")
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, p := range []string{"/a", "/a:b", "/%41", "/\x00\xff\x7f ~", "/日本"} {
		e := string(appendEscaped(nil, p))
		if strings.ContainsAny(e, ":") {
			t.Errorf("%q escaped to %q, which holds the separator", p, e)
		}
		if got, ok := unescape(e); !ok || got != p {
			t.Errorf("unescape(%q) = %q, %v; want %q", e, got, ok, p)
		}
	}
}
