package keyring

// The file store keeps every secret in one age-encrypted file, for machines
// where no keychain runs: containers, CI, headless servers.
//
// The file is an ordinary age file (filippo.io/age, the format of the age
// CLI), encrypted either to age identities (X25519, or post-quantum hybrid
// ones) or to a passphrase through scrypt. Its plaintext is JSON:
//
//	{"version":2,"payload":{"store":"<32 hex>","generation":7,
//	  "secrets":[{"scope":"global","name":"API_KEY","value":"<base64>",
//	  "created":"<RFC 3339>","updated":"<RFC 3339>"}]},"macs":["<base64>"]}
//
// The names, scopes and times live inside the encryption with the values:
// nothing about the secrets is on disk in plain text, so there is no index
// beside the file and List decrypts it as Get does. With the age CLI and the
// key, `age -d -i KEY secrets.age` shows it all. macs (one HMAC of the
// payload's exact bytes per identity, none for a passphrase), the store ID
// and the generation make the file authentic and fresh: filefresh.go says
// how. Version 1, an older kage's, had the secrets at the top level and
// nothing else.
//
// Every write holds a lock (secrets.age.lock beside the file), reads and
// decrypts the current file, changes it, encrypts the result straight into a
// temporary file in the same folder (age encrypts as it writes, so no
// plaintext byte reaches the disk), syncs it and renames it over the old
// file, then records its generation. Readers take no lock: the rename is
// atomic. A file kage cannot decrypt, parse or trust is an error that names
// it; kage never writes over it and never takes it for an empty store. A
// missing file is an empty store. The file is read as a plain file only:
// never through a link, never a FIFO or device, at most maxFileSize.
//
// Passphrase cost: age's scrypt work factor is 2^18, which takes 256 MiB of
// memory and about half a second of CPU (0.47 s measured on a 2-core AMD
// EPYC server; age estimates 1 s), paid once to open the file and once more
// to write it, since every write wraps a new file key under a new salt: a
// read costs one scrypt, a Set or Delete two. With an identity, a read of
// 100 secrets costs about 0.3 ms and a write under 1 ms, mostly fsync.
//
// A File decrypts each version of the file once (decode): kage env's List
// and GetMany, or import's List and its Sets, read the file every time but
// decrypt it again only if its bytes changed, so a command pays one
// decryption (one scrypt), and the write after it one encryption.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/kage-cli/kage/internal/safefile"
)

// FileName is the file store's file name in kage's data folder.
const FileName = "secrets.age"

// fileVersion is written into the plaintext so a later format can be told
// apart; legacyVersion is the format of kage before the MAC and generation.
const (
	fileVersion   = 2
	legacyVersion = 1
)

// maxFileSize caps what kage reads as a secrets file (a link to /dev/zero
// or a sparse file must not exhaust memory) and so what it writes.
const maxFileSize = 64 << 20

// maxIdentityFile caps an identity file: a few keys and comments.
const maxIdentityFile = 64 << 10

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
	// NewPassphrase, when set, is asked instead of Passphrase for the
	// write that creates the file: the caller confirms a new passphrase
	// (asks it twice), since a typo there locks the user out.
	NewPassphrase func() ([]byte, error)
	// ScryptWorkFactor is log2 of scrypt's cost for the files a passphrase
	// store writes; 0 means age's default, 18. Only tests lower it: a file
	// written with a lower factor is that much cheaper to brute-force.
	ScryptWorkFactor int
	// Source says where the key came from ("KAGE_AGE_IDENTITY", an identity
	// file's path), for error messages; ParseIdentity and ParseIdentityFile
	// set it.
	Source string
}

// FileError reports a secrets file kage cannot use: unreadable, corrupt,
// of another version, not authentic (ErrNotAuthentic) or older than the
// one kage last saw (ErrRolledBack). kage never overwrites such a file.
type FileError struct {
	// Kind names the file in the message; "" is "secrets file".
	Kind string
	Path string
	// Msg completes "secrets file PATH …".
	Msg string
	// Fix tells the user what to do next.
	Fix string
	// Err is the underlying error, for errors.Is/As.
	Err error
}

func (e *FileError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "secrets file"
	}
	return fmt.Sprintf("%s %s %s", kind, e.Path, e.Msg)
}

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

// IdentityError reports an identity kage cannot use. Its message never
// holds any part of the identity's text, only where it came from and a line
// number.
type IdentityError struct {
	Msg string
	// Fix tells the user what to do next.
	Fix string
	// Err is the underlying error, for errors.Is/As; its text may quote
	// the input and is never shown.
	Err error
}

func (e *IdentityError) Error() string { return e.Msg }

// Hint returns the fix, shown on its own line.
func (e *IdentityError) Hint() string { return e.Fix }

func (e *IdentityError) Unwrap() error { return e.Err }

const (
	fixIdentityText = "give the key itself (the AGE-SECRET-KEY-1… line of identity.txt) or the path of an identity file"
	fixIdentityPath = "check the setting: it must be the key itself (AGE-SECRET-KEY-1…) or the path of an identity file that exists"
)

// LooksLikeIdentity reports whether a setting that may hold a path or a key
// (KAGE_AGE_IDENTITY) holds key material instead of a path: any spelling of
// an age secret key, several lines (an identity file's content), a comment,
// or a quoted value. Such a value is never taken for a path, whose errors
// would quote it.
func LooksLikeIdentity(s string) bool {
	u := strings.ToUpper(s)
	t := strings.TrimSpace(s)
	return strings.Contains(u, "AGE-SECRET-KEY-") || strings.Contains(u, "AGE-PLUGIN-") ||
		strings.ContainsAny(s, "\n\r") || strings.HasPrefix(t, "#") ||
		strings.HasPrefix(t, "'") || strings.HasPrefix(t, "\"")
}

// ParseIdentity parses one or more age identities (AGE-SECRET-KEY-1…, one a
// line), such as the value of KAGE_AGE_IDENTITY, and derives their
// recipients. It takes an identity file's whole content too — comment
// lines, CRLF line ends, surrounding white space and quotes, a key in lower
// case. Its errors never quote the key, nor any other part of s.
func ParseIdentity(s string) (FileKey, error) {
	ids, err := parseIdentities(s, "KAGE_AGE_IDENTITY")
	if err != nil {
		return FileKey{}, err
	}
	return identityKey(ids, "KAGE_AGE_IDENTITY")
}

// ParseIdentitySetting reads a setting that holds either an age identity or
// the path of an identity file (KAGE_AGE_IDENTITY; from names it in
// messages). Key material (LooksLikeIdentity) is parsed as a key; anything
// else is a path, and a path that names no file is an error that does not
// repeat it: a key kage failed to recognise, in some other spelling, must
// not reach a terminal or a log.
func ParseIdentitySetting(value, from string) (FileKey, error) {
	if LooksLikeIdentity(value) {
		ids, err := parseIdentities(value, from)
		if err != nil {
			return FileKey{}, err
		}
		return identityKey(ids, from)
	}
	if _, err := os.Lstat(value); err != nil {
		return FileKey{}, &IdentityError{
			Msg: from + " is neither an age identity nor the path of a file that exists (kage does not repeat it: it may hold a key)",
			Fix: fixIdentityPath,
			Err: err,
		}
	}
	return ParseIdentityFile(value)
}

// parseIdentities parses text line by line, so that an error can name the
// line without age's message, which may quote it.
func parseIdentities(text, from string) ([]age.Identity, error) {
	text = unquote(strings.TrimSpace(text))
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	var ids []age.Identity
	for i, line := range lines {
		line = unquote(strings.TrimSpace(line))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Bech32 is case-insensitive when all of one case; age reads
		// upper case only.
		if line == strings.ToLower(line) {
			line = strings.ToUpper(line)
		}
		got, err := age.ParseIdentities(strings.NewReader(line))
		if err != nil {
			msg := from + " is not an age identity (AGE-SECRET-KEY-1…)"
			if len(lines) > 1 {
				msg = fmt.Sprintf("%s: line %d is not an age identity (AGE-SECRET-KEY-1…)", from, i+1)
			}
			return nil, &IdentityError{Msg: msg, Fix: fixIdentityText, Err: errors.New("age: malformed identity")}
		}
		ids = append(ids, got...)
	}
	if len(ids) == 0 {
		return nil, &IdentityError{Msg: from + " holds no age identity (AGE-SECRET-KEY-1…)", Fix: fixIdentityText}
	}
	return ids, nil
}

// unquote drops one pair of matching quotes around s, as a shell or a
// .env file would have.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// ParseIdentityFile reads an age identity file, as age-keygen and
// GenerateIdentityFile write it, and derives the recipients. It refuses a
// file that others may read or write: it holds the key to every secret. The
// file may be a link (the user chose it), but must be a regular file of at
// most 64 KiB; its content is never quoted in an error.
func ParseIdentityFile(path string) (FileKey, error) {
	if runtime.GOOS != "windows" {
		// Windows has no such mode bits.
		st, err := os.Stat(path)
		if err != nil {
			return FileKey{}, fmt.Errorf("read age identity file %s: %s", path, pathErr(err))
		}
		if m := st.Mode().Perm(); st.Mode().IsRegular() && m&0o077 != 0 {
			return FileKey{}, &FileError{
				Kind: "age identity file",
				Path: path,
				Msg:  fmt.Sprintf("is a key that others may read (mode %04o); kage refuses to use it", m),
				Fix:  fmt.Sprintf(fixIdentityMod, path),
			}
		}
	}
	data, err := safefile.ReadFile(path, safefile.Options{Max: maxIdentityFile, Follow: true})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return FileKey{}, fmt.Errorf("read age identity file %s: %s", path, pathErr(err))
		}
		return FileKey{}, &IdentityError{Msg: "age identity file " + path + " " + safefile.Describe(err), Fix: "point the setting at the identity file itself", Err: err}
	}
	ids, err := parseIdentities(string(data), "age identity file "+path)
	if err != nil {
		return FileKey{}, err
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
	seen string // the generation record; "" is SeenFileName beside path

	mu   sync.Mutex
	pass []byte // the passphrase once given, so one command asks once
	// passErr is a prompt the user cancelled: this File does not ask
	// again, so a Ctrl-C is not followed by the same prompt at once.
	passErr error
	keys    [][]byte // the MAC keys, derived once
	canon   string   // path, canonical: the generation record's key
	// last is the version of the file this File last decrypted or wrote,
	// so that a command's List, GetMany and Set open the file once. It
	// lives in memory only, as long as the File: one command.
	last *decoded
	// lastRead is what read last returned, and the stamp of the file it
	// came from: while the file keeps that stamp, read returns it again
	// without opening the file (see read).
	lastRead *loaded
	// reads counts the times the file was opened and read, for tests.
	reads int
}

// NewFile returns the file store kept in path, encrypted with key. It
// records the generations it sees in SeenFileName beside path unless
// WithSeenFile says otherwise. Nothing is read or asked for until the first
// call.
func NewFile(path string, key FileKey) *File {
	return &File{path: path, key: key, now: time.Now}
}

// WithSeenFile keeps the generation record in seen — kage's data folder,
// on this machine, when the secrets file may be in a synced or shared
// folder that someone else could roll back — and returns f. Call it before
// the first use.
func (f *File) WithSeenFile(seen string) *File {
	f.seen = seen
	return f
}

// Path is the secrets file's path.
func (f *File) Path() string { return f.path }

// MaxValue is the largest value the file store takes: MaxInput, whatever the
// scope and name.
func (f *File) MaxValue(scope, name string) int { return MaxInput }

// envelope is the plaintext as parsed: version 2's payload, decoded and as
// the bytes its MACs cover, and MACs; or version 1's secrets.
type envelope struct {
	version    int
	payload    []byte
	p          filePayload
	macs       [][]byte
	secrets    []fileSecret
	hasPayload bool
	hasMACs    bool
	hasSecrets bool
}

var (
	errNotObject = errors.New("not a JSON object")
	errDuplicate = errors.New("a field given twice")
	errUnknown   = errors.New("json: unknown field")
)

// parseEnvelope reads the plaintext's top-level object a field at a time,
// so that the payload — nearly all of it — is scanned once to decode it,
// and its bytes are taken from the same pass: kage env must not pay a
// second decoding for the MAC. inPayload says the error is the payload's.
func parseEnvelope(plain []byte) (e envelope, inPayload bool, err error) {
	if e, ok := parseWritten(plain); ok {
		return e, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if t, err := dec.Token(); err != nil {
		return e, false, err
	} else if t != json.Delim('{') {
		return e, false, errNotObject
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return e, false, err
		}
		key, _ := t.(string)
		if seen[key] {
			return e, false, errDuplicate
		}
		seen[key] = true
		switch key {
		case "version":
			err = dec.Decode(&e.version)
		case "macs":
			e.hasMACs = true
			err = dec.Decode(&e.macs)
		case "secrets":
			e.hasSecrets = true
			err = dec.Decode(&e.secrets)
		case "payload":
			e.hasPayload = true
			start := dec.InputOffset()
			if err := dec.Decode(&e.p); err != nil {
				return e, true, err
			}
			// From the end of the key to the end of the value: the
			// colon and white space, then the value's exact bytes.
			e.payload = bytes.TrimLeft(plain[start:dec.InputOffset()], " \t\r\n:")
		default:
			return e, false, errUnknown
		}
		if err != nil {
			return e, false, err
		}
	}
	if t, err := dec.Token(); err != nil {
		return e, false, err
	} else if t != json.Delim('}') {
		return e, false, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, false, errTrailing
	}
	return e, false, nil
}

// parseWritten parses plain if it is exactly as write puts it together:
// version 2, kage's fields in kage's order, no white space, strings
// without escapes or control characters. It reports whether it did. On
// that subset of JSON it gives what encoding/json gives — values through
// the same base64 decoding, times through time.Time's own UnmarshalJSON —
// in a fraction of the time, which at a thousand secrets is most of what
// kage env costs. Anything else, hand-written or damaged, goes to the
// general parser, which also words the errors.
func parseWritten(plain []byte) (envelope, bool) {
	var e envelope
	p := scan{b: plain}
	if !p.lit(`{"version":2,"payload":`) {
		return e, false
	}
	start := p.i
	e.version, e.hasPayload = fileVersion, true
	var ok bool
	if !p.lit(`{"store":`) {
		return e, false
	}
	if e.p.Store, ok = p.str(); !ok || !p.lit(`,"generation":`) {
		return e, false
	}
	if e.p.Generation, ok = p.uint(); !ok || !p.lit(`,"secrets":[`) {
		return e, false
	}
	// Counted first: growing the slice would copy it a dozen times. But no
	// more than the bytes left could hold as whole entries, nor more than
	// a big store has: someone with only the public key can write a file
	// of nothing but {"scope":, and the count alone would reserve 12 times
	// its size before a check. Beyond, append grows it.
	n := bytes.Count(plain[p.i:], []byte(`{"scope":`))
	e.p.Secrets = make([]fileSecret, 0, min(n, (len(plain)-p.i)/len(minFileEntry), 1<<14))
	scopes := map[string]string{}
	for !p.lit("]") {
		if len(e.p.Secrets) > 0 && !p.lit(",") {
			return e, false
		}
		var s fileSecret
		var sc []byte
		if !p.lit(`{"scope":`) {
			return e, false
		}
		if sc, ok = p.strBytes(); !ok || !p.lit(`,"name":`) {
			return e, false
		}
		// A few scopes hold all the names: one string each.
		if s.Scope, ok = scopes[string(sc)]; !ok {
			s.Scope = string(sc)
			scopes[s.Scope] = s.Scope
		}
		if s.Name, ok = p.str(); !ok || !p.lit(`,"value":`) {
			return e, false
		}
		if s.Value, ok = p.base64(); !ok || !p.lit(`,"created":`) {
			return e, false
		}
		if !p.time(&s.Created) || !p.lit(`,"updated":`) || !p.time(&s.Updated) || !p.lit("}") {
			return e, false
		}
		e.p.Secrets = append(e.p.Secrets, s)
	}
	if !p.lit("}") {
		return e, false
	}
	e.payload = plain[start:p.i]
	if p.lit(`,"macs":[`) {
		e.hasMACs = true
		for !p.lit("]") {
			if len(e.macs) > 0 && !p.lit(",") {
				return e, false
			}
			m, ok := p.base64()
			if !ok {
				return e, false
			}
			e.macs = append(e.macs, m)
		}
		if len(e.macs) == 0 {
			// encoding/json makes [] an empty slice, not nil: let it.
			return e, false
		}
	}
	return e, p.lit("}") && p.i == len(plain)
}

// minFileEntry is the shortest secret parseWritten can take: empty
// strings, and the shortest time that time.Time's JSON form has.
const minFileEntry = `{"scope":"","name":"","value":"","created":"0000-01-01T00:00:00Z","updated":"0000-01-01T00:00:00Z"}`

// scan reads the JSON kage writes, for parseWritten.
type scan struct {
	b []byte
	i int
}

// lit consumes s if the input continues with it.
func (p *scan) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// strBytes consumes a string that encoding/json would return byte for
// byte: no escape, no control character, valid UTF-8. It returns its
// content, which aliases the input.
func (p *scan) strBytes() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (p *scan) str() (string, bool) {
	s, ok := p.strBytes()
	return string(s), ok
}

// base64 consumes a string and decodes it as encoding/json decodes a
// []byte: standard base64, never nil.
func (p *scan) base64() ([]byte, bool) {
	s, ok := p.strBytes()
	if !ok {
		return nil, false
	}
	v := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(v, s)
	return v[:n], err == nil
}

// time consumes a string and decodes it with time.Time's UnmarshalJSON,
// as encoding/json does.
func (p *scan) time(t *time.Time) bool {
	start := p.i
	if _, ok := p.strBytes(); !ok {
		return false
	}
	return t.UnmarshalJSON(p.b[start:p.i]) == nil
}

// uint consumes a JSON number that is a uint64: digits, no leading zero.
func (p *scan) uint() (uint64, bool) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	d := p.b[start:p.i]
	if len(d) == 0 || len(d) > 1 && d[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d), 10, 64)
	return n, err == nil
}

// payloadSize is about the length of secrets' JSON as write spells it.
func payloadSize(secrets []fileSecret) int {
	n := 128
	for _, s := range secrets {
		n += len(s.Scope) + len(s.Name) + base64.StdEncoding.EncodedLen(len(s.Value)) + 160
	}
	return n
}

// appendPayload appends p's JSON to b, byte for byte what json.Marshal
// writes: by hand when every string is one json.Marshal copies as it is
// (printable ASCII but for " \ < > &), which kage's names and scopes
// almost always are, and through json.Marshal otherwise.
func appendPayload(b []byte, p filePayload) ([]byte, error) {
	start := len(b)
	fast := plainJSON(p.Store)
	if fast {
		b = append(b, `{"store":"`...)
		b = append(b, p.Store...)
		b = append(b, `","generation":`...)
		b = strconv.AppendUint(b, p.Generation, 10)
		b = append(b, `,"secrets":`...)
		if p.Secrets == nil {
			// json.Marshal writes a nil slice as null.
			fast = false
		} else {
			b = append(b, '[')
		}
	}
	for i, s := range p.Secrets {
		if !fast {
			break
		}
		if !plainJSON(s.Scope) || !plainJSON(s.Name) || s.Value == nil || !s.Expires.IsZero() || s.Every != "" {
			// An expiry is rare: json.Marshal writes those.
			fast = false
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"scope":"`...)
		b = append(b, s.Scope...)
		b = append(b, `","name":"`...)
		b = append(b, s.Name...)
		b = append(b, `","value":"`...)
		b = base64.StdEncoding.AppendEncode(b, s.Value)
		b = append(b, `","created":`...)
		var err error
		if b, err = appendTime(b, s.Created); err != nil {
			return nil, err
		}
		b = append(b, `,"updated":`...)
		if b, err = appendTime(b, s.Updated); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	if fast {
		return append(b, "]}"...), nil
	}
	m, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append(b[:start], m...), nil
}

// appendTime appends t as json.Marshal writes a time.Time: its MarshalJSON.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	j, err := t.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// plainJSON reports whether json.Marshal writes s as it is, in quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= utf8.RuneSelf, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// filePayload is what the MACs cover, byte for byte as written.
type filePayload struct {
	Store      string       `json:"store"`
	Generation uint64       `json:"generation"`
	Secrets    []fileSecret `json:"secrets"`
}

type fileSecret struct {
	Scope   string    `json:"scope"`
	Name    string    `json:"name"`
	Value   []byte    `json:"value"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Expires time.Time `json:"expires,omitzero"`
	Every   string    `json:"expires_every,omitempty"`
}

// Set stores value, keeping the creation time and the expiry (moved on
// by its span) of a value it replaces.
func (f *File) Set(ctx context.Context, scope, name string, value []byte) error {
	return f.setWith(ctx, scope, name, value, nil)
}

// SetExpiring is Set with exp in place of the secret's expiry; it is kept
// inside the file, with the value.
func (f *File) SetExpiring(ctx context.Context, scope, name string, value []byte, exp Expiry) error {
	return f.setWith(ctx, scope, name, value, &exp)
}

// setWith is Set, with the expiry exp when it is not nil.
func (f *File) setWith(ctx context.Context, scope, name string, value []byte, exp *Expiry) error {
	if len(value) > MaxInput {
		return &TooBigError{Name: name, Size: len(value), Limit: MaxInput, System: fileSystem}
	}
	if !utf8.ValidString(scope) || !utf8.ValidString(name) {
		// JSON would write each bad byte as U+FFFD: two names would become
		// one on disk, and the next reader would refuse the whole store.
		return fmt.Errorf("keyring: the scope and name of a secret must be valid UTF-8 (%q in %q)", name, scope)
	}
	return f.update(ctx, func(secrets []fileSecret) ([]fileSecret, error) {
		now := f.now().UTC()
		// A copy: the version written stays in f.last, where the
		// caller's later changes to value must not reach it.
		v := append([]byte{}, value...)
		i := findSecret(secrets, scope, name)
		if i >= 0 {
			secrets[i].Value = v
			secrets[i].Updated = now
		} else {
			secrets = append(secrets, fileSecret{Scope: scope, Name: name, Value: v, Created: now, Updated: now})
			i = len(secrets) - 1
		}
		x := Expiry{At: secrets[i].Expires, Every: secrets[i].Every}.Renewed(now)
		if exp != nil {
			x = *exp
		}
		secrets[i].Expires, secrets[i].Every = x.At.UTC(), x.Every
		if x.At.IsZero() {
			secrets[i].Expires = time.Time{}
		}
		return secrets, nil
	})
}

// Get returns one value.
func (f *File) Get(ctx context.Context, scope, name string) ([]byte, error) {
	l, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	if i, ok := l.index[Ref{Scope: scope, Name: name}]; ok {
		return bytes.Clone(l.secrets[i].Value), nil
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
	l, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(l.secrets))
	for i, s := range l.secrets {
		entries[i] = Entry{Scope: s.Scope, Name: s.Name, Created: s.Created, Updated: s.Updated, Expires: s.Expires, Every: s.Every}
	}
	// kage writes the file in this order: checking costs less than sorting.
	if !slices.IsSortedFunc(entries, func(a, b Entry) int { return cmpRef(a.Name, a.Scope, b.Name, b.Scope) }) {
		sortEntries(entries)
	}
	return entries, nil
}

// GetMany reads the file once for all refs; after List on the same File,
// it decrypts nothing more unless the file changed.
func (f *File) GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error) {
	l, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[Ref][]byte, len(refs))
	// Copies, so that a caller that wipes a value after use does not wipe
	// the one f.last keeps: in one allocation, each capped at its length
	// so that appending to one cannot reach the next.
	total := 0
	for _, r := range refs {
		if i, ok := l.index[r]; ok {
			total += len(l.secrets[i].Value)
		}
	}
	slab := make([]byte, 0, total)
	for _, r := range refs {
		if i, ok := l.index[r]; ok {
			start := len(slab)
			slab = append(slab, l.secrets[i].Value...)
			out[r] = slab[start:len(slab):len(slab)]
		}
	}
	return out, nil
}

// read decrypts the current file without the lock: writers replace it
// atomically, so a reader sees one version or the next, whole. A file that
// is not authentic or older than the record is an error; a newer one than
// the record brings the record forward.
//
// A read whose file still has the stamp of the last read's (same device,
// inode, size, modification and change time) returns that read again:
// kage env's List then GetMany open the file once. Any write changes the
// change time, which only the kernel sets, and a writer's rename puts
// another file in place; so a File that outlives a command (a library's,
// doctor's across a repair) still sees what others stored since. The
// kernel keeps file times on a coarse clock, and a freed inode can be
// handed out again: a stamp is trusted only for a file last changed more
// than racyWindow before it was read (see settled). Writes always read the
// file afresh, under the lock.
func (f *File) read(ctx context.Context) (loaded, error) {
	if err := ctx.Err(); err != nil {
		return loaded{}, err
	}
	if l, ok := f.unchanged(); ok {
		return l, nil
	}
	start := f.now()
	l, err := f.load()
	if err != nil {
		return loaded{}, err
	}
	if l.distrust != nil {
		return loaded{}, l.distrust
	}
	if l.exists && l.store != "" && (!l.seenOK || l.gen > l.seen.Generation) {
		f.rememberRead(seenRecord{Store: l.store, Generation: l.gen})
	}
	if l.stamped && settled(l.stamp, start) {
		f.mu.Lock()
		f.lastRead = &l
		f.mu.Unlock()
	}
	return l, nil
}

// racyWindow is how recent a file's times may be for its stamp to be
// trusted: more than the coarsest clock a filesystem keeps file times with
// (FAT's two seconds; ext4 before Linux 6.13 ticks every few milliseconds).
const racyWindow = 2 * time.Second

// settled reports whether the file stamped st was last changed well before
// readAt, the time its read began. A file changed within racyWindow of the
// read is never served again from the stamp: another version could get the
// same times, and, once its inode is freed and handed out again (ext4 does
// so at once), the same inode too — git calls such files racily clean.
func settled(st fileStamp, readAt time.Time) bool {
	cutoff := readAt.Add(-racyWindow).UnixNano()
	return st.mtime < cutoff && st.ctime < cutoff
}

// unchanged returns the last read's result if the file still has its
// stamp.
func (f *File) unchanged() (loaded, bool) {
	f.mu.Lock()
	last := f.lastRead
	f.mu.Unlock()
	if last == nil {
		return loaded{}, false
	}
	fi, err := os.Lstat(f.path)
	if err != nil || !fi.Mode().IsRegular() {
		return loaded{}, false
	}
	st, ok := stampOf(fi)
	if !ok || st != last.stamp {
		return loaded{}, false
	}
	return *last, true
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
	l, err := f.load()
	if err != nil {
		return err
	}
	if l.distrust != nil {
		return l.distrust
	}
	// fn changes what it is given in place: a copy, since l.secrets may
	// be f.last's, which must keep showing the file as it is on disk.
	secrets, err := fn(slices.Clone(l.secrets))
	if err != nil {
		return err
	}
	_, err = f.write(ctx, l, secrets, false)
	return err
}

// Create writes an empty store when there is no file yet, so that its key
// is settled now (a new passphrase is asked for, and confirmed, at kage
// init rather than at the first secret set); an existing file is left as
// it is. It reports whether it wrote one.
func (f *File) Create(ctx context.Context) (bool, error) {
	unlock, err := f.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	l, err := f.load()
	if err != nil {
		return false, err
	}
	if l.exists {
		return false, nil
	}
	if _, err := f.write(ctx, l, nil, false); err != nil {
		return false, err
	}
	return true, nil
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

// loaded is one version of the file as load found it. secrets and index
// may be shared with f.last: never change them.
type loaded struct {
	secrets []fileSecret
	// index is each secret's position in secrets.
	index  map[Ref]int
	exists bool
	// store and gen are the file's store ID and generation; for a missing
	// file, the record's, so the next write continues the store.
	store string
	gen   uint64
	// seen is the record of this file, if seenOK.
	seen   seenRecord
	seenOK bool
	// stamp is the file's, taken from the descriptor it was read from, if
	// stamped.
	stamp   fileStamp
	stamped bool
	// distrust is why the file, which decrypts and parses, may not be
	// used as it is (ErrNotAuthentic, ErrRolledBack); nil when it may.
	distrust error
}

// load reads, decrypts and checks the file. A missing file is an empty
// store; any other failure is an error, never an empty store.
func (f *File) load() (loaded, error) { return f.loadFor(false) }

// loadFor is load; for Accept, an unusable record counts as none.
func (f *File) loadFor(accept bool) (loaded, error) {
	var l loaded
	// The record first, then the file: a writer records a generation only
	// once its file is in place, so the file opened next is at least as
	// new as the record read here — never a false rollback.
	seen, ok, err := f.lookupSeen()
	if err != nil && !accept {
		return l, err
	}
	l.seen, l.seenOK = seen, ok
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	raw, fi, err := safefile.ReadFileInfo(f.path, safefile.Options{Max: maxFileSize})
	if errors.Is(err, fs.ErrNotExist) {
		l.store, l.gen = seen.Store, seen.Generation
		return l, nil
	}
	if err != nil {
		return l, f.unreadable(err)
	}
	l.exists = true
	l.stamp, l.stamped = stampOf(fi)
	d, err := f.decode(raw)
	if err != nil {
		return l, err
	}
	l.secrets, l.index, l.store, l.gen = d.secrets, d.index, d.store, d.gen
	l.distrust = d.forged
	if l.distrust == nil {
		l.distrust = f.fresh(l, d.legacy)
	}
	return l, nil
}

// decoded is one exact ciphertext of the file, decrypted, parsed and
// checked: all that depends on its bytes alone, never on the generation
// record. It is not changed once made.
type decoded struct {
	raw     []byte
	secrets []fileSecret
	index   map[Ref]int
	store   string
	gen     uint64
	legacy  bool
	// forged is why the identity does not vouch for the file (no MAC, or
	// a wrong one); nil when it does, and for a passphrase.
	forged error
}

// decode decrypts, parses and checks raw, the file's bytes, or returns
// f.last if raw is byte for byte the ciphertext f.last came from. That is
// as strong as decrypting again: the same bytes under the same key are the
// same plaintext and the same MAC verdict. What depends on more than the
// bytes, the generation record, each load reads and checks afresh (fresh).
// So kage env's List then GetMany, or import's List then Set, decrypt once.
//
// Every load reads the file (read skips the load only for a file whose
// stamp shows it untouched), and a file replaced in between — by a
// writer's newer version or by an attacker — is other bytes: decrypted and
// checked in full, as any read is. Keeping the first version for the rest
// of the command whatever is put in place meanwhile would be wrong: a File
// cannot tell where a command ends, and one that outlives it (a library's,
// or doctor's across a repair) must see what other writers stored since.
func (f *File) decode(raw []byte) (*decoded, error) {
	f.mu.Lock()
	last := f.last
	f.mu.Unlock()
	if last != nil && bytes.Equal(last.raw, raw) {
		return last, nil
	}
	ids, err := f.identities()
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(raw), ids...)
	if err != nil {
		return nil, f.decryptError(err)
	}
	// The plaintext is shorter than the ciphertext: one buffer of that
	// size takes it whole, where io.ReadAll would copy it as it grows.
	pbuf := bytes.NewBuffer(make([]byte, 0, len(raw)+bytes.MinRead))
	if _, err := pbuf.ReadFrom(r); err != nil {
		return nil, f.corrupt("is truncated or damaged: "+err.Error(), err)
	}
	plain := pbuf.Bytes()
	env, inPayload, err := parseEnvelope(plain)
	if err != nil {
		where := "decrypts but "
		if inPayload {
			where = "decrypts but its payload "
		}
		return nil, f.corrupt(where+jsonProblem(err), err)
	}
	d := &decoded{raw: raw}
	switch env.version {
	case legacyVersion:
		if env.hasPayload || env.hasMACs {
			return nil, f.corrupt("decrypts but is not kage's format: version 1 has no payload", nil)
		}
		d.legacy = true
		d.secrets = env.secrets
	case fileVersion:
		if env.hasSecrets || !env.hasPayload {
			return nil, f.corrupt("decrypts but is not kage's format: version 2 keeps its secrets in its payload", nil)
		}
		if !validStoreID(env.p.Store) {
			return nil, f.corrupt("decrypts but has no valid store ID", nil)
		}
		d.secrets, d.store, d.gen = env.p.Secrets, env.p.Store, env.p.Generation
	default:
		return nil, &FileError{Path: f.path, Msg: fmt.Sprintf("has version %d; this kage reads version %d", env.version, fileVersion), Fix: "use the kage that wrote it; this one never writes over it"}
	}
	// The index is built as the entries are checked: a second entry for a
	// ref is found in constant time, not by a scan of those before it.
	d.index = make(map[Ref]int, len(d.secrets))
	for i, s := range d.secrets {
		ref := Ref{Scope: s.Scope, Name: s.Name}
		_, twice := d.index[ref]
		switch {
		case s.Scope == "" || s.Name == "":
			return nil, f.corrupt("decrypts but an entry lacks its scope or name", nil)
		case s.Value == nil:
			return nil, f.corrupt(fmt.Sprintf("decrypts but %s in %s has no value", quoteText(s.Name), quoteText(s.Scope)), nil)
		case twice:
			return nil, f.corrupt(fmt.Sprintf("decrypts but holds %s in %s twice", quoteText(s.Name), quoteText(s.Scope)), nil)
		}
		d.index[ref] = i
	}
	d.forged = f.authentic(d.legacy, env)
	f.keep(d)
	return d, nil
}

// keep makes d the version of the file this File knows.
func (f *File) keep(d *decoded) {
	f.mu.Lock()
	f.last = d
	f.lastRead = nil
	f.mu.Unlock()
}

// authentic says why a file that decrypts may not be used as it is
// because the identity does not vouch for it: no MAC from the identity (a
// passphrase file needs none: only the passphrase writes it).
func (f *File) authentic(legacy bool, env envelope) error {
	if f.key.Passphrase == nil {
		if legacy {
			return &FileError{Path: f.path, Msg: "has no proof that kage wrote it: an older kage wrote it, or someone who has only its public key (age1…) forged it", Fix: fixAccept, Err: ErrNotAuthentic}
		}
		if ok, err := f.verifyPayload(env.payload, env.macs); !ok {
			return &FileError{Path: f.path, Msg: "was not written by kage with this identity: it decrypts, but its MAC does not match (someone who has only the public key, age1…, can write such a file)", Fix: fixAccept, Err: errors.Join(ErrNotAuthentic, err)}
		}
	}
	return nil
}

// fresh says why an authentic file may not be used as it is: older than
// the record, or another store.
func (f *File) fresh(l loaded, legacy bool) error {
	if !l.seenOK {
		return nil
	}
	switch {
	case legacy:
		return &FileError{Path: f.path, Msg: fmt.Sprintf("is in an older kage's format, but kage last saw generation %d of this store here: an older copy was put back", l.seen.Generation), Fix: fixRolledBack, Err: ErrRolledBack}
	case l.store != l.seen.Store:
		return &FileError{Path: f.path, Msg: "is not the store kage last saw at this path: another secrets file was put in its place", Fix: fixRolledBack, Err: ErrRolledBack}
	case l.gen < l.seen.Generation:
		return &FileError{Path: f.path, Msg: fmt.Sprintf("is generation %d, older than generation %d that kage last saw here: an older copy was put back", l.gen, l.seen.Generation), Fix: fixRolledBack, Err: ErrRolledBack}
	}
	return nil
}

// unreadable words an error of safefile.ReadFile on the secrets file.
func (f *File) unreadable(err error) error {
	fix := "check the file's owner and mode (kage writes it 0600)"
	switch {
	case errors.Is(err, syscall.ELOOP):
		fix = "kage reads its secrets file only as a plain file: point [secrets] file in config.toml at the file itself"
	case errors.Is(err, safefile.ErrNotRegular), errors.Is(err, safefile.ErrTooLarge):
		fix = fixCorrupt
	}
	return &FileError{Path: f.path, Msg: safefile.Describe(err), Fix: fix, Err: err}
}

// decodeStrict decodes one JSON value into v: unknown fields and anything
// after the value are errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("data after the JSON value")

// jsonProblem words a decoding error without quoting the input: encoding/json
// and the decoders it calls put bytes of it (a character, a field name, a
// time) in their messages, and the input holds secrets.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var b64 base64.CorruptInputError
	var tpe *time.ParseError
	switch {
	case errors.Is(err, errTrailing):
		return "has data after kage's content"
	case errors.Is(err, errNotObject), errors.Is(err, errDuplicate):
		return "is not kage's format: " + err.Error()
	case errors.As(err, &syn):
		return "is not kage's format: not JSON (at byte " + strconv.FormatInt(syn.Offset, 10) + ")"
	case errors.As(err, &typ):
		return "is not kage's format: " + typ.Field + " has the wrong type"
	case errors.As(err, &b64):
		return "is not kage's format: a value is not base64"
	case errors.As(err, &tpe):
		return "is not kage's format: a time is not RFC 3339"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "is not kage's format: a field kage does not know"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "is not kage's format: the JSON ends early"
	}
	return "is not kage's format"
}

// quoteText quotes a name or scope read from the file for a message: Go
// quoting, so that no control character reaches the terminal.
func quoteText(s string) string {
	q := strconv.Quote(s)
	if q == `"`+s+`"` {
		return s
	}
	return q
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

// write encrypts secrets into a temporary file beside the target, renames
// it into place and then records its generation, one more than l's or the
// record's. The plaintext exists only in memory: age encrypts each chunk
// before it is written. force (Accept) sets the record whatever it held.
func (f *File) write(ctx context.Context, l loaded, secrets []fileSecret, force bool) (uint64, error) {
	recipients, err := f.recipientsFor(!l.exists)
	if err != nil {
		return 0, err
	}
	// Sorted in place: the callers' copy, never f.last's.
	slices.SortFunc(secrets, func(a, b fileSecret) int {
		return cmpRef(a.Name, a.Scope, b.Name, b.Scope)
	})
	if secrets == nil {
		secrets = []fileSecret{}
	}
	store := l.store
	if store == "" {
		if store, err = newStoreID(); err != nil {
			return 0, err
		}
	}
	gen := max(l.gen, l.seen.Generation) + 1
	// Put together by hand, so that the payload's bytes in the file are
	// exactly the bytes the MACs cover; in one buffer sized up front.
	plain := fmt.Appendf(make([]byte, 0, payloadSize(secrets)+512), `{"version":%d,"payload":`, fileVersion)
	start := len(plain)
	if plain, err = appendPayload(plain, filePayload{Store: store, Generation: gen, Secrets: secrets}); err != nil {
		return 0, err
	}
	payload := plain[start:]
	var macs [][]byte
	if f.key.Passphrase == nil {
		if macs, err = f.signPayload(payload); err != nil {
			return 0, err
		}
	}
	if len(macs) > 0 {
		m, err := json.Marshal(macs)
		if err != nil {
			return 0, err
		}
		plain = append(plain, `,"macs":`...)
		plain = append(plain, m...)
	}
	plain = append(plain, '}')
	// age adds 16 bytes a 64 KiB chunk and a header: keep well under
	// what a read accepts.
	if len(plain) > maxFileSize-maxFileSize/64 {
		return 0, &FileError{Path: f.path, Msg: fmt.Sprintf("would grow past %s; kage reads no larger secrets file", safefile.Size(maxFileSize)), Fix: "delete secrets you no longer need"}
	}
	// The ciphertext is kept too (it is no secret), so that this File's
	// next load knows the file it wrote without decrypting it.
	var cipher bytes.Buffer
	tmp, err := writeTemp(f.path, "secrets file "+f.path, func(out io.Writer) error {
		cipher.Reset()
		cipher.Grow(len(plain) + len(plain)/(64<<10)*16 + 1024)
		// Encrypted on its way to the disk: no plain text ever is.
		buf := bufio.NewWriter(io.MultiWriter(out, &cipher))
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
		return 0, err
	}
	if err := os.Rename(tmp, f.path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("replace secrets file %s: %s", f.path, pathErr(err))
	}
	syncDir(filepath.Dir(f.path))
	if f.opensOwn(recipients) {
		index := make(map[Ref]int, len(secrets))
		for i, s := range secrets {
			index[Ref{Scope: s.Scope, Name: s.Name}] = i
		}
		f.keep(&decoded{raw: cipher.Bytes(), secrets: secrets, index: index, store: store, gen: gen})
	} else {
		// Recipients that leave out the identity make a file this File
		// cannot read back: the next load must find that out, as before.
		f.keep(nil)
	}
	// After the rename, never before: a record ahead of the file would
	// make a reader take the current file for a rolled-back one. A
	// failure here leaves the record behind, which the next read of this
	// file brings forward; only Accept must record.
	rerr := f.remember(ctx, seenRecord{Store: store, Generation: gen}, force)
	if force && rerr != nil {
		return 0, rerr
	}
	return gen, nil
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

// opensOwn reports whether a file encrypted to recipients is one f's key
// decrypts: a passphrase always opens what it encrypted, an identity only
// what was encrypted to its own recipient.
func (f *File) opensOwn(recipients []age.Recipient) bool {
	if f.key.Passphrase != nil {
		return true
	}
	k, err := identityKey(f.key.Identities, f.key.Source)
	if err != nil {
		return false
	}
	for _, own := range k.Recipients {
		o, ok := own.(fmt.Stringer)
		for _, r := range recipients {
			if s, sok := r.(fmt.Stringer); ok && sok && s.String() == o.String() {
				return true
			}
		}
	}
	return false
}

// recipientsFor returns what a write encrypts to; creating is a write of
// a file that does not exist yet, whose passphrase is a new one.
func (f *File) recipientsFor(creating bool) ([]age.Recipient, error) {
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
	p, err := f.passphraseFor(creating)
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
func (f *File) passphrase() ([]byte, error) { return f.passphraseFor(false) }

// passphraseFor is passphrase, asking NewPassphrase instead when creating
// the file and the caller gave one.
func (f *File) passphraseFor(creating bool) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pass != nil {
		return f.pass, nil
	}
	if f.passErr != nil {
		return nil, f.passErr
	}
	ask := f.key.Passphrase
	if creating && f.key.NewPassphrase != nil {
		ask = f.key.NewPassphrase
	}
	p, err := ask()
	if err != nil {
		err = fmt.Errorf("read the passphrase for %s: %w", f.path, err)
		if errors.Is(err, context.Canceled) {
			f.passErr = err
		}
		return nil, err
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
