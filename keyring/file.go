package keyring

// The file store keeps every secret in one age-encrypted file, for machines
// where no keychain runs: containers, CI, headless servers.
//
// The file is an ordinary age file (filippo.io/age, the format of the age
// CLI), encrypted either to age identities (X25519, or post-quantum hybrid
// ones) or to a passphrase through scrypt. Its plaintext is JSON:
//
//	{"version":1,"secrets":[{"scope":"global","name":"API_KEY",
//	  "value":"<base64>","created":"<RFC 3339>","updated":"<RFC 3339>"}]}
//
// The names, scopes and times live inside the encryption with the values:
// nothing about the secrets is on disk in plain text, so there is no index
// beside the file and List decrypts it as Get does. With the age CLI and the
// key, `age -d -i KEY secrets.age` shows it all.
//
// Every write holds a lock (secrets.age.lock beside the file), reads and
// decrypts the current file, changes it, encrypts the result straight into a
// temporary file in the same folder (age encrypts as it writes, so no
// plaintext byte reaches the disk), syncs it and renames it over the old
// file. Readers take no lock: the rename is atomic. A file kage cannot
// decrypt or parse is an error that names it; kage never writes over it and
// never takes it for an empty store. A missing file is an empty store.
//
// Passphrase cost: age's scrypt work factor is 2^18, which takes 256 MiB of
// memory and about half a second of CPU (0.47 s measured on a 2-core AMD
// EPYC server; age estimates 1 s), paid once to open the file and once more
// to write it, since every write wraps a new file key under a new salt: a
// read costs one scrypt, a Set or Delete two. With an identity, a read of
// 100 secrets costs about 0.3 ms and a write under 1 ms, mostly fsync.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
)

// FileName is the file store's file name in kage's data folder.
const FileName = "secrets.age"

// fileVersion is written into the plaintext so a later format can be told
// apart.
const fileVersion = 1

// fileSystem names the file store in TooBigError.
const fileSystem = "file store"

// ErrWrongKey is matched (errors.Is) by the error for a file the identity or
// passphrase kage was given does not open.
var ErrWrongKey = errors.New("wrong key for the secrets file")

// FileKey says how the file store encrypts: with Identities (and Recipients,
// the public keys new versions of the file are encrypted to) or with a
// Passphrase, never both.
type FileKey struct {
	// Identities decrypt the file: from an identity file or
	// KAGE_AGE_IDENTITY.
	Identities []age.Identity
	// Recipients are what each write encrypts to. Empty means the
	// recipients of Identities; more may be added so that others can
	// still decrypt the file kage rewrites (age cannot tell kage whom an
	// existing file was encrypted to).
	Recipients []age.Recipient
	// Passphrase returns the passphrase. It is a function so that the
	// terminal prompt happens only when the file is actually opened; a
	// File asks at most once, and again only after a wrong passphrase.
	Passphrase func() ([]byte, error)
	// ScryptWorkFactor is log2 of scrypt's cost for the files a passphrase
	// store writes; 0 means age's default, 18. Only tests lower it: a file
	// written with a lower factor is that much cheaper to brute-force.
	ScryptWorkFactor int
	// Source says where the key came from ("KAGE_AGE_IDENTITY", an identity
	// file's path), for error messages; ParseIdentity and ParseIdentityFile
	// set it.
	Source string
}

// FileError reports a secrets file kage cannot use: unreadable, corrupt, or
// of another version. kage never overwrites such a file.
type FileError struct {
	Path string
	// Msg completes "secrets file PATH …".
	Msg string
	// Fix tells the user what to do next.
	Fix string
	// Err is the underlying error, for errors.Is/As.
	Err error
}

func (e *FileError) Error() string { return fmt.Sprintf("secrets file %s %s", e.Path, e.Msg) }

// Hint returns the fix, shown on its own line.
func (e *FileError) Hint() string { return e.Fix }

func (e *FileError) Unwrap() error { return e.Err }

// FileKeyError says the identity or passphrase kage was given does not open
// the file, or that none was given. It matches ErrWrongKey when a key was
// tried and failed. Nothing was changed.
type FileKeyError struct {
	Path string
	// Msg is the whole message; it names the file.
	Msg string
	// Fix tells the user what to do next.
	Fix string
	// Err is age's error, for errors.Is/As.
	Err error
}

func (e *FileKeyError) Error() string { return e.Msg }

// Hint returns the fix, shown on its own line.
func (e *FileKeyError) Hint() string { return e.Fix }

func (e *FileKeyError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrWrongKey) true when a key was tried.
func (e *FileKeyError) Is(target error) bool {
	var nm *age.NoIdentityMatchError
	return target == ErrWrongKey && errors.As(e.Err, &nm)
}

const (
	fixCorrupt     = "kage never writes over it: restore it from a backup, or move it aside to start an empty store"
	fixIdentity    = "check KAGE_AGE_IDENTITY, or identity = … under [secrets] in config.toml: it must be the identity the file was encrypted to"
	fixPassphrase  = "type the passphrase the file was created with (or set KAGE_PASSPHRASE to it)"
	fixNeedsIdent  = "set KAGE_AGE_IDENTITY, or identity = … under [secrets] in config.toml, to the identity the file was encrypted to"
	fixNeedsPass   = "this file was made with a passphrase: unset KAGE_AGE_IDENTITY and identity = … in config.toml, and give the passphrase (or KAGE_PASSPHRASE)"
	fixNoKey       = "set KAGE_AGE_IDENTITY or KAGE_PASSPHRASE, or run: kage init --backend file"
	fixIdentityMod = "run: chmod 600 %s"
)

// ParseIdentity parses one or more age identities (AGE-SECRET-KEY-1…, one a
// line), such as the value of KAGE_AGE_IDENTITY, and derives their
// recipients. Its errors never quote the key.
func ParseIdentity(s string) (FileKey, error) {
	ids, err := age.ParseIdentities(strings.NewReader(strings.TrimSpace(s)))
	if err != nil {
		return FileKey{}, fmt.Errorf("not an age identity (AGE-SECRET-KEY-1…): %v", err)
	}
	return identityKey(ids, "KAGE_AGE_IDENTITY")
}

// ParseIdentityFile reads an age identity file, as age-keygen and
// GenerateIdentityFile write it, and derives the recipients. It refuses a
// file that others may read or write: it holds the key to every secret.
func ParseIdentityFile(path string) (FileKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileKey{}, fmt.Errorf("read age identity file %s: %s", path, pathErr(err))
	}
	defer f.Close()
	if runtime.GOOS != "windows" {
		// Stat the open file, not the path, so the mode checked is the
		// mode of what is read. Windows has no such mode bits.
		st, err := f.Stat()
		if err != nil {
			return FileKey{}, fmt.Errorf("read age identity file %s: %s", path, pathErr(err))
		}
		if m := st.Mode().Perm(); m&0o077 != 0 {
			return FileKey{}, &FileError{
				Path: path,
				Msg:  fmt.Sprintf("is an age identity that others may read (mode %04o); kage refuses to use it", m),
				Fix:  fmt.Sprintf(fixIdentityMod, path),
			}
		}
	}
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return FileKey{}, fmt.Errorf("age identity file %s: %v", path, err)
	}
	return identityKey(ids, path)
}

// identityKey builds a FileKey from identities, with their recipients.
func identityKey(ids []age.Identity, source string) (FileKey, error) {
	k := FileKey{Identities: ids, Source: source}
	for _, id := range ids {
		switch id := id.(type) {
		case *age.X25519Identity:
			k.Recipients = append(k.Recipients, id.Recipient())
		case *age.HybridIdentity:
			k.Recipients = append(k.Recipients, id.Recipient())
		default:
			return FileKey{}, fmt.Errorf("%s: unsupported age identity type %T", source, id)
		}
	}
	return k, nil
}

// GenerateIdentityFile writes a new X25519 identity to path in age-keygen's
// format, mode 0600, creating the parent folder 0700. It never overwrites an
// existing file. It returns the public key (age1…).
func GenerateIdentityFile(path string) (recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create folder for the age identity %s: %s", path, pathErr(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("age identity file %s already exists; kage never overwrites it", path)
	}
	if err != nil {
		return "", fmt.Errorf("create age identity file %s: %s", path, pathErr(err))
	}
	rcpt := id.Recipient().String()
	content := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().Format(time.RFC3339), rcpt, id)
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("write age identity file %s: %s", path, pathErr(err))
	}
	syncDir(filepath.Dir(path))
	return rcpt, nil
}

// File is the Store over one age-encrypted file.
type File struct {
	path string
	key  FileKey
	now  func() time.Time

	mu   sync.Mutex
	pass []byte // the passphrase once given, so one command asks once
}

// NewFile returns the file store kept in path, encrypted with key. Nothing
// is read or asked for until the first call.
func NewFile(path string, key FileKey) *File {
	return &File{path: path, key: key, now: time.Now}
}

// Path is the secrets file's path.
func (f *File) Path() string { return f.path }

// MaxValue is the largest value the file store takes: MaxInput, whatever the
// scope and name.
func (f *File) MaxValue(scope, name string) int { return MaxInput }

type fileData struct {
	Version int          `json:"version"`
	Secrets []fileSecret `json:"secrets"`
}

type fileSecret struct {
	Scope   string    `json:"scope"`
	Name    string    `json:"name"`
	Value   []byte    `json:"value"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Set stores value, keeping the creation time of a value it replaces.
func (f *File) Set(ctx context.Context, scope, name string, value []byte) error {
	if len(value) > MaxInput {
		return &TooBigError{Name: name, Size: len(value), Limit: MaxInput, System: fileSystem}
	}
	return f.update(ctx, func(secrets []fileSecret) ([]fileSecret, error) {
		now := f.now().UTC()
		// Marshalled before Set returns: no copy is needed to keep the
		// caller's later changes to value out.
		v := value
		if v == nil {
			v = []byte{}
		}
		if i := findSecret(secrets, scope, name); i >= 0 {
			secrets[i].Value = v
			secrets[i].Updated = now
			return secrets, nil
		}
		return append(secrets, fileSecret{Scope: scope, Name: name, Value: v, Created: now, Updated: now}), nil
	})
}

// Get returns one value.
func (f *File) Get(ctx context.Context, scope, name string) ([]byte, error) {
	secrets, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	if i := findSecret(secrets, scope, name); i >= 0 {
		return secrets[i].Value, nil
	}
	return nil, &NotFoundError{Scope: scope, Name: name}
}

// Delete removes one value; a name that is not stored is ErrNotFound and
// leaves the file untouched.
func (f *File) Delete(ctx context.Context, scope, name string) error {
	return f.update(ctx, func(secrets []fileSecret) ([]fileSecret, error) {
		i := findSecret(secrets, scope, name)
		if i < 0 {
			return nil, &NotFoundError{Scope: scope, Name: name}
		}
		return slices.Delete(secrets, i, i+1), nil
	})
}

// List decrypts the file and returns every secret's metadata, sorted by
// name then scope.
func (f *File) List(ctx context.Context) ([]Entry, error) {
	secrets, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(secrets))
	for i, s := range secrets {
		entries[i] = Entry{Scope: s.Scope, Name: s.Name, Created: s.Created, Updated: s.Updated}
	}
	sortEntries(entries)
	return entries, nil
}

// GetMany decrypts the file once for all refs.
func (f *File) GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error) {
	secrets, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[Ref][]byte, len(refs))
	for _, r := range refs {
		if i := findSecret(secrets, r.Scope, r.Name); i >= 0 {
			out[r] = secrets[i].Value
		}
	}
	return out, nil
}

// read decrypts the current file without the lock: writers replace it
// atomically, so a reader sees one version or the next, whole.
func (f *File) read(ctx context.Context) ([]fileSecret, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return f.load()
}

// update runs fn on the current secrets under the lock and writes what it
// returns; an error from fn, or from reading the file, writes nothing.
// Holding the lock from the read to the rename is what keeps concurrent
// writers from losing each other's secrets.
func (f *File) update(ctx context.Context, fn func([]fileSecret) ([]fileSecret, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	secrets, err := f.load()
	if err != nil {
		return err
	}
	secrets, err = fn(secrets)
	if err != nil {
		return err
	}
	return f.write(secrets)
}

// lock takes the file's lock, creating its folder 0700 if needed, and
// removes the temporary files of writers killed before their rename
// (removeTemps).
func (f *File) lock(ctx context.Context) (unlock func(), err error) {
	unlock, err = lockFile(ctx, f.path+".lock", "the secrets file "+f.path)
	if err != nil {
		return nil, err
	}
	removeTemps(f.path)
	return unlock, nil
}

// load reads and decrypts the file. A missing file is an empty store; any
// other failure is an error, never an empty store.
func (f *File) load() ([]fileSecret, error) {
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &FileError{Path: f.path, Msg: "cannot be read: " + pathErr(err), Fix: "check the file's owner and mode (kage writes it 0600)", Err: err}
	}
	defer file.Close()
	ids, err := f.identities()
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bufio.NewReader(file), ids...)
	if err != nil {
		return nil, f.decryptError(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, f.corrupt("is truncated or damaged: "+err.Error(), err)
	}
	var d fileData
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, f.corrupt("decrypts but is not kage's format: "+err.Error(), err)
	}
	if dec.More() {
		return nil, f.corrupt("decrypts but has data after kage's content", nil)
	}
	if d.Version != fileVersion {
		return nil, &FileError{Path: f.path, Msg: fmt.Sprintf("has version %d; this kage reads version %d", d.Version, fileVersion), Fix: "use the kage that wrote it; this one never writes over it"}
	}
	for i, s := range d.Secrets {
		switch {
		case s.Scope == "" || s.Name == "":
			return nil, f.corrupt("decrypts but an entry lacks its scope or name", nil)
		case s.Value == nil:
			return nil, f.corrupt(fmt.Sprintf("decrypts but %s in %s has no value", s.Name, s.Scope), nil)
		case findSecret(d.Secrets[:i], s.Scope, s.Name) >= 0:
			return nil, f.corrupt(fmt.Sprintf("decrypts but holds %s in %s twice", s.Name, s.Scope), nil)
		}
	}
	return d.Secrets, nil
}

func (f *File) corrupt(msg string, err error) error {
	return &FileError{Path: f.path, Msg: msg, Fix: fixCorrupt, Err: err}
}

// decryptError tells a wrong key from a damaged file. age reports a key
// that matches no recipient stanza as NoIdentityMatchError, and names the
// stanza types, which say whether the file wants a passphrase.
func (f *File) decryptError(err error) error {
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) {
		return f.corrupt("is corrupt or not an age file: "+err.Error(), err)
	}
	scrypt := slices.Contains(nm.StanzaTypes, "scrypt")
	e := &FileKeyError{Path: f.path, Err: err}
	switch {
	case f.key.Passphrase != nil && scrypt:
		f.forgetPassphrase()
		e.Msg = fmt.Sprintf("wrong passphrase for %s", f.path)
		e.Fix = fixPassphrase
	case f.key.Passphrase != nil:
		e.Msg = fmt.Sprintf("%s is encrypted to an age identity, not a passphrase", f.path)
		e.Fix = fixNeedsIdent
	case scrypt:
		e.Msg = fmt.Sprintf("%s is encrypted with a passphrase, not an age identity", f.path)
		e.Fix = fixNeedsPass
	default:
		src := ""
		if f.key.Source != "" {
			src = " (" + f.key.Source + ")"
		}
		e.Msg = fmt.Sprintf("%s is encrypted to another age identity than the one kage was given%s", f.path, src)
		e.Fix = fixIdentity
	}
	return e
}

// write encrypts secrets into a temporary file beside the target and
// renames it into place. The plaintext exists only in memory: age encrypts
// each chunk before it is written.
func (f *File) write(secrets []fileSecret) error {
	recipients, err := f.recipients()
	if err != nil {
		return err
	}
	slices.SortFunc(secrets, func(a, b fileSecret) int {
		return cmpRef(a.Name, a.Scope, b.Name, b.Scope)
	})
	if secrets == nil {
		secrets = []fileSecret{}
	}
	plain, err := json.Marshal(fileData{Version: fileVersion, Secrets: secrets})
	if err != nil {
		return err
	}
	tmp, err := writeTemp(f.path, "secrets file "+f.path, func(out io.Writer) error {
		// Encrypted on its way to the disk: no plain text ever is.
		buf := bufio.NewWriter(out)
		w, err := age.Encrypt(buf, recipients...)
		if err != nil {
			return err
		}
		if _, err := w.Write(plain); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		return buf.Flush()
	})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, f.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace secrets file %s: %s", f.path, pathErr(err))
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// identities returns what decrypts the file, asking for the passphrase if
// that is the key.
func (f *File) identities() ([]age.Identity, error) {
	if err := f.checkKey(); err != nil {
		return nil, err
	}
	if f.key.Passphrase == nil {
		return f.key.Identities, nil
	}
	p, err := f.passphrase()
	if err != nil {
		return nil, err
	}
	id, err := age.NewScryptIdentity(string(p))
	if err != nil {
		return nil, err
	}
	return []age.Identity{id}, nil
}

// recipients returns what a write encrypts to.
func (f *File) recipients() ([]age.Recipient, error) {
	if err := f.checkKey(); err != nil {
		return nil, err
	}
	if f.key.Passphrase == nil {
		if len(f.key.Recipients) > 0 {
			return f.key.Recipients, nil
		}
		k, err := identityKey(f.key.Identities, f.key.Source)
		if err != nil {
			return nil, err
		}
		return k.Recipients, nil
	}
	p, err := f.passphrase()
	if err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(string(p))
	if err != nil {
		return nil, err
	}
	if wf := f.key.ScryptWorkFactor; wf != 0 {
		r.SetWorkFactor(wf)
	}
	return []age.Recipient{r}, nil
}

func (f *File) checkKey() error {
	switch hasIDs, hasPass := len(f.key.Identities) > 0, f.key.Passphrase != nil; {
	case hasIDs && hasPass:
		return fmt.Errorf("secrets file %s: give either an age identity or a passphrase, not both", f.path)
	case !hasIDs && !hasPass:
		return &FileKeyError{Path: f.path, Msg: fmt.Sprintf("no age identity or passphrase to open %s", f.path), Fix: fixNoKey}
	}
	return nil
}

// passphrase asks for the passphrase once per File; the lock keeps
// concurrent calls from asking twice.
func (f *File) passphrase() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pass != nil {
		return f.pass, nil
	}
	p, err := f.key.Passphrase()
	if err != nil {
		return nil, fmt.Errorf("read the passphrase for %s: %w", f.path, err)
	}
	if len(p) == 0 {
		return nil, &FileKeyError{Path: f.path, Msg: fmt.Sprintf("the passphrase for %s is empty", f.path), Fix: fixPassphrase}
	}
	f.pass = p
	return p, nil
}

// forgetPassphrase drops a passphrase that turned out wrong, so that a
// retry asks again.
func (f *File) forgetPassphrase() {
	f.mu.Lock()
	f.pass = nil
	f.mu.Unlock()
}

// findSecret returns the position of scope/name in ss, or -1.
func findSecret(ss []fileSecret, scope, name string) int {
	for i, s := range ss {
		if s.Scope == scope && s.Name == name {
			return i
		}
	}
	return -1
}

// cmpRef orders by name, then scope, as sortEntries does.
func cmpRef(aName, aScope, bName, bScope string) int {
	if c := strings.Compare(aName, bName); c != 0 {
		return c
	}
	return strings.Compare(aScope, bScope)
}
