package keyring

// Authenticity and freshness of the file store.
//
// age does not say who encrypted a file: anyone who has the recipient
// (age1…, public by design, printed by kage init and kept in identity.txt)
// can write a file that the identity decrypts. So each version of the
// store carries, inside the encryption, an HMAC-SHA256 of its payload,
// keyed through HKDF-SHA256 from the identity's secret key under a
// kage-specific label: only a holder of the identity can compute it. A
// passphrase store needs no such MAC: age's scrypt stanza already takes the
// passphrase to write, and a second scrypt would double the cost of every
// opening.
//
// Each version also carries a store ID (random, kept for the store's
// life) and a generation, one more at every write. kage records the
// newest (store, generation) it wrote or read for each secrets file, by the
// file's canonical path, in a small state file in its data folder
// (SeenFileName), and refuses a file older than the record, or another
// store put in its place. The order makes concurrency and crashes safe: a
// reader reads the record before it opens the file, and a writer records a
// generation only after its file is in place, so the record never runs
// ahead of the file a reader opens; a crash between the rename and the
// record leaves the record behind, which the next read brings forward.

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/kage-cli/kage/internal/atomicfile"
	"github.com/kage-cli/kage/internal/safefile"
)

// SeenFileName is the state file, in kage's data folder, that records the
// newest generation kage wrote or read of each secrets file.
const SeenFileName = "secrets-seen.json"

// ErrNotAuthentic is matched (errors.Is) by the error for a secrets file
// that decrypts with the identity but carries no valid MAC from it: written
// by an older kage, by hand with the age CLI, or forged by someone who has
// only the public key. File.Accept takes it deliberately.
var ErrNotAuthentic = errors.New("secrets file not authenticated by the identity")

// ErrRolledBack is matched by the error for a secrets file older than the
// newest one kage saw at its path on this machine, or another store put in
// its place. File.Accept takes it deliberately.
var ErrRolledBack = errors.New("secrets file older than the one kage last saw")

// ErrSeenRecord is matched by the error for a generation record
// (SeenFileName) kage cannot use. File.Accept replaces it.
var ErrSeenRecord = errors.New("generation record unusable")

// macLabel separates kage's MAC key from any other use of the identity.
const macLabel = "kage secrets.age payload MAC v2"

const (
	seenVersion = 1
	maxSeenFile = 1 << 20
	// seenReadWait bounds how long a read waits to bring the record
	// forward: the record is only an optimisation for the next check, and
	// kage env must not hang on a lock another kage holds.
	seenReadWait = time.Second
	storeIDBytes = 16
)

const (
	fixAccept      = "if you wrote it yourself (with an older kage or the age CLI), accept it: kage doctor --fix re-signs it with your identity; otherwise move it aside and restore your own copy"
	fixRolledBack  = "if you put this copy back on purpose (a backup restore), accept it: kage doctor --fix; otherwise restore the newest copy"
	fixSeenCorrupt = "kage doctor --fix replaces it with a record of the current secrets file"
)

type seenRecord struct {
	Store      string `json:"store"`
	Generation uint64 `json:"generation"`
}

type seenData struct {
	Version int                   `json:"version"`
	Files   map[string]seenRecord `json:"files"`
}

// seenFile is the record's path: WithSeenFile's, or SeenFileName beside the
// secrets file.
func (f *File) seenFile() string {
	if f.seen != "" {
		return f.seen
	}
	return filepath.Join(filepath.Dir(f.path), SeenFileName)
}

// seenKey is the secrets file's canonical path, the record's key: its
// folder with links resolved, so two spellings of one file share a record.
// A folder that does not exist yet (before the first write) cannot be
// resolved: that answer is not kept, so the write records under the
// resolved path once it has made the folder.
func (f *File) seenKey() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.canon != "" {
		return f.canon
	}
	p, err := filepath.Abs(f.path)
	if err != nil {
		return filepath.Clean(f.path)
	}
	dir, base := filepath.Split(p)
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return p
	}
	f.canon = filepath.Join(d, base)
	return f.canon
}

func (f *File) seenError(msg string, err error) error {
	return &FileError{Kind: "generation record", Path: f.seenFile(), Msg: msg, Fix: fixSeenCorrupt, Err: errors.Join(ErrSeenRecord, err)}
}

// readSeen reads the whole record; a missing file is an empty one.
func (f *File) readSeen() (seenData, error) {
	d := seenData{Version: seenVersion, Files: map[string]seenRecord{}}
	path := f.seenFile()
	if err := atomicfile.CheckPlain(path); err != nil {
		return d, f.seenError(err.Error(), nil)
	}
	raw, err := safefile.ReadFile(path, safefile.Options{Max: maxSeenFile})
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, f.seenError(safefile.Describe(err), err)
	}
	var got seenData
	if err := decodeStrict(raw, &got); err != nil {
		return d, f.seenError("is corrupt: "+jsonProblem(err), nil)
	}
	if got.Version != seenVersion {
		return d, f.seenError(fmt.Sprintf("has version %d; this kage reads version %d", got.Version, seenVersion), nil)
	}
	for k, r := range got.Files {
		if !filepath.IsAbs(k) || !validStoreID(r.Store) {
			return d, f.seenError("is corrupt: an entry is not a secrets file's path and store ID", nil)
		}
	}
	if got.Files != nil {
		d.Files = got.Files
	}
	return d, nil
}

// lookupSeen returns the record of this secrets file, if any.
func (f *File) lookupSeen() (seenRecord, bool, error) {
	d, err := f.readSeen()
	if err != nil {
		return seenRecord{}, false, err
	}
	r, ok := d.Files[f.seenKey()]
	return r, ok, nil
}

// remember records rec as the newest version of this secrets file. It
// never moves a record back, nor to another store, unless force (Accept);
// force also replaces a record file kage cannot read.
func (f *File) remember(ctx context.Context, rec seenRecord, force bool) error {
	path := f.seenFile()
	unlock, err := lockFile(ctx, path+".lock", "the generation record "+path)
	if err != nil {
		return err
	}
	defer unlock()
	removeTemps(path)
	d, err := f.readSeen()
	if err != nil && !force {
		return err
	}
	key := f.seenKey()
	if cur, ok := d.Files[key]; ok && !force && (cur.Store != rec.Store || cur.Generation >= rec.Generation) {
		return nil
	}
	d.Files[key] = rec
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, "the generation record "+path, data)
}

// rememberRead brings the record forward to a newer file a read found
// (written by another machine sharing the folder, or by a kage killed
// before it recorded its write). It is best-effort and bounded: the read
// itself was already checked.
func (f *File) rememberRead(rec seenRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), seenReadWait)
	defer cancel()
	_ = f.remember(ctx, rec, false)
}

// macKeys derives one MAC key from each identity, once per File.
func (f *File) macKeys() ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys != nil {
		return f.keys, nil
	}
	var keys [][]byte
	for _, id := range f.key.Identities {
		s, ok := id.(fmt.Stringer)
		if !ok {
			return nil, fmt.Errorf("secrets file %s: unsupported age identity type %T", f.path, id)
		}
		k, err := hkdf.Key(sha256.New, []byte(s.String()), nil, macLabel, sha256.Size)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	f.keys = keys
	return keys, nil
}

func payloadMAC(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)
}

// signPayload returns one MAC per identity, so that a reader holding any
// one of them can check the file, as any one of them decrypts it.
func (f *File) signPayload(payload []byte) ([][]byte, error) {
	keys, err := f.macKeys()
	if err != nil {
		return nil, err
	}
	macs := make([][]byte, len(keys))
	for i, k := range keys {
		macs[i] = payloadMAC(k, payload)
	}
	return macs, nil
}

// verifyPayload reports whether one of macs is the MAC of payload under one
// of the identities.
func (f *File) verifyPayload(payload []byte, macs [][]byte) (bool, error) {
	keys, err := f.macKeys()
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		want := payloadMAC(k, payload)
		for _, m := range macs {
			if hmac.Equal(m, want) {
				return true, nil
			}
		}
	}
	return false, nil
}

func newStoreID() (string, error) {
	b := make([]byte, storeIDBytes)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func validStoreID(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == storeIDBytes && hex.EncodeToString(b) == s
}

// Accepted says what File.Accept did.
type Accepted struct {
	// Secrets is how many secrets the accepted file holds.
	Secrets int
	// Generation is the generation it was rewritten as.
	Generation uint64
	// Was is why the file was not trusted before: ErrNotAuthentic's,
	// ErrRolledBack's or ErrSeenRecord's message, or "" when it was.
	Was string
}

// Accept takes the secrets file as it is — one ErrNotAuthentic or
// ErrRolledBack refused, or one behind an unusable generation record —
// and rewrites it signed by the identity, as a generation newer than any
// kage recorded here, so that from now on it is trusted and an older copy
// is refused. It is the deliberate step a user takes after writing the
// file with an older kage or the age CLI, or restoring a backup. A file
// that does not decrypt, or is damaged, is still refused; a missing file
// is nothing to accept.
func (f *File) Accept(ctx context.Context) (Accepted, error) {
	if err := ctx.Err(); err != nil {
		return Accepted{}, err
	}
	unlock, err := f.lock(ctx)
	if err != nil {
		return Accepted{}, err
	}
	defer unlock()
	l, err := f.loadFor(true)
	if err != nil {
		return Accepted{}, err
	}
	if !l.exists {
		return Accepted{}, nil
	}
	a := Accepted{Secrets: len(l.secrets)}
	if l.distrust != nil {
		a.Was = l.distrust.Error()
	}
	if l.store == "" {
		// A file of the old format has no store ID. One put in place of
		// another store keeps its own, and the record follows it.
		if l.store, err = newStoreID(); err != nil {
			return Accepted{}, err
		}
	}
	// A copy: write sorts it, and l.secrets may be f.last's.
	gen, err := f.write(ctx, l, slices.Clone(l.secrets), true)
	if err != nil {
		return Accepted{}, err
	}
	a.Generation = gen
	return a, nil
}
