package keyring_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/keyring/keyringtest"
)

// testWorkFactor keeps scrypt cheap in tests; production uses age's default.
const testWorkFactor = 10

var bg = context.Background()

func newIdentityKey(t testing.TB) keyring.FileKey {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := keyring.ParseIdentity(id.String())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func passKey(pass string, asked *atomic.Int32) keyring.FileKey {
	return keyring.FileKey{
		Passphrase: func() ([]byte, error) {
			if asked != nil {
				asked.Add(1)
			}
			return []byte(pass), nil
		},
		ScryptWorkFactor: testWorkFactor,
	}
}

func fileBackend(key func(t *testing.T) keyring.FileKey, shared bool) keyringtest.Factory {
	return func(t *testing.T) keyringtest.Backend {
		path := filepath.Join(t.TempDir(), "data", keyring.FileName)
		k := key(t)
		f := keyring.NewFile(path, k)
		b := keyringtest.Backend{Store: f, MaxValue: f.MaxValue}
		if !shared {
			b.Open = func() keyring.Store { return keyring.NewFile(path, k) }
		}
		return b
	}
}

func TestFileConformanceIdentity(t *testing.T) {
	keyringtest.Conformance(t, fileBackend(func(t *testing.T) keyring.FileKey { return newIdentityKey(t) }, false))
}

// One *File shared by every writer, as goroutines of one kage would.
func TestFileConformanceSharedInstance(t *testing.T) {
	keyringtest.Conformance(t, fileBackend(func(t *testing.T) keyring.FileKey { return newIdentityKey(t) }, true))
}

func TestFileConformancePassphrase(t *testing.T) {
	keyringtest.Conformance(t, fileBackend(func(t *testing.T) keyring.FileKey { return passKey("correct horse", nil) }, false))
}

// snapshot returns the bytes of every file in dir but the lock, by name.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantUntouched checks that dir holds exactly before: the file kage could
// not use is byte-identical, and no temporary file was left behind.
func wantUntouched(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := snapshot(t, dir)
	for p, data := range after {
		if strings.HasSuffix(p, ".lock") {
			continue
		}
		if old, ok := before[p]; !ok {
			t.Errorf("new file %s left behind", p)
		} else if old != data {
			t.Errorf("%s changed", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s was removed", p)
		}
	}
}

// everyOp runs every Store method against s and returns their errors.
func everyOp(s keyring.Store) map[string]error {
	errs := map[string]error{}
	_, errs["Get"] = s.Get(bg, "global", "A")
	_, errs["List"] = s.List(bg)
	_, errs["GetMany"] = s.GetMany(bg, []keyring.Ref{{Scope: "global", Name: "A"}})
	errs["Set"] = s.Set(bg, "global", "NEW", []byte("new"))
	errs["Delete"] = s.Delete(bg, "global", "A")
	return errs
}

type hinter interface{ Hint() string }

func hintOf(err error) string {
	var h hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

func TestFileWrongKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, keyring.FileName)
	idA, idB := newIdentityKey(t), newIdentityKey(t)
	if err := keyring.NewFile(path, idA).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	passPath := filepath.Join(dir, "pass.age")
	if err := keyring.NewFile(passPath, passKey("right", nil)).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	tests := []struct {
		name, path string
		key        keyring.FileKey
		msg, hint  string
	}{
		{"other identity", path, idB, path + " is encrypted to another age identity than the one kage was given (KAGE_AGE_IDENTITY)", "KAGE_AGE_IDENTITY"},
		{"passphrase for identity file", path, passKey("right", nil), path + " is encrypted to an age identity, not a passphrase", "KAGE_AGE_IDENTITY"},
		{"wrong passphrase", passPath, passKey("wrong", nil), "wrong passphrase for " + passPath, "passphrase"},
		{"identity for passphrase file", passPath, idA, passPath + " is encrypted with a passphrase, not an age identity", "KAGE_PASSPHRASE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for op, err := range everyOp(keyring.NewFile(tc.path, tc.key)) {
				if !errors.Is(err, keyring.ErrWrongKey) {
					t.Errorf("%s: %v, want ErrWrongKey", op, err)
					continue
				}
				if errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("%s: %v also matches ErrNotFound", op, err)
				}
				if err.Error() != tc.msg {
					t.Errorf("%s: %q, want %q", op, err, tc.msg)
				}
				if h := hintOf(err); !strings.Contains(h, tc.hint) {
					t.Errorf("%s: hint %q does not mention %s", op, h, tc.hint)
				}
			}
			wantUntouched(t, dir, before)
		})
	}
}

func TestFilePassphraseAskedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyring.FileName)
	var asked atomic.Int32
	f := keyring.NewFile(path, passKey("pw", &asked))
	if asked.Load() != 0 {
		t.Fatal("NewFile asked for the passphrase")
	}
	for _, op := range everyOp(f) {
		_ = op
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("asked %d times over every operation, want once", n)
	}

	// After a wrong passphrase a retry asks again.
	var wrongAsked atomic.Int32
	w := keyring.NewFile(path, passKey("wrong", &wrongAsked))
	for range 2 {
		if _, err := w.List(bg); !errors.Is(err, keyring.ErrWrongKey) {
			t.Fatalf("List with the wrong passphrase: %v", err)
		}
	}
	if n := wrongAsked.Load(); n != 2 {
		t.Fatalf("asked %d times for two tries with a wrong passphrase, want 2", n)
	}

	// A prompt that fails is reported, and nothing is written.
	failing := keyring.NewFile(path, keyring.FileKey{Passphrase: func() ([]byte, error) { return nil, errors.New("no terminal") }})
	if err := failing.Set(bg, "global", "X", []byte("x")); err == nil || !strings.Contains(err.Error(), "no terminal") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Set with a failing prompt: %v", err)
	}
	empty := keyring.NewFile(path, passKey("", nil))
	if _, err := empty.List(bg); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("List with an empty passphrase: %v", err)
	}
}

func TestFileNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyring.FileName)
	if err := keyring.NewFile(path, newIdentityKey(t)).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	err := keyring.NewFile(path, keyring.FileKey{}).Set(bg, "global", "A", []byte("b"))
	if err == nil || !strings.Contains(err.Error(), "no age identity or passphrase") || !strings.Contains(hintOf(err), "kage init --backend file") {
		t.Fatalf("Set without a key: %v (hint %q)", err, hintOf(err))
	}
	both := newIdentityKey(t)
	both.Passphrase = func() ([]byte, error) { return []byte("x"), nil }
	if _, err := keyring.NewFile(path, both).List(bg); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("List with both kinds of key: %v", err)
	}
}

// encryptTo writes plain as an age file to path, encrypted to k.
func encryptTo(t *testing.T, path string, k keyring.FileKey, plain string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.Recipients...)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, plain)
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFileCorrupt(t *testing.T) {
	key := newIdentityKey(t)
	// A real store file to damage.
	good := filepath.Join(t.TempDir(), keyring.FileName)
	f := keyring.NewFile(good, key)
	for i := range 3 {
		if err := f.Set(bg, "global", fmt.Sprintf("N%d", i), bytes.Repeat([]byte{'v'}, 100<<10)); err != nil {
			t.Fatal(err)
		}
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	hdrEnd := bytes.Index(valid, []byte("\n---")) + 1
	flipped := bytes.Clone(valid)
	flipped[len(flipped)-100] ^= 1

	tests := []struct {
		name  string
		data  []byte
		plain string // when set, an age file of this plaintext
		msg   string
	}{
		{name: "empty", data: []byte{}, msg: "is corrupt or not an age file"},
		{name: "garbage", data: []byte("this is not an age file\n"), msg: "is corrupt or not an age file"},
		{name: "plain JSON", data: []byte(`{"version":1,"secrets":[]}`), msg: "is corrupt or not an age file"},
		{name: "header only", data: valid[:hdrEnd], msg: "is corrupt or not an age file"},
		{name: "cut in the header", data: valid[:hdrEnd/2], msg: "is corrupt or not an age file"},
		{name: "cut in the payload", data: valid[:len(valid)/2], msg: "is truncated or damaged"},
		{name: "last byte cut", data: valid[:len(valid)-1], msg: "is truncated or damaged"},
		{name: "last chunk cut", data: valid[:len(valid)-(len(valid)-hdrEnd)%(64<<10+16)], msg: "is truncated or damaged"},
		{name: "bit flipped", data: flipped, msg: "is truncated or damaged"},
		{name: "not JSON", plain: "hello", msg: "decrypts but is not kage's format"},
		{name: "unknown field", plain: `{"version":1,"secrets":[],"extra":1}`, msg: "decrypts but is not kage's format"},
		{name: "trailing data", plain: `{"version":1,"secrets":[]} {}`, msg: "decrypts but has data after"},
		{name: "no version", plain: `{"secrets":[]}`, msg: "has version 0; this kage reads version 1"},
		{name: "newer version", plain: `{"version":2,"secrets":[]}`, msg: "has version 2; this kage reads version 1"},
		{name: "no name", plain: `{"version":1,"secrets":[{"scope":"global","value":"eA=="}]}`, msg: "lacks its scope or name"},
		{name: "no value", plain: `{"version":1,"secrets":[{"scope":"global","name":"A"}]}`, msg: "A in global has no value"},
		{name: "twice", plain: `{"version":1,"secrets":[{"scope":"global","name":"A","value":"eA=="},{"scope":"global","name":"A","value":"eQ=="}]}`, msg: "holds A in global twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			if tc.plain != "" {
				encryptTo(t, path, key, tc.plain)
			} else if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			for op, err := range everyOp(keyring.NewFile(path, key)) {
				var fe *keyring.FileError
				if !errors.As(err, &fe) {
					t.Errorf("%s: %v, want a *keyring.FileError", op, err)
					continue
				}
				if errors.Is(err, keyring.ErrWrongKey) || errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("%s: %v matches ErrWrongKey or ErrNotFound", op, err)
				}
				want := "secrets file " + path + " "
				if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("%s: %q, want it to start %q and say %q", op, err, want, tc.msg)
				}
				if h := fe.Hint(); h == "" {
					t.Errorf("%s: no hint", op)
				}
			}
			wantUntouched(t, dir, before)
		})
	}
}

func TestFileUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs Unix permissions that bind the user")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, keyring.FileName)
	key := newIdentityKey(t)
	if err := keyring.NewFile(path, key).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(path, 0o600)
	for op, err := range everyOp(keyring.NewFile(path, key)) {
		var fe *keyring.FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "cannot be read: permission denied") {
			t.Errorf("%s: %v", op, err)
		}
	}
	os.Chmod(path, 0o600)
	if v, err := keyring.NewFile(path, key).Get(bg, "global", "A"); err != nil || string(v) != "a" {
		t.Fatalf("after chmod back: %q, %v", v, err)
	}
}

func TestFileMissingIsEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, keyring.FileName)
	f := keyring.NewFile(path, newIdentityKey(t))
	if es, err := f.List(bg); err != nil || len(es) != 0 {
		t.Fatalf("List of a missing file = %v, %v", es, err)
	}
	if _, err := f.Get(bg, "global", "A"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
	if err := f.Delete(bg, "global", "A"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reads and a failed Delete created %s: %v", path, err)
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, keyring.FileName)
	f := keyring.NewFile(path, newIdentityKey(t))
	if err := f.Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(bg, "global", "B", []byte("b")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{
		filepath.Dir(dir): 0o700 | fs.ModeDir,
		dir:               0o700 | fs.ModeDir,
		path:              0o600,
		path + ".lock":    0o600,
	} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, st.Mode(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want the store and its lock: %v", len(entries), entries)
	}
}

// TestFileNoPlaintext stores values, names and scopes that are easy to
// find and checks after every operation that no file in the folder holds
// any of them, plain or base64.
func TestFileNoPlaintext(t *testing.T) {
	for _, mode := range []string{"identity", "passphrase"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			key := newIdentityKey(t)
			if mode == "passphrase" {
				key = passKey("pw", nil)
			}
			f := keyring.NewFile(path, key)
			value := []byte("VALUE-CANARY-7f3a9c")
			needles := []string{
				"VALUE-CANARY-7f3a9c", base64.StdEncoding.EncodeToString(value),
				"NAME_CANARY_41b2", "namespace:scopecanary", "repo:/path/canary", "canary",
				`"secrets"`, `"version"`,
			}
			check := func(after string) {
				t.Helper()
				for p, data := range snapshot(t, dir) {
					for _, n := range needles {
						if strings.Contains(strings.ToLower(data), strings.ToLower(n)) {
							t.Fatalf("after %s, %s holds %q in plain text", after, p, n)
						}
					}
				}
			}
			ops := []struct {
				name string
				fn   func() error
			}{
				{"Set", func() error { return f.Set(bg, "namespace:scopecanary", "NAME_CANARY_41b2", value) }},
				{"Set repo", func() error { return f.Set(bg, "repo:/path/canary", "NAME_CANARY_41b2", value) }},
				{"update", func() error { return f.Set(bg, "namespace:scopecanary", "NAME_CANARY_41b2", append(value, '2')) }},
				{"Get", func() error { _, err := f.Get(bg, "namespace:scopecanary", "NAME_CANARY_41b2"); return err }},
				{"List", func() error { _, err := f.List(bg); return err }},
				{"GetMany", func() error {
					_, err := f.GetMany(bg, []keyring.Ref{{Scope: "repo:/path/canary", Name: "NAME_CANARY_41b2"}})
					return err
				}},
				{"too big", func() error {
					if err := f.Set(bg, "global", "BIG_CANARY", bytes.Repeat(value, keyring.MaxInput/len(value)+1)); err == nil {
						return errors.New("a too big value was stored")
					}
					return nil
				}},
				{"Delete", func() error { return f.Delete(bg, "repo:/path/canary", "NAME_CANARY_41b2") }},
				{"Delete missing", func() error {
					if err := f.Delete(bg, "global", "NAME_CANARY_41b2"); !errors.Is(err, keyring.ErrNotFound) {
						return fmt.Errorf("got %v", err)
					}
					return nil
				}},
			}
			for _, op := range ops {
				if err := op.fn(); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
				check(op.name)
			}
		})
	}
}

// TestFileFormat decrypts a store with age itself: the plaintext is the
// documented JSON, so the file can be read and repaired with the age CLI.
func TestFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyring.FileName)
	key := newIdentityKey(t)
	f := keyring.NewFile(path, key)
	if err := f.Set(bg, "repo:/home/dev/My Projects/x", "TOKEN", []byte{0xff, 'a', '\n'}); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(bg, "global", "A_FIRST", []byte("x")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n-> X25519 ")) {
		t.Fatalf("the file does not start as an age file to an X25519 recipient: %q", raw[:40])
	}
	r, err := age.Decrypt(bytes.NewReader(raw), key.Identities...)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	var d struct {
		Version int `json:"version"`
		Secrets []struct {
			Scope, Name, Value, Created, Updated string
		} `json:"secrets"`
	}
	if err := json.Unmarshal(plain, &d); err != nil {
		t.Fatalf("%v in %s", err, plain)
	}
	if d.Version != 1 || len(d.Secrets) != 2 || d.Secrets[0].Name != "A_FIRST" || d.Secrets[1].Value != base64.StdEncoding.EncodeToString([]byte{0xff, 'a', '\n'}) || d.Secrets[1].Created == "" {
		t.Fatalf("plaintext = %s", plain)
	}
}

// The production work factor is age's default, 18, written in the clear
// in the file's scrypt stanza.
func TestFilePassphraseDefaultWorkFactor(t *testing.T) {
	if testing.Short() {
		t.Skip("scrypt at its production cost takes about a second")
	}
	path := filepath.Join(t.TempDir(), keyring.FileName)
	f := keyring.NewFile(path, keyring.FileKey{Passphrase: func() ([]byte, error) { return []byte("pw"), nil }})
	if err := f.Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	line, _, _ := strings.Cut(strings.SplitN(string(raw), "\n", 3)[1], "\n")
	if fields := strings.Fields(line); len(fields) != 4 || fields[1] != "scrypt" || fields[3] != "18" {
		t.Fatalf("stanza %q, want -> scrypt SALT 18", line)
	}
}

func TestIdentityFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	path := filepath.Join(dir, "identity.txt")
	rcpt, err := keyring.GenerateIdentityFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.ParseX25519Recipient(rcpt); err != nil {
		t.Fatalf("recipient %q: %v", rcpt, err)
	}
	data, _ := os.ReadFile(path)
	if runtime.GOOS != "windows" {
		for p, want := range map[string]fs.FileMode{dir: 0o700 | fs.ModeDir, path: 0o600} {
			if st, err := os.Stat(p); err != nil || st.Mode() != want {
				t.Errorf("%s: mode %v, %v; want %v", p, st.Mode(), err, want)
			}
		}
	}
	if !strings.Contains(string(data), "# public key: "+rcpt+"\nAGE-SECRET-KEY-1") {
		t.Fatalf("identity file:\n%s", data)
	}

	// Never overwritten.
	if _, err := keyring.GenerateIdentityFile(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second GenerateIdentityFile: %v", err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Fatal("second GenerateIdentityFile changed the file")
	}

	// The file opens a store; the same key from KAGE_AGE_IDENTITY does too.
	k, err := keyring.ParseIdentityFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Source != path {
		t.Errorf("Source = %q, want the path", k.Source)
	}
	store := filepath.Join(t.TempDir(), keyring.FileName)
	if err := keyring.NewFile(store, k).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	secretLine := strings.TrimSpace(string(data[bytes.Index(data, []byte("AGE-SECRET-KEY-1")):]))
	k2, err := keyring.ParseIdentity(secretLine + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := keyring.NewFile(store, k2).Get(bg, "global", "A"); err != nil || string(v) != "a" {
		t.Fatalf("Get with KAGE_AGE_IDENTITY's key = %q, %v", v, err)
	}

	// Bad identities are refused without quoting them.
	secretish := "AGE-SECRET-KEY-1NOTAKEYATALLBUTSECRETLOOKING"
	if _, err := keyring.ParseIdentity(secretish); err == nil || strings.Contains(err.Error(), "NOTAKEY") {
		t.Fatalf("ParseIdentity of a bad key: %v", err)
	}
	if _, err := keyring.ParseIdentity(""); err == nil {
		t.Fatal("ParseIdentity of nothing succeeded")
	}

	if runtime.GOOS == "windows" {
		return
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := keyring.ParseIdentityFile(path)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("others may read (mode %04o)", mode)) || hintOf(err) != "run: chmod 600 "+path {
			t.Errorf("ParseIdentityFile of a %04o file: %v (hint %q)", mode, err, hintOf(err))
		}
	}
	os.Chmod(path, 0o400)
	if _, err := keyring.ParseIdentityFile(path); err != nil {
		t.Errorf("ParseIdentityFile of a 0400 file: %v", err)
	}
	if _, err := keyring.ParseIdentityFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("ParseIdentityFile of a missing file: %v", err)
	}
}

// helperEnv turns TestFileHelperProcess into a writer process.
const helperEnv = "KAGE_FILE_TEST_HELPER"

// TestFileHelperProcess is not a test: it is one of the writer processes
// of TestFileConcurrentProcesses.
func TestFileHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process only")
	}
	var h struct {
		Path, Identity string
		Writer, Count  int
	}
	if err := json.Unmarshal([]byte(spec), &h); err != nil {
		t.Fatal(err)
	}
	k, err := keyring.ParseIdentity(h.Identity)
	if err != nil {
		t.Fatal(err)
	}
	f := keyring.NewFile(h.Path, k)
	for i := range h.Count {
		if err := f.Set(bg, "global", fmt.Sprintf("P%02d_%02d", h.Writer, i), []byte(fmt.Sprintf("%d/%d", h.Writer, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileConcurrentProcesses has separate processes write at once: the
// lock must hold across processes, not only goroutines.
func TestFileConcurrentProcesses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	id, _ := age.GenerateX25519Identity()
	path := filepath.Join(t.TempDir(), keyring.FileName)
	const procs, each = 10, 5
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for w := range procs {
		spec, _ := json.Marshal(map[string]any{"Path": path, "Identity": id.String(), "Writer": w, "Count": each})
		cmds[w] = exec.Command(exe, "-test.run=^TestFileHelperProcess$", "-test.count=1")
		cmds[w].Env = append(os.Environ(), helperEnv+"="+string(spec))
		outs[w] = new(bytes.Buffer)
		cmds[w].Stdout, cmds[w].Stderr = outs[w], outs[w]
		if err := cmds[w].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for w, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", w, err, outs[w])
		}
	}
	k, _ := keyring.ParseIdentity(id.String())
	f := keyring.NewFile(path, k)
	es, err := f.List(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != procs*each {
		t.Fatalf("%d processes wrote %d secrets each; List has %d", procs, each, len(es))
	}
	for w := range procs {
		for i := range each {
			if v, err := f.Get(bg, "global", fmt.Sprintf("P%02d_%02d", w, i)); err != nil || string(v) != fmt.Sprintf("%d/%d", w, i) {
				t.Errorf("P%02d_%02d = %q, %v", w, i, v, err)
			}
		}
	}
}

func TestFileTooBigMessage(t *testing.T) {
	f := keyring.NewFile(filepath.Join(t.TempDir(), keyring.FileName), newIdentityKey(t))
	err := f.Set(bg, "global", "BIG", make([]byte, keyring.MaxInput+1))
	var tb *keyring.TooBigError
	if !errors.As(err, &tb) || tb.System != "file store" || tb.Limit != keyring.MaxInput {
		t.Fatalf("Set of MaxInput+1 bytes: %#v", err)
	}
}

func TestFileCanceled(t *testing.T) {
	f := keyring.NewFile(filepath.Join(t.TempDir(), keyring.FileName), newIdentityKey(t))
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := f.Set(ctx, "global", "A", []byte("a")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a canceled context: %v", err)
	}
	if _, err := f.List(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with a canceled context: %v", err)
	}
}
