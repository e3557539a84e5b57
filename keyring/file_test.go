package keyring_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
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
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
		{name: "no version", plain: `{"secrets":[]}`, msg: "has version 0; this kage reads version 2"},
		{name: "newer version", plain: `{"version":3,"secrets":[]}`, msg: "has version 3; this kage reads version 2"},
		{name: "version 2 without payload", plain: `{"version":2,"secrets":[]}`, msg: "version 2 keeps its secrets in its payload"},
		{name: "version 1 with payload", plain: `{"version":1,"payload":{}}`, msg: "version 1 has no payload"},
		{name: "payload not an object", plain: `{"version":2,"payload":[1]}`, msg: "its payload is not kage's format"},
		{name: "payload without store", plain: `{"version":2,"payload":{"generation":1,"secrets":[]}}`, msg: "has no valid store ID"},
		{name: "unknown payload field", plain: `{"version":2,"payload":{"store":"00000000000000000000000000000000","generation":1,"secrets":[],"x":1}}`, msg: "a field kage does not know"},
		{name: "bad time", plain: `{"version":1,"secrets":[{"scope":"global","name":"A","value":"eA==","created":"SECRETTIME"}]}`, msg: "a time is not RFC 3339"},
		{name: "bad base64", plain: `{"version":1,"secrets":[{"scope":"global","name":"A","value":"SECRET*VALUE"}]}`, msg: "a value is not base64"},
		{name: "field twice", plain: `{"version":2,"version":2,"payload":{}}`, msg: "a field given twice"},
		{name: "not an object", plain: `[{"version":2}]`, msg: "not a JSON object"},
		{name: "syntax", plain: `{"version":1,"secrets":[{"scope":"global","name":"A","value":SECRETVALUE}]}`, msg: "not JSON (at byte"},
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
				// encoding/json quotes its input in its errors: never
				// a byte of the plaintext in kage's.
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("%s: the message quotes the plaintext: %v", op, err)
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
	seen := filepath.Join(dir, keyring.SeenFileName)
	for p, want := range map[string]fs.FileMode{
		filepath.Dir(dir): 0o700 | fs.ModeDir,
		dir:               0o700 | fs.ModeDir,
		path:              0o600,
		path + ".lock":    0o600,
		seen:              0o600,
		seen + ".lock":    0o600,
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
	if len(entries) != 4 {
		t.Errorf("folder holds %d files, want the store, the generation record and their locks: %v", len(entries), entries)
	}
}

// TestFileNoPlaintext stores values, names and scopes that are easy to
// find and checks after every operation that no file in the folder holds
// any of them, plain or base64.
func TestFileNoPlaintext(t *testing.T) {
	for _, mode := range []string{"identity", "passphrase"} {
		t.Run(mode, func(t *testing.T) {
			dir, seenDir := t.TempDir(), t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			key := newIdentityKey(t)
			if mode == "passphrase" {
				key = passKey("pw", nil)
			}
			f := keyring.NewFile(path, key).WithSeenFile(filepath.Join(seenDir, keyring.SeenFileName))
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
				// The generation record is JSON of its own, but holds
				// nothing of a secret.
				for p, data := range snapshot(t, seenDir) {
					for _, n := range needles[:6] {
						if strings.Contains(strings.ToLower(data), strings.ToLower(n)) {
							t.Fatalf("after %s, %s holds %q", after, p, n)
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
		Version int             `json:"version"`
		Payload json.RawMessage `json:"payload"`
		MACs    [][]byte        `json:"macs"`
	}
	if err := json.Unmarshal(plain, &d); err != nil {
		t.Fatalf("%v in %s", err, plain)
	}
	var p struct {
		Store      string `json:"store"`
		Generation uint64 `json:"generation"`
		Secrets    []struct {
			Scope, Name, Value, Created, Updated string
		} `json:"secrets"`
	}
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		t.Fatalf("%v in %s", err, plain)
	}
	if d.Version != 2 || len(p.Store) != 32 || p.Generation != 2 || len(p.Secrets) != 2 || p.Secrets[0].Name != "A_FIRST" || p.Secrets[1].Value != base64.StdEncoding.EncodeToString([]byte{0xff, 'a', '\n'}) || p.Secrets[1].Created == "" {
		t.Fatalf("plaintext = %s", plain)
	}
	// The MAC is as documented: HMAC-SHA256 of the payload's bytes, keyed
	// by HKDF-SHA256 from the identity's text under kage's label.
	mk, err := hkdf.Key(sha256.New, []byte(key.Identities[0].(fmt.Stringer).String()), nil, "kage secrets.age payload MAC v2", 32)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, mk)
	h.Write(d.Payload)
	if len(d.MACs) != 1 || !hmac.Equal(d.MACs[0], h.Sum(nil)) {
		t.Fatalf("macs = %x, want [%x]", d.MACs, h.Sum(nil))
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
// lock must hold across processes, not only goroutines. Readers, each a new
// File as a new kage process would be, read all along: a reader never
// takes the file for a rolled-back one, however it falls between a
// writer's rename and its record.
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
	k, _ := keyring.ParseIdentity(id.String())
	stop := make(chan struct{})
	var reads atomic.Int32
	readErrs := make(chan error, 4)
	for range cap(readErrs) {
		go func() {
			for {
				select {
				case <-stop:
					readErrs <- nil
					return
				default:
				}
				if _, err := keyring.NewFile(path, k).List(bg); err != nil {
					readErrs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	for w, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", w, err, outs[w])
		}
	}
	close(stop)
	for range cap(readErrs) {
		if err := <-readErrs; err != nil {
			t.Errorf("a reader failed: %v", err)
		}
	}
	t.Logf("%d reads while the writers wrote", reads.Load())
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

// recipientOf is the public key of k's first identity: what kage init
// prints and identity.txt shows, and what anyone may have.
func recipientOf(t *testing.T, k keyring.FileKey) *age.X25519Recipient {
	t.Helper()
	r, ok := k.Recipients[0].(*age.X25519Recipient)
	if !ok {
		t.Fatalf("recipient %T", k.Recipients[0])
	}
	return r
}

// encryptToRecipients writes plain as an age file to path: all it takes is
// the recipients.
func encryptToRecipients(t *testing.T, path, plain string, rs ...age.Recipient) {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, plain)
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// decryptFile returns the plaintext of the secrets file at path.
func decryptFile(t *testing.T, path string, ids ...age.Identity) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(raw), ids...)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func macWith(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// wantRefused checks that every operation on a fresh File (a new kage
// process) fails with target, names the file, hints the deliberate step,
// and changes nothing in dir.
func wantRefused(t *testing.T, open func() *keyring.File, dir string, target error, says string) {
	t.Helper()
	before := snapshot(t, dir)
	for op, err := range everyOp(open()) {
		if !errors.Is(err, target) {
			t.Errorf("%s: %v, want %v", op, err, target)
			continue
		}
		if !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), "secrets file ") {
			t.Errorf("%s: %q, want it to say %q", op, err, says)
		}
		if h := hintOf(err); !strings.Contains(h, "kage doctor --fix") {
			t.Errorf("%s: hint %q does not say how to accept it", op, h)
		}
	}
	wantUntouched(t, dir, before)
}

// TestFileForgedWithRecipient writes secrets files as someone who has only
// the public key (age1…) can: in the old format, and in the new one with
// no MAC, an empty or random MAC, or one keyed from the public key itself.
// Each is refused by every operation, and what it holds is never returned.
func TestFileForgedWithRecipient(t *testing.T) {
	key := newIdentityKey(t)
	rcpt := recipientOf(t, key)
	evil := `[{"scope":"global","name":"LD_PRELOAD","value":"L3RtcC9ldmlsLnNv","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}]`
	payload := `{"store":"0123456789abcdef0123456789abcdef","generation":99,"secrets":` + evil + `}`
	guess, _ := hkdf.Key(sha256.New, []byte(rcpt.String()), nil, "kage secrets.age payload MAC v2", 32)
	random := make([]byte, 32)
	forged := map[string]string{
		"old format":                   `{"version":1,"secrets":` + evil + `}`,
		"no MAC":                       `{"version":2,"payload":` + payload + `}`,
		"empty MAC list":               `{"version":2,"payload":` + payload + `,"macs":[]}`,
		"random MAC":                   `{"version":2,"payload":` + payload + `,"macs":["` + base64.StdEncoding.EncodeToString(random) + `"]}`,
		"MAC keyed from the recipient": `{"version":2,"payload":` + payload + `,"macs":["` + macWith(guess, payload) + `"]}`,
	}
	for name, plain := range forged {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%v", name, existing), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, keyring.FileName)
				open := func() *keyring.File { return keyring.NewFile(path, key) }
				if existing {
					// The user's own store, replaced by the forgery.
					if err := open().Set(bg, "global", "API_KEY", []byte("mine")); err != nil {
						t.Fatal(err)
					}
				}
				encryptToRecipients(t, path, plain, rcpt)
				if v, err := open().Get(bg, "global", "LD_PRELOAD"); err == nil {
					t.Fatalf("the forged file was read: LD_PRELOAD = %q", v)
				}
				wantRefused(t, open, dir, keyring.ErrNotAuthentic, "public key")
			})
		}
	}
}

// TestFileMACTamper changes a store kage wrote without its identity: a value
// edited inside the payload, the MAC of another identity's store, one bit
// of the MAC. Each is refused; then the deliberate step takes it.
func TestFileMACTamper(t *testing.T) {
	key, other := newIdentityKey(t), newIdentityKey(t)
	rcpt := recipientOf(t, key)
	valid := func(t *testing.T, k keyring.FileKey) (path string, env map[string]json.RawMessage) {
		path = filepath.Join(t.TempDir(), keyring.FileName)
		if err := keyring.NewFile(path, k).Set(bg, "global", "API_KEY", []byte("original")); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(decryptFile(t, path, k.Identities...), &env); err != nil {
			t.Fatal(err)
		}
		return path, env
	}
	otherPath, otherEnv := valid(t, other)
	_ = otherPath
	tamper := map[string]func(env map[string]json.RawMessage){
		"value edited": func(env map[string]json.RawMessage) {
			env["payload"] = bytes.Replace(env["payload"], []byte(base64.StdEncoding.EncodeToString([]byte("original"))), []byte(base64.StdEncoding.EncodeToString([]byte("attacker"))), 1)
		},
		"generation raised": func(env map[string]json.RawMessage) {
			env["payload"] = bytes.Replace(env["payload"], []byte(`"generation":1`), []byte(`"generation":1000`), 1)
		},
		"another identity's MAC": func(env map[string]json.RawMessage) {
			env["payload"], env["macs"] = otherEnv["payload"], otherEnv["macs"]
		},
		"MAC bit flipped": func(env map[string]json.RawMessage) {
			var macs [][]byte
			json.Unmarshal(env["macs"], &macs)
			macs[0][7] ^= 1
			env["macs"], _ = json.Marshal(macs)
		},
	}
	for name, fn := range tamper {
		t.Run(name, func(t *testing.T) {
			path, env := valid(t, key)
			fn(env)
			plain, _ := json.Marshal(env)
			encryptToRecipients(t, path, string(plain), rcpt)
			open := func() *keyring.File { return keyring.NewFile(path, key) }
			wantRefused(t, open, filepath.Dir(path), keyring.ErrNotAuthentic, "MAC does not match")
			a, err := open().Accept(bg)
			if err != nil || a.Secrets != 1 || !strings.Contains(a.Was, "MAC does not match") {
				t.Fatalf("Accept = %+v, %v", a, err)
			}
			if _, err := open().List(bg); err != nil {
				t.Fatalf("List after Accept: %v", err)
			}
		})
	}
}

// TestFileSeveralIdentities: a store written with two identities is
// authentic to a reader that holds either one, as either one decrypts it —
// X25519 identities and post-quantum hybrid ones alike.
func TestFileSeveralIdentities(t *testing.T) {
	hybrid := func(t testing.TB) keyring.FileKey {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		k, err := keyring.ParseIdentity(id.String())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for name, gen := range map[string]func(testing.TB) keyring.FileKey{
		"X25519": newIdentityKey,
		"hybrid": hybrid,
	} {
		t.Run(name, func(t *testing.T) {
			a, b := gen(t), gen(t)
			both := keyring.FileKey{Identities: append(slices.Clone(a.Identities), b.Identities...)}
			path := filepath.Join(t.TempDir(), keyring.FileName)
			if err := keyring.NewFile(path, both).Set(bg, "global", "A", []byte("a")); err != nil {
				t.Fatal(err)
			}
			for which, k := range map[string]keyring.FileKey{"first": a, "second": b} {
				if v, err := keyring.NewFile(path, k).Get(bg, "global", "A"); err != nil || string(v) != "a" {
					t.Errorf("%s identity alone: %q, %v", which, v, err)
				}
			}
		})
	}
}

// TestFileRollback puts an older copy of the store back after a rotation:
// every operation refuses it, in a new process too, until the deliberate
// step; after that the copy it accepted is the newest, and the copy put
// back again is refused again.
func TestFileRollback(t *testing.T) {
	for _, mode := range []string{"identity", "passphrase"} {
		t.Run(mode, func(t *testing.T) {
			key := newIdentityKey(t)
			if mode == "passphrase" {
				key = passKey("pw", nil)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			seen := filepath.Join(t.TempDir(), keyring.SeenFileName)
			open := func() *keyring.File { return keyring.NewFile(path, key).WithSeenFile(seen) }
			if err := open().Set(bg, "global", "API_KEY", []byte("leaked-old")); err != nil {
				t.Fatal(err)
			}
			old, _ := os.ReadFile(path)
			if err := open().Set(bg, "global", "API_KEY", []byte("rotated")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
			if v, err := open().Get(bg, "global", "API_KEY"); err == nil {
				t.Fatalf("the rolled-back file was read: %q", v)
			}
			wantRefused(t, open, dir, keyring.ErrRolledBack, "is generation 1, older than generation 2")

			a, err := open().Accept(bg)
			if err != nil || a.Generation != 3 || a.Secrets != 1 || !strings.Contains(a.Was, "older") {
				t.Fatalf("Accept = %+v, %v", a, err)
			}
			if v, err := open().Get(bg, "global", "API_KEY"); err != nil || string(v) != "leaked-old" {
				t.Fatalf("after Accept: %q, %v", v, err)
			}
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
			wantRefused(t, open, dir, keyring.ErrRolledBack, "older than generation 3")
		})
	}
}

// TestFileReplacedByAnotherStore puts in place of the store another one
// written with the same identity, newer by its own count: refused too.
func TestFileReplacedByAnotherStore(t *testing.T) {
	key := newIdentityKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, keyring.FileName)
	seen := filepath.Join(t.TempDir(), keyring.SeenFileName)
	open := func() *keyring.File { return keyring.NewFile(path, key).WithSeenFile(seen) }
	if err := open().Set(bg, "global", "A", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(t.TempDir(), keyring.FileName)
	for i := range 5 {
		if err := keyring.NewFile(otherPath, key).Set(bg, "global", "A", fmt.Appendf(nil, "other %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := os.ReadFile(otherPath)
	os.WriteFile(path, other, 0o600)
	wantRefused(t, open, dir, keyring.ErrRolledBack, "not the store kage last saw")
}

// TestFileSharedFolder: two machines share the secrets file (a synced
// folder), each with its own record. A write on one is brought forward by
// a read on the other, so an old copy put in the folder is refused on both.
func TestFileSharedFolder(t *testing.T) {
	key := newIdentityKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, keyring.FileName)
	m1 := func() *keyring.File {
		return keyring.NewFile(path, key).WithSeenFile(filepath.Join(dir, "m1", keyring.SeenFileName))
	}
	m2 := func() *keyring.File {
		return keyring.NewFile(path, key).WithSeenFile(filepath.Join(dir, "m2", keyring.SeenFileName))
	}
	if err := m1().Set(bg, "global", "A", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := m2().List(bg); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	if err := m1().Set(bg, "global", "A", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if v, err := m2().Get(bg, "global", "A"); err != nil || string(v) != "2" {
		t.Fatalf("m2 reads %q, %v", v, err)
	}
	os.WriteFile(path, old, 0o600)
	for name, open := range map[string]func() *keyring.File{"m1": m1, "m2": m2} {
		if _, err := open().List(bg); !errors.Is(err, keyring.ErrRolledBack) {
			t.Errorf("%s reads the old copy: %v", name, err)
		}
	}
}

// TestFileLegacyFormat: a file of kage's old format has no MAC, so with an
// identity it is indistinguishable from a forgery and refused until
// accepted, which rewrites it in the new format. With a passphrase it is
// authentic (only the passphrase writes it) and read; the next write
// upgrades it, and the old copy put back is then refused.
func TestFileLegacyFormat(t *testing.T) {
	legacy := `{"version":1,"secrets":[{"scope":"global","name":"A","value":"YQ==","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}]}`
	t.Run("identity", func(t *testing.T) {
		key := newIdentityKey(t)
		dir := t.TempDir()
		path := filepath.Join(dir, keyring.FileName)
		encryptTo(t, path, key, legacy)
		open := func() *keyring.File { return keyring.NewFile(path, key) }
		wantRefused(t, open, dir, keyring.ErrNotAuthentic, "an older kage wrote it")
		a, err := open().Accept(bg)
		if err != nil || a.Generation != 1 || a.Secrets != 1 || !strings.Contains(a.Was, "older kage") {
			t.Fatalf("Accept = %+v, %v", a, err)
		}
		if v, err := open().Get(bg, "global", "A"); err != nil || string(v) != "a" {
			t.Fatalf("after Accept: %q, %v", v, err)
		}
		if plain := decryptFile(t, path, key.Identities...); !bytes.HasPrefix(plain, []byte(`{"version":2,"payload":{"store":"`)) {
			t.Fatalf("accepted file: %s", plain)
		}
	})
	t.Run("passphrase", func(t *testing.T) {
		key := passKey("pw", nil)
		dir := t.TempDir()
		path := filepath.Join(dir, keyring.FileName)
		r, err := age.NewScryptRecipient("pw")
		if err != nil {
			t.Fatal(err)
		}
		r.SetWorkFactor(testWorkFactor)
		encryptToRecipients(t, path, legacy, r)
		old, _ := os.ReadFile(path)
		open := func() *keyring.File { return keyring.NewFile(path, key) }
		if v, err := open().Get(bg, "global", "A"); err != nil || string(v) != "a" {
			t.Fatalf("old passphrase file: %q, %v", v, err)
		}
		if err := open().Set(bg, "global", "B", []byte("b")); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, old, 0o600)
		wantRefused(t, open, dir, keyring.ErrRolledBack, "older kage's format")
	})
}

// TestFileSeenRecordUnusable: a generation record that is damaged, a link
// or a FIFO is an error (kage cannot tell a rolled-back file then), read
// without waiting on the FIFO; Accept replaces it.
func TestFileSeenRecordUnusable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs or links here")
	}
	for _, kind := range []string{"corrupt", "link", "fifo", "other version"} {
		t.Run(kind, func(t *testing.T) {
			key := newIdentityKey(t)
			dir := t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			seen := filepath.Join(t.TempDir(), keyring.SeenFileName)
			open := func() *keyring.File { return keyring.NewFile(path, key).WithSeenFile(seen) }
			if err := open().Set(bg, "global", "A", []byte("a")); err != nil {
				t.Fatal(err)
			}
			os.Remove(seen)
			switch kind {
			case "corrupt":
				os.WriteFile(seen, []byte(`{"version":1,"files":`), 0o600)
			case "other version":
				os.WriteFile(seen, []byte(`{"version":9,"files":{}}`), 0o600)
			case "link":
				target := filepath.Join(t.TempDir(), "x.json")
				os.WriteFile(target, []byte(`{"version":1,"files":{}}`), 0o600)
				os.Symlink(target, seen)
			case "fifo":
				if err := syscallMkfifo(seen); err != nil {
					t.Skip(err)
				}
			}
			done := make(chan error, 1)
			go func() { _, err := open().List(bg); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("List waits on the generation record")
			}
			if !errors.Is(err, keyring.ErrSeenRecord) || !strings.Contains(err.Error(), "generation record "+seen) || !strings.Contains(hintOf(err), "kage doctor --fix") {
				t.Fatalf("List: %v (hint %q)", err, hintOf(err))
			}
			if kind == "link" || kind == "fifo" {
				os.Remove(seen)
			}
			if _, err := open().Accept(bg); err != nil {
				t.Fatalf("Accept: %v", err)
			}
			if v, err := open().Get(bg, "global", "A"); err != nil || string(v) != "a" {
				t.Fatalf("after Accept: %q, %v", v, err)
			}
		})
	}
}

// TestFileNotPlain: the secrets file is read only as a plain file — a
// link to a valid store, a FIFO (without waiting for a writer) and a huge
// sparse file are refused and left alone; an identity file may be a link
// but not a FIFO.
func TestFileNotPlain(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs or links here")
	}
	key := newIdentityKey(t)
	real := filepath.Join(t.TempDir(), keyring.FileName)
	if err := keyring.NewFile(real, key).Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"link", "fifo", "huge"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, keyring.FileName)
			var want string
			switch kind {
			case "link":
				os.Symlink(real, path)
				want = "is a symbolic link"
			case "fifo":
				if err := syscallMkfifo(path); err != nil {
					t.Skip(err)
				}
				want = "not a regular file (a FIFO)"
			case "huge":
				f, _ := os.Create(path)
				f.Truncate(1 << 40)
				f.Close()
				want = "larger than 64 MiB"
			}
			done := make(chan map[string]error, 1)
			go func() { done <- everyOp(keyring.NewFile(path, key)) }()
			select {
			case errs := <-done:
				for op, err := range errs {
					var fe *keyring.FileError
					if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
						t.Errorf("%s: %v, want a FileError saying %q", op, err, want)
					}
				}
			case <-time.After(5 * time.Second):
				t.Fatal("kage waits on the secrets file")
			}
			if fi, err := os.Lstat(path); err != nil || (kind == "link") != (fi.Mode()&fs.ModeSymlink != 0) {
				t.Errorf("the %s was replaced: %v %v", kind, fi, err)
			}
		})
	}

	idDir := t.TempDir()
	idFile := filepath.Join(idDir, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(idFile); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(idDir, "link.txt")
	os.Symlink(idFile, link)
	if _, err := keyring.ParseIdentityFile(link); err != nil {
		t.Errorf("an identity file through a link: %v", err)
	}
	fifo := filepath.Join(idDir, "fifo.txt")
	if err := syscallMkfifo(fifo); err != nil {
		t.Skip(err)
	}
	os.Chmod(fifo, 0o600)
	done := make(chan error, 1)
	go func() { _, err := keyring.ParseIdentityFile(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Errorf("an identity FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("kage waits on an identity FIFO")
	}
}

// TestFileSeenKeyCanonical: the record is keyed by the file's canonical
// path, so a store first written through a linked folder that did not
// exist yet, then opened by its real path, is still checked.
func TestFileSeenKeyCanonical(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no links here")
	}
	key := newIdentityKey(t)
	root := t.TempDir()
	real := filepath.Join(root, "real")
	os.Mkdir(real, 0o700)
	os.Symlink(real, filepath.Join(root, "link"))
	seen := filepath.Join(t.TempDir(), keyring.SeenFileName)
	viaLink := filepath.Join(root, "link", "data", keyring.FileName)
	viaReal := filepath.Join(real, "data", keyring.FileName)
	// One kage: a read while the folder does not exist, then two writes,
	// the first of which makes the folder.
	f := keyring.NewFile(viaLink, key).WithSeenFile(seen)
	if _, err := f.List(bg); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(bg, "global", "A", []byte("old")); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(viaReal)
	if err := f.Set(bg, "global", "A", []byte("new")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(viaReal, old, 0o600)
	if _, err := keyring.NewFile(viaReal, key).WithSeenFile(seen).List(bg); !errors.Is(err, keyring.ErrRolledBack) {
		t.Fatalf("the old copy opened by the real path: %v", err)
	}
}

// countingIdentity is an X25519 identity that counts the files it is asked
// to open: one Unwrap per decryption.
type countingIdentity struct {
	*age.X25519Identity
	n *atomic.Int32
}

func (c countingIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	c.n.Add(1)
	return c.X25519Identity.Unwrap(stanzas)
}

func countingKey(t *testing.T) (keyring.FileKey, *atomic.Int32) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int32)
	return keyring.FileKey{Identities: []age.Identity{countingIdentity{id, n}}, Recipients: []age.Recipient{id.Recipient()}}, n
}

// TestFileDecryptsOncePerCommand: kage env lists the store, then reads the
// winners' values; kage secret import lists, then writes. One File, as one
// command has, decrypts the file once for all of it while the file stays
// what it was.
func TestFileDecryptsOncePerCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyring.FileName)
	key, decrypts := countingKey(t)
	for _, name := range []string{"A", "B", "C"} {
		if err := keyring.NewFile(path, key).Set(bg, "global", name, []byte("value of "+name)); err != nil {
			t.Fatal(err)
		}
	}

	decrypts.Store(0)
	f := keyring.NewFile(path, key)
	entries, err := f.List(bg)
	if err != nil || len(entries) != 3 {
		t.Fatalf("List = %v, %v", entries, err)
	}
	refs := []keyring.Ref{entries[0].Ref(), entries[2].Ref(), {Scope: "global", Name: "ABSENT"}}
	got, err := f.GetMany(bg, refs)
	if err != nil || len(got) != 2 || string(got[refs[0]]) != "value of A" || string(got[refs[1]]) != "value of C" {
		t.Fatalf("GetMany = %q, %v", got, err)
	}
	if v, err := f.Get(bg, "global", "B"); err != nil || string(v) != "value of B" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if n := decrypts.Load(); n != 1 {
		t.Errorf("List, GetMany and Get on one File decrypted the file %d times, want 1", n)
	}

	// A write re-reads the file under its lock, but finds the bytes it
	// decrypted: nothing to decrypt again.
	decrypts.Store(0)
	if err := f.Set(bg, "global", "D", []byte("value of D")); err != nil {
		t.Fatal(err)
	}
	if n := decrypts.Load(); n != 0 {
		t.Errorf("Set after List decrypted the file %d more times, want 0", n)
	}
	if v, err := keyring.NewFile(path, key).Get(bg, "global", "A"); err != nil || string(v) != "value of A" {
		t.Fatalf("after Set, a new File reads A = %q, %v", v, err)
	}
}

// TestFileKeptVersionNeverStale: what a File keeps of the version it read
// never stands in for another version on disk. A write under the lock
// builds on what another writer stored meanwhile; a read sees it; an
// older copy put back, or a forgery, is refused by the File that had read
// the newer one, as by a new one.
func TestFileKeptVersionNeverStale(t *testing.T) {
	key := newIdentityKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, keyring.FileName)
	seen := filepath.Join(t.TempDir(), keyring.SeenFileName)
	open := func() *keyring.File { return keyring.NewFile(path, key).WithSeenFile(seen) }
	if err := open().Set(bg, "global", "A", []byte("a")); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)

	f := open()
	if _, err := f.List(bg); err != nil {
		t.Fatal(err)
	}
	if err := open().Set(bg, "global", "B", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(bg, "global", "C", []byte("c")); err != nil {
		t.Fatal(err)
	}
	es, err := open().List(bg)
	if err != nil || len(es) != 3 {
		t.Fatalf("after a write on a File that had read an older version: %v, %v; want A, B and C", es, err)
	}
	if err := open().Set(bg, "global", "A", []byte("rotated")); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Get(bg, "global", "A"); err != nil || string(v) != "rotated" {
		t.Fatalf("Get after another writer rotated A = %q, %v", v, err)
	}

	// The old copy, put back while f knows the newer one.
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetMany(bg, []keyring.Ref{{Scope: "global", Name: "A"}}); !errors.Is(err, keyring.ErrRolledBack) {
		t.Errorf("GetMany of an older copy put back after List: %v, want ErrRolledBack", err)
	}
	if err := f.Set(bg, "global", "D", []byte("d")); !errors.Is(err, keyring.ErrRolledBack) {
		t.Errorf("Set over an older copy put back: %v, want ErrRolledBack", err)
	}

	// A forgery: the right recipient, no MAC.
	if _, err := open().Accept(bg); err != nil {
		t.Fatal(err)
	}
	g := open()
	if _, err := g.List(bg); err != nil {
		t.Fatal(err)
	}
	encryptToRecipients(t, path, `{"version":2,"payload":{"store":"00112233445566778899aabbccddeeff","generation":99,"secrets":[]}}`, recipientOf(t, key))
	if _, err := g.Get(bg, "global", "A"); !errors.Is(err, keyring.ErrNotAuthentic) {
		t.Errorf("Get of a forgery put in place after List: %v, want ErrNotAuthentic", err)
	}
}

// TestFileValuesAreCopies: a caller that changes or wipes a value it gave
// to Set or got from Get or GetMany changes nothing the File returns next.
func TestFileValuesAreCopies(t *testing.T) {
	f := keyring.NewFile(filepath.Join(t.TempDir(), keyring.FileName), newIdentityKey(t))
	v := []byte("secret")
	if err := f.Set(bg, "global", "A", v); err != nil {
		t.Fatal(err)
	}
	clear(v)
	got, err := f.Get(bg, "global", "A")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Get after the caller wiped what it Set = %q, %v", got, err)
	}
	clear(got)
	ref := keyring.Ref{Scope: "global", Name: "A"}
	m, err := f.GetMany(bg, []keyring.Ref{ref})
	if err != nil || string(m[ref]) != "secret" {
		t.Fatalf("GetMany after the caller wiped what Get returned = %q, %v", m[ref], err)
	}
	clear(m[ref])
	if got, err := f.Get(bg, "global", "A"); err != nil || string(got) != "secret" {
		t.Fatalf("Get after the caller wiped what GetMany returned = %q, %v", got, err)
	}
	// Values read together are apart: appending to one leaves the next.
	if err := f.Set(bg, "global", "B", []byte("second")); err != nil {
		t.Fatal(err)
	}
	refB := keyring.Ref{Scope: "global", Name: "B"}
	m, err = f.GetMany(bg, []keyring.Ref{ref, refB})
	if err != nil {
		t.Fatal(err)
	}
	_ = append(m[ref], "XXXXXX"...)
	if string(m[refB]) != "second" {
		t.Fatalf("appending to A's value from GetMany changed B's to %q", m[refB])
	}
}

// writeSigned writes payload as a store signed by key, the envelope
// spelled as envelope (a format with %s for the payload, then for the
// MAC).
func writeSigned(t testing.TB, path string, key keyring.FileKey, envelope, payload string) {
	t.Helper()
	mk, err := hkdf.Key(sha256.New, []byte(key.Identities[0].(fmt.Stringer).String()), nil, "kage secrets.age payload MAC v2", 32)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, key.Recipients...)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, envelope, payload, macWith(mk, payload))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileSpellings reads the same store spelled as kage writes it, which
// kage parses on a fast path, and in other spellings of the same JSON —
// white space, escapes, fields in another order or case — which go
// through encoding/json: each reads the same, and a damaged one is
// refused with the same words whichever way it is spelled.
func TestFileSpellings(t *testing.T) {
	key := newIdentityKey(t)
	const (
		created = `"2026-01-02T03:04:05Z"`
		updated = `"2026-01-02T03:04:05.123456789+02:00"`
	)
	entry := func(scope, name, value string) string {
		return fmt.Sprintf(`{"scope":%s,"name":%s,"value":%s,"created":%s,"updated":%s}`, scope, name, value, created, updated)
	}
	canonical := `{"store":"00112233445566778899aabbccddeeff","generation":7,"secrets":[` +
		entry(`"global"`, `"A"`, `"YQ=="`) + "," +
		entry(`"repo:/home/dév/x"`, `"B"`, `""`) + "," +
		entry(`"global"`, `"C"`, `"/w=="`) + `]}`
	want := map[keyring.Ref]string{
		{Scope: "global", Name: "A"}:           "a",
		{Scope: "repo:/home/dév/x", Name: "B"}: "",
		{Scope: "global", Name: "C"}:           "\xff",
	}
	spellings := map[string]struct{ envelope, payload string }{
		"as kage writes it": {`{"version":2,"payload":%s,"macs":["%s"]}`, canonical},
		"spaced envelope":   {"{ \"version\": 2,\n \"payload\": %s, \"macs\": [ \"%s\" ] }\n", canonical},
		"spaced payload":    {`{"version":2,"payload":%s,"macs":["%s"]}`, strings.ReplaceAll(canonical, `,"`, `, "`)},
		"macs first":        {`{"macs":["%[2]s"],"version":2,"payload":%[1]s}`, canonical},
		"fields reordered":  {`{"version":2,"payload":%s,"macs":["%s"]}`, strings.Replace(canonical, `{"store":"00112233445566778899aabbccddeeff","generation":7,`, `{"generation":7,"store":"00112233445566778899aabbccddeeff",`, 1)},
		"field case":        {`{"version":2,"payload":%s,"macs":["%s"]}`, strings.ReplaceAll(canonical, `"name":`, `"Name":`)},
		"escaped name":      {`{"version":2,"payload":%s,"macs":["%s"]}`, strings.Replace(canonical, `"name":"A"`, `"name":"\u0041"`, 1)},
		"escaped scope":     {`{"version":2,"payload":%s,"macs":["%s"]}`, strings.Replace(canonical, `"scope":"global","name":"C"`, `"scope":"glob\u0061l","name":"C"`, 1)},
	}
	for name, sp := range spellings {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), keyring.FileName)
			writeSigned(t, path, key, sp.envelope, sp.payload)
			f := keyring.NewFile(path, key)
			es, err := f.List(bg)
			if err != nil || len(es) != len(want) {
				t.Fatalf("List = %v, %v", es, err)
			}
			wc, _ := time.Parse(time.RFC3339, "2026-01-02T03:04:05Z")
			wu, _ := time.Parse(time.RFC3339, "2026-01-02T03:04:05.123456789+02:00")
			for _, e := range es {
				if !e.Created.Equal(wc) || !e.Updated.Equal(wu) {
					t.Errorf("%v: created %v, updated %v", e.Ref(), e.Created, e.Updated)
				}
			}
			refs := slices.Collect(func(yield func(keyring.Ref) bool) {
				for r := range want {
					if !yield(r) {
						return
					}
				}
			})
			got, err := f.GetMany(bg, refs)
			if err != nil {
				t.Fatal(err)
			}
			for r, v := range want {
				if g, ok := got[r]; !ok || string(g) != v {
					t.Errorf("%v = %q (%v), want %q", r, g, ok, v)
				}
			}
		})
	}
	damaged := []struct{ name, payload, says string }{
		{"value not base64", strings.Replace(canonical, `"YQ=="`, `"YQ="`, 1), "a value is not base64"},
		{"time not RFC 3339", strings.Replace(canonical, created, `"2026-01-02 03:04:05"`, 1), "a time is not RFC 3339"},
		{"twice", strings.Replace(canonical, entry(`"repo:/home/dév/x"`, `"B"`, `""`), entry(`"global"`, `"A"`, `""`), 1), "holds A in global twice"},
		{"value null", strings.Replace(canonical, `"YQ=="`, `null`, 1), "A in global has no value"},
		{"unknown field", strings.Replace(canonical, `"value":"YQ=="`, `"value":"YQ==","extra":1`, 1), "a field kage does not know"},
		{"generation negative", strings.Replace(canonical, `"generation":7`, `"generation":-7`, 1), "generation has the wrong type"},
		{"generation leading zero", strings.Replace(canonical, `"generation":7`, `"generation":07`, 1), "not JSON"},
		{"control character", strings.Replace(canonical, `"name":"A"`, "\"name\":\"A\x01\"", 1), "not JSON"},
	}
	for _, d := range damaged {
		t.Run(d.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), keyring.FileName)
			writeSigned(t, path, key, `{"version":2,"payload":%s,"macs":["%s"]}`, d.payload)
			_, err := keyring.NewFile(path, key).List(bg)
			var fe *keyring.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), d.says) {
				t.Fatalf("List = %v, want a FileError that says %q", err, d.says)
			}
		})
	}
}

// TestFileWritesWhatJSONMarshalWrites: the payload kage writes by hand is
// byte for byte json.Marshal's of the same content, for plain names and
// scopes and for those json.Marshal escapes.
func TestFileWritesWhatJSONMarshalWrites(t *testing.T) {
	type secret struct {
		Scope   string    `json:"scope"`
		Name    string    `json:"name"`
		Value   []byte    `json:"value"`
		Created time.Time `json:"created"`
		Updated time.Time `json:"updated"`
	}
	type payload struct {
		Store      string   `json:"store"`
		Generation uint64   `json:"generation"`
		Secrets    []secret `json:"secrets"`
	}
	for name, scopes := range map[string][]string{
		"plain":   {"global", "namespace:backend", "repo:/home/dev/My Projects/x~1"},
		"escaped": {"global", "repo:/home/dév/a<b>&c", "repo:/tmp/\"q\"\\x", "repo:/x\u2028y"},
		"empty":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), keyring.FileName)
			key := newIdentityKey(t)
			f := keyring.NewFile(path, key)
			for i, sc := range scopes {
				for _, v := range [][]byte{nil, []byte("v"), {0xff, 0, '\n'}} {
					if err := f.Set(bg, sc, fmt.Sprintf("N_%d_%d", i, len(v)), v); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(scopes) == 0 {
				if err := f.Set(bg, "global", "A", []byte("a")); err != nil {
					t.Fatal(err)
				}
				if err := f.Delete(bg, "global", "A"); err != nil {
					t.Fatal(err)
				}
			}
			var d struct {
				Payload json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(decryptFile(t, path, key.Identities...), &d); err != nil {
				t.Fatal(err)
			}
			var p payload
			if err := json.Unmarshal(d.Payload, &p); err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Payload, want) {
				t.Errorf("payload written:\n%s\njson.Marshal:\n%s", d.Payload, want)
			}
			if es, err := keyring.NewFile(path, key).List(bg); err != nil || len(es) != 3*len(scopes) {
				t.Errorf("List = %v, %v", es, err)
			}
		})
	}
}

// TestFileCancelledPassphraseNotAskedAgain: a prompt the user cancelled is
// not shown again by the same File, so one Ctrl-C ends a command's
// prompts, List's and GetMany's alike.
func TestFileCancelledPassphraseNotAskedAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.age")
	pass := func() ([]byte, error) { return []byte("pw"), nil }
	w := keyring.NewFile(path, keyring.FileKey{Passphrase: pass, ScryptWorkFactor: 10})
	if err := w.Set(context.Background(), "global", "A", []byte("v")); err != nil {
		t.Fatal(err)
	}
	asked := 0
	cancelled := func() ([]byte, error) { asked++; return nil, context.Canceled }
	f := keyring.NewFile(path, keyring.FileKey{Passphrase: cancelled, ScryptWorkFactor: 10})
	if _, err := f.List(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("List: %v, want the cancellation", err)
	}
	if _, err := f.GetMany(context.Background(), []keyring.Ref{{Scope: "global", Name: "A"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetMany: %v, want the cancellation", err)
	}
	if asked != 1 {
		t.Fatalf("asked %d times, want once", asked)
	}
}
