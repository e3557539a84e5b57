package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/internal/hostile"
	"github.com/kage-cli/kage/internal/testkeyring"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/shellenv"
)

// handWritten writes v the way a person might in a .env file: bare when
// nothing in it needs quotes, in single quotes when it holds no ' and no
// control character, else as the dotenv writer does. The round trip then
// reads all three forms.
func handWritten(name string, v []byte) []byte {
	plain, single := true, true
	for _, c := range v {
		switch {
		case c < 0x20 || c == 0x7f:
			plain, single = false, false
		case c == '\'':
			plain, single = false, false
		case c == ' ', c == '\t', c == '"', c == '\\', c == '$', c == '`', c == '#':
			plain = false
		}
	}
	if plain {
		return fmt.Appendf(nil, "%s=%s\n", name, v)
	}
	if single {
		return fmt.Appendf(nil, "export %s='%s'  # single\n", name, v)
	}
	d, _ := shellenv.Get("dotenv")
	out, err := d.Render(shellenv.Plan{Set: []shellenv.Var{{Name: name, Value: v}}})
	if err != nil {
		panic(err)
	}
	return out
}

// TestImportHostileRoundTrip imports every fixed hostile value and 50
// random ones into the real keychain, prints them with kage env --shell
// dotenv, imports that output into another scope and prints it again: the
// two outputs must be byte-identical, hold the original values, and kage
// secret get must return the original bytes.
func TestImportHostileRoundTrip(t *testing.T) {
	t.Parallel()
	bus := testkeyring.Start(t)
	home := t.TempDir()
	marker := filepath.Join(t.TempDir(), "PWNED")
	var values []hostile.Value
	for _, v := range append(hostile.Values(marker), hostile.Random(marker, 20261130, 50)...) {
		// kage stores no empty value and no NUL.
		if len(v.Bytes) > 0 && bytes.IndexByte(v.Bytes, 0) < 0 {
			values = append(values, v)
		}
	}
	want := map[string][]byte{}
	var file bytes.Buffer
	file.WriteString("# hostile values, written three ways\n")
	for i, v := range values {
		name := fmt.Sprintf("HOSTILE_%03d", i)
		want[name] = v.Bytes
		file.Write(handWritten(name, v.Bytes))
	}
	if file.Len() > keyring.MaxInput {
		t.Fatalf("the test file is %d bytes, over kage's limit", file.Len())
	}
	src := filepath.Join(t.TempDir(), "hostile.env")
	if err := os.WriteFile(src, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	run := func(stdin string, args ...string) []byte {
		t.Helper()
		var stderr bytes.Buffer
		c := kageCmd(t, bus, home, stdin, args...)
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("kage %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		for name, v := range want {
			if len(v) >= 8 && bytes.Contains(stderr.Bytes(), v) {
				t.Errorf("kage %s shows the value of %s on stderr", strings.Join(args, " "), name)
			}
		}
		return out
	}
	run("", "secret", "import", src, "--scope", "namespace:first")
	first := run("", "--namespace", "first", "env", "--shell", "dotenv")
	exported := filepath.Join(t.TempDir(), "exported.env")
	if err := os.WriteFile(exported, first, 0o600); err != nil {
		t.Fatal(err)
	}
	run("", "secret", "import", exported, "--scope", "namespace:second")
	second := run("", "--namespace", "second", "env", "--shell", "dotenv")
	if !bytes.Equal(first, second) {
		t.Errorf("import → export → import → export changed the output (%d bytes, then %d)", len(first), len(second))
	}

	got, err := shellenv.ParseDotenv(first)
	if err != nil {
		t.Fatalf("reading kage env --shell dotenv: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("kage env printed %d variables, %d were imported", len(got), len(want))
	}
	bad := 0
	for _, v := range got {
		if !bytes.Equal(v.Value, want[v.Name]) {
			bad++
			if bad <= 5 {
				t.Errorf("%s: exported %s, imported %s", v.Name, show(v.Value), show(want[v.Name]))
			}
		}
	}

	// secret get returns the original bytes, from the second import.
	picks := map[string]bool{"every-byte-1-255": true, "every-byte-255-1": true, "pem": true, "64KiB": true,
		"dotenv-break": true, "crlf": true, "windows-path": true, "osc-title": true}
	picks[values[len(values)-1].Label] = true
	checked := 0
	for i, v := range values {
		if !picks[v.Label] {
			continue
		}
		checked++
		name := fmt.Sprintf("HOSTILE_%03d", i)
		out := run("", "secret", "get", name, "--scope", "namespace:second")
		if !bytes.Equal(out, v.Bytes) {
			t.Errorf("secret get %s (%s) = %s, want %s", name, v.Label, show(out), show(v.Bytes))
		}
	}
	if checked != len(picks) {
		t.Errorf("checked %d values with secret get, meant %d: a label changed in internal/hostile", checked, len(picks))
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("an injected command ran (%s exists)", marker)
	}
}

// show prints a value short enough for a failure message.
func show(b []byte) string {
	if len(b) > 60 {
		return fmt.Sprintf("%q… (%d bytes)", b[:60], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// TestImportKeychainFailsMidway stops the real Secret Service while an
// import is storing, and checks that kage names exactly the secrets it
// stored (those the index lists) and those it did not, in file order, and
// shows no value.
func TestImportKeychainFailsMidway(t *testing.T) {
	t.Parallel()
	bus := testkeyring.Start(t)
	home := t.TempDir()
	const n = 400
	var file bytes.Buffer
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("MID_%03d", i))
		fmt.Fprintf(&file, "%s=value-%03d-hunter2\n", names[i], i)
	}
	src := filepath.Join(home, "mid.env")
	if err := os.WriteFile(src, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kageCmd(t, bus, home, "", "secret", "import", "mid.env")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until a few secrets are in, then take the Secret Service away.
	index := filepath.Join(home, ".kage", keyring.IndexFile)
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(index)
		if bytes.Count(data, []byte(`"name"`)) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the import stored nothing in 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	bus.StopSecrets()
	err := c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("import exited with %v, want 1\n%s", err, stderr.String())
	}
	msg := stderr.String()
	if strings.Contains(msg, "hunter2") {
		t.Errorf("stderr shows a value:\n%s", msg)
	}
	var stored []string
	for _, e := range listJSON(t, bus, home) {
		stored = append(stored, e.Name)
	}
	sort.Strings(stored)
	k := len(stored)
	if k < 3 || k >= n {
		t.Fatalf("the index lists %d secrets, want the import stopped midway:\n%s", k, msg)
	}
	t.Logf("stopped after %d of %d", k, n)
	if want := names[:k]; strings.Join(stored, ",") != strings.Join(want, ",") {
		t.Fatalf("the index lists %v, want the first %d names of the file", stored, k)
	}
	wantLines := []string{
		fmt.Sprintf("kage: stored %d of %d secrets in global before the failure: %s\n", k, n, strings.Join(names[:k], ", ")),
		fmt.Sprintf("kage: not stored: %s\n", strings.Join(names[k:], ", ")),
		"kage: once the cause is fixed, run the same import with --overwrite to store the rest\n",
	}
	for _, w := range wantLines {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr lacks %q:\n%s", clipString(w), msg)
		}
	}
	if strings.Contains(msg, "still holds") {
		t.Errorf("a failed import printed the success reminder:\n%s", msg)
	}
}

func clipString(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// failingStore is an in-memory Store whose Set fails for one name, or is
// interrupted there.
type failingStore struct {
	values    map[keyring.Ref][]byte
	failOn    string
	interrupt context.CancelFunc
}

func (s *failingStore) MaxValue(string, string) int { return keyring.MaxInput }

func (s *failingStore) Set(ctx context.Context, sc, name string, v []byte) error {
	if name == s.failOn {
		if s.interrupt != nil {
			s.interrupt()
			return ctx.Err()
		}
		return &keyring.UnavailableError{Reason: "the keychain collection is locked", Fix: "unlock it"}
	}
	s.values[keyring.Ref{Scope: sc, Name: name}] = v
	return nil
}

func (s *failingStore) Get(_ context.Context, sc, name string) ([]byte, error) {
	if v, ok := s.values[keyring.Ref{Scope: sc, Name: name}]; ok {
		return v, nil
	}
	return nil, &keyring.NotFoundError{Scope: sc, Name: name}
}

// Delete works, so that a rollback would show.
func (s *failingStore) Delete(_ context.Context, sc, name string) error {
	r := keyring.Ref{Scope: sc, Name: name}
	if _, ok := s.values[r]; !ok {
		return &keyring.NotFoundError{Scope: sc, Name: name}
	}
	delete(s.values, r)
	return nil
}

func (s *failingStore) List(context.Context) ([]keyring.Entry, error) {
	var out []keyring.Entry
	for r := range s.values {
		out = append(out, keyring.Entry{Scope: r.Scope, Name: r.Name})
	}
	return out, nil
}

func (s *failingStore) GetMany(context.Context, []keyring.Ref) (map[keyring.Ref][]byte, error) {
	return nil, errors.New("not used")
}

// TestImportStopsAtFailure runs the import in process with a store that
// fails, or is interrupted, at the third name: the exact messages, the exit
// code, nothing stored after the failure, and nothing rolled back.
func TestImportStopsAtFailure(t *testing.T) {
	for _, c := range []struct {
		name      string
		interrupt bool
		code      int
		last      string
	}{
		{"keychain error", false, exitFailure, "kage: once the cause is fixed, run the same import with --overwrite to store the rest\n" +
			"kage: the keychain collection is locked\nkage: hint: unlock it\n"},
		{"interrupted", true, exitInterrupted, "kage: run the same import with --overwrite to store the rest\nkage: interrupted\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "x.env")
			if err := os.WriteFile(file, []byte("A=value-a\nB=value-b\nC=value-c\nD=value-d\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store := &failingStore{values: map[keyring.Ref][]byte{}, failOn: "C"}
			if c.interrupt {
				store.interrupt = cancel
			}
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(string) string { return "" }, now: time.Now,
				paths: config.Paths{Config: dir, Data: dir}, store: store}
			args := []string{"kage", "secret", "import", file}
			code := report(&stderr, newApp(e, args).Run(ctx, args))
			if code != c.code {
				t.Errorf("exit code %d, want %d", code, c.code)
			}
			want := "kage: stored 2 of 4 secrets in global before the failure: A, B\nkage: not stored: C, D\n" + c.last
			if stderr.String() != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
			if len(store.values) != 2 {
				t.Errorf("the store holds %d values, want A and B, not rolled back", len(store.values))
			}
		})
	}
}
