// Package doctor holds kage doctor's checks: that the store answers and
// opens, that config.toml parses, that the keychain's index agrees with
// the keychain, that kage's files are private, that every subscription
// binding has its key, that the names stored are ones kage exports, and
// that the prompt hook is installed. Each check ends in findings, with the
// fix for what is wrong; with Options.Fix it also mends what it can.
//
// The checks never read a secret's value: they list the store, which is
// also how they learn that it answers. What a finding's Message and Fix
// say may quote names chosen by someone else; they come escaped and
// quoted for a terminal.
package doctor

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kage-cli/kage/accesslog"
	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/atomicfile"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/shellenv"
	"github.com/kage-cli/kage/subscription"
)

// Status is how a finding came out. Only Fail means something is wrong.
type Status string

// The statuses of a finding.
const (
	OK    Status = "ok"
	Warn  Status = "warn"
	Fail  Status = "fail"
	Skip  Status = "skip"  // the check could not run; another finding says why
	Fixed Status = "fixed" // Options.Fix changed this
)

// Finding is one result of a check; its JSON form is kage doctor --json's,
// documented in the README.
type Finding struct {
	// Check names the check: config, backend, context, keychain, file,
	// index, index-keychain, index-repair, repair, permissions, names,
	// subscriptions, namespaces or hook.
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	// Fix is what to do about it, often a command; "" when nothing is to
	// be done.
	Fix string `json:"fix"`
	// Repair says what running the checks again with Options.Fix does
	// about a failure (one of the Repair constants); "" when it cannot
	// mend it.
	Repair string `json:"-"`
}

// What Options.Fix does, as Finding.Repair says it.
const (
	RepairIndex    = "makes the index match the keychain"
	RepairBindings = "drops the bindings to missing subscriptions"
	RepairStale    = "deletes the stale keys of subscriptions"
	RepairAccept   = "accepts the secrets file as it is and re-signs it"
)

// Repairs lists, in a fixed order, the Repair of every failure in
// findings, each once.
func Repairs(findings []Finding) []string {
	want := map[string]bool{}
	for _, f := range findings {
		if f.Status == Fail && f.Repair != "" {
			want[f.Repair] = true
		}
	}
	var out []string
	for _, r := range []string{RepairIndex, RepairBindings, RepairStale, RepairAccept} {
		if want[r] {
			out = append(out, r)
		}
	}
	return out
}

// Host is what the checks take from the program that runs them: where
// kage keeps its files, the environment, and the program's own rules for
// choosing and opening a store and for the current directory's scopes, so
// that doctor checks exactly what the other commands would use. Every
// field must be set.
type Host struct {
	Paths  config.Paths
	Getenv func(string) string
	Now    func() time.Time

	// Backend names the store c chooses ("keyring", "file", "aws",
	// "azure") and where that choice comes from, for the messages.
	Backend func(c *config.Config) (name, from string, err error)
	// Context detects the current directory's scopes under c.
	Context func(c *config.Config) (*scope.Context, error)
	// SecretsFile, FileKey and FileStore locate, unlock and open the
	// file backend's secrets file.
	SecretsFile func(c *config.Config) (string, error)
	FileKey     func(c *config.Config) (keyring.FileKey, error)
	FileStore   func(path string, key keyring.FileKey) *keyring.File
	// GitNamespace is what to say of a namespace an earlier kage left in
	// the repository's git config: a notice and its fix, or "".
	GitNamespace func(c *scope.Context) (notice, fix string, err error)
	// HookVar is the variable the prompt hook keeps its state in: set
	// means the hook runs in this shell.
	HookVar string
}

// Options choose what Run does besides looking.
type Options struct {
	// Fix rebuilds the keychain's index from the keychain (never adopting
	// an item under a refused name that was not stored with --force),
	// moves a corrupt index aside, drops the bindings to missing
	// subscriptions, deletes the stale keys an interrupted kage
	// subscription add --env leaves, makes kage's files private, and
	// accepts a secrets file kage refused. It changes no other item.
	Fix bool
}

// Run runs every check that applies to the store h chooses and returns
// the findings in the order doctor prints them. The error is only ever an
// interruption (ctx's); everything wrong is a finding.
func Run(ctx context.Context, h Host, o Options) ([]Finding, error) {
	d := &run{h: h, k: keyring.NewKeychain(h.Paths.Data), backend: "keyring"}
	d.checkConfig()
	d.loadAccepted()
	fix := o.Fix
	if d.backend == "file" {
		store, entries, listed := d.checkFileStore(ctx, fix)
		if listed {
			d.checkNames(entries)
			d.checkExpiry(entries)
		}
		d.checkPermissions(fix)
		if err := d.checkSubscriptions(ctx, store, entries, listed, fix); err != nil {
			return nil, err
		}
	} else if d.backend == "keyring" {
		if err := d.checkKeychain(ctx); err != nil {
			return nil, err
		}
		if fix {
			if err := d.repair(ctx); err != nil {
				return nil, err
			}
		}
		entries, indexOK := d.checkIndex()
		d.checkPermissions(fix)
		if indexOK {
			d.crossCheck(entries)
			d.checkNames(entries)
			d.checkExpiry(entries)
		} else {
			d.add("index-keychain", Skip, "cannot check the index against the keychain until the index is repaired", "")
		}
		// The index is what kage reads the subscriptions' keys from.
		if err := d.checkSubscriptions(ctx, d.k, entries, indexOK, fix); err != nil {
			return nil, err
		}
	}
	d.checkNamespaces()
	d.checkHook()
	return d.findings, nil
}

// run holds what the checks found so far, for the checks after them.
type run struct {
	h        Host
	k        *keyring.Keychain
	cfg      *config.Config // nil when config.toml cannot be loaded
	findings []Finding

	inv    *keyring.Inventory // nil when the keychain cannot be listed
	invErr error

	// backend is the store config.toml or KAGE_BACKEND chooses.
	backend string
	// files are extra files whose modes checkPermissions checks.
	files []string
	// accepted are the refused names stored with --force: the only ones
	// --fix adopts and kage exports.
	accepted envname.Accepted
}

func (d *run) add(check string, status Status, message, fix string) {
	d.findings = append(d.findings, Finding{Check: check, Status: status, Message: message, Fix: fix})
}

// addRepairable adds a failure that Options.Fix mends as repair says.
func (d *run) addRepairable(check, repair, message, fix string) {
	d.findings = append(d.findings, Finding{Check: check, Status: Fail, Message: message, Fix: fix, Repair: repair})
}

// hintOf is the hint err carries (kage's errors say what to do next
// through a Hint method), or "".
func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// errUnchanged ends an update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// checkConfig parses config.toml and detects the current directory's
// context, which checks the [namespaces] globs, as every command would.
func (d *run) checkConfig() {
	const fixFile = "correct the file, or move it aside: kage runs with defaults without it"
	file := display.Path(d.h.Paths.ConfigFile())
	name := filepath.Base(file)
	c, err := config.Load(d.h.Paths)
	if err != nil {
		d.add("config", Fail, err.Error(), fixFile)
		return
	}
	d.cfg = c
	b, from, berr := d.h.Backend(c)
	d.backend = b
	if berr != nil {
		d.add("backend", Fail, berr.Error(), "use one of "+strings.Join(config.Backends, ", "))
		return
	}
	if b == "aws" && keyring.AWSBuilt || b == "azure" && keyring.AzureBuilt {
		d.add("backend", Skip, fmt.Sprintf("the %s backend: doctor cannot check it yet; try kage secret list", b), "")
		return
	}
	if b != "keyring" && b != "file" {
		d.add("backend", Fail, fmt.Sprintf("%s chooses the %s backend, which is not built into this kage", from, b),
			fmt.Sprintf("build kage with it: go build -tags %s ./cmd/kage", b))
		return
	}
	_, cerr := d.h.Context(c)
	var ce *config.Error
	if errors.As(cerr, &ce) {
		d.add("config", Fail, cerr.Error(), fixFile)
		return
	}
	if c.File == "" {
		d.add("config", OK, fmt.Sprintf("no %s (kage uses its defaults)", name), "")
	} else {
		d.add("config", OK, fmt.Sprintf("%s parses (%s)", name, file), "")
	}
	if cerr != nil {
		d.add("context", Fail, "cannot tell the scopes of this directory: "+cerr.Error(), hintOf(cerr))
	}
}

// checkFileStore opens the file backend's file (listing decrypts it, so a
// wrong identity or passphrase shows here) and has its files' modes checked.
// The file backend keeps no index, so there is nothing to cross-check or
// repair. It returns the store and its entries; listed is false when the
// file cannot be opened.
func (d *run) checkFileStore(ctx context.Context, fix bool) (store keyring.Store, entries []keyring.Entry, listed bool) {
	c := d.cfg
	if c == nil {
		c = &config.Config{}
	}
	path, err := d.h.SecretsFile(c)
	if err != nil {
		d.add("file", Fail, err.Error(), "correct [secrets] file in config.toml")
		return nil, nil, false
	}
	d.files = append(d.files, path)
	key, err := d.h.FileKey(c)
	if err != nil {
		d.add("file", Fail, err.Error(), hintOf(err))
		return nil, nil, false
	}
	opener := "a passphrase"
	if key.Passphrase == nil {
		opener = "an age identity (" + display.Path(key.Source) + ")"
		if key.Source != "KAGE_AGE_IDENTITY" {
			d.files = append(d.files, key.Source)
		}
	}
	f := d.h.FileStore(path, key)
	entries, err = f.List(ctx)
	if untrusted(err) {
		if !fix {
			d.addRepairable("file", RepairAccept, display.OneLine(err.Error()), hintOf(err))
			return nil, nil, false
		}
		// The deliberate step the message offers: the user ran --fix
		// having read it.
		a, aerr := f.Accept(ctx)
		if aerr != nil {
			d.add("file", Fail, display.OneLine(aerr.Error()), hintOf(aerr))
			return nil, nil, false
		}
		d.add("file", Fixed, fmt.Sprintf("accepted the secrets file %s as it is (%s) and re-signed it as generation %d; an older copy is refused from now on", display.Path(path), countOf(a.Secrets, "secret"), a.Generation), "")
		entries, err = f.List(ctx)
	}
	if err != nil {
		d.add("file", Fail, display.OneLine(err.Error()), hintOf(err))
		return nil, nil, false
	}
	d.add("file", OK, fmt.Sprintf("the secrets file %s opens with %s (%s)", display.Path(path), opener, countSecrets(entries)), "")
	if fix {
		d.add("repair", OK, "nothing to repair: the file backend keeps no index", "")
	}
	return f, entries, true
}

// untrusted tells a secrets file that decrypts but that kage may not take
// as it is — not signed by the identity, older than the one it last saw,
// or behind an unusable generation record — which --fix accepts.
func untrusted(err error) bool {
	return errors.Is(err, keyring.ErrNotAuthentic) || errors.Is(err, keyring.ErrRolledBack) || errors.Is(err, keyring.ErrSeenRecord)
}

// checkKeychain lists kage's items, which is also how doctor learns that
// the keychain answers: never by reading a value.
func (d *run) checkKeychain(ctx context.Context) error {
	d.inv, d.invErr = d.k.Inventory(ctx)
	var ue *keyring.UnavailableError
	var ne *keyring.NoInventoryError
	switch {
	case d.invErr == nil:
		what := fmt.Sprintf("collection %q unlocked", d.inv.Collection)
		if d.inv.Provider != "" {
			what = d.inv.Provider + ", " + what
		}
		d.add("keychain", OK, fmt.Sprintf("Secret Service answers (%s)", what), "")
	case errors.As(d.invErr, &ne):
		d.add("keychain", OK, "the keychain answers", "")
	case errors.As(d.invErr, &ue):
		d.add("keychain", Fail, ue.Reason, ue.Fix)
	default:
		// Interrupted: report prints it.
		return d.invErr
	}
	return nil
}

// indexState tells what is wrong with an index file Load refused.
type indexState int

const (
	indexCorrupt indexState = iota
	indexUnreadable
	indexNewer
)

// knownIndexVersion is the newest index format this kage writes (keyring's
// indexVersion): a file with a greater one comes from a newer kage and is
// left alone even by --fix.
const knownIndexVersion = 2

func classifyIndex(path string) indexState {
	if atomicfile.CheckPlain(path) != nil {
		// A link, a FIFO or a file anyone could have written: moved aside
		// like a corrupt one, and never read (a FIFO would block).
		return indexCorrupt
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return indexUnreadable
	}
	var v struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(data, &v) == nil && v.Version > knownIndexVersion {
		return indexNewer
	}
	return indexCorrupt
}

// checkIndex loads the index; ok is false when it cannot be used.
func (d *run) checkIndex() (entries []keyring.Entry, ok bool) {
	ix := d.k.Index()
	path := display.Path(ix.Path())
	entries, err := ix.Load()
	if err != nil {
		var ie *keyring.IndexError
		msg := err.Error()
		if errors.As(err, &ie) {
			msg = fmt.Sprintf("index %s %s", path, ie.Msg)
		}
		switch classifyIndex(ix.Path()) {
		case indexUnreadable:
			d.add("index", Fail, msg, "chmod 600 "+display.ShellPath(path)+" (as its owner)")
		case indexNewer:
			d.add("index", Fail, msg, "use the newer kage that wrote it, or move it aside and run kage doctor --fix")
		default:
			var ne *keyring.NoInventoryError
			if errors.As(d.invErr, &ne) {
				d.add("index", Fail, msg, "move it aside and set the secrets again to list them (the values stay in the keychain)")
			} else {
				d.addRepairable("index", RepairIndex, msg, "kage doctor --fix (moves it aside and rebuilds it from the keychain)")
			}
		}
		return nil, false
	}
	if _, err := os.Stat(ix.Path()); errors.Is(err, fs.ErrNotExist) {
		d.add("index", OK, fmt.Sprintf("no index yet (nothing set; it will be %s)", path), "")
		return nil, true
	}
	d.add("index", OK, fmt.Sprintf("index lists %s (%s)", countSecrets(entries), path), "")
	return entries, true
}

// countSecrets counts entries as "3 secrets", or "2 secrets and 1
// subscription key" when some are subscriptions' keys, which kage secret
// list does not show.
func countSecrets(entries []keyring.Entry) string {
	keys := 0
	for _, en := range entries {
		if _, ok := subscription.FromScope(en.Scope); ok {
			keys++
		}
	}
	switch keys {
	case 0:
		return countOf(len(entries), "secret")
	case len(entries):
		return countOf(keys, "subscription key")
	}
	return countOf(len(entries)-keys, "secret") + " and " + countOf(keys, "subscription key")
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// checkPermissions warns about kage's files that others can read or
// write. The index lists names only, but names say what you have; anyone
// who can write config.toml can move repositories into your namespaces.
// An editor creates config.toml 0644, which is fine: it holds no secret.
// checkPermissions warns of kage's files and folders that others may read
// or change; with fix it makes them private, as the warning says, but only
// what the user owns and what is a plain file or folder (never through a
// link: see tightenMode).
func (d *run) checkPermissions(fix bool) {
	if runtime.GOOS == "windows" {
		// Mode bits mean nothing there; %APPDATA% is private to the user.
		return
	}
	type want struct {
		path string
		dir  bool
		deny fs.FileMode // bits that must be clear
		what string
		why  string
	}
	checks := []want{
		{d.h.Paths.Data, true, 0o077, "data folder", "others can list your secrets' names"},
		{d.k.Index().Path(), false, 0o077, keyring.IndexFile, "others can read your secrets' names"},
		{accesslog.Open(d.h.Paths.Data).Path(), false, 0o077, accesslog.FileName, "others can see which programs got which secrets"},
	}
	for _, f := range d.files {
		checks = append(checks, want{f, false, 0o077, filepath.Base(f), "others can copy it"})
	}
	if d.h.Paths.Config != d.h.Paths.Data {
		checks = append(checks, want{d.h.Paths.Config, true, 0o022, "config folder", "others can change your configuration"})
	}
	checks = append(checks, want{d.h.Paths.ConfigFile(), false, 0o022, config.FileName, "others can move repositories into your namespaces"})
	var shown []string
	warned := false
	for _, c := range checks {
		fi, err := os.Stat(c.path)
		if err != nil {
			continue
		}
		mode := fi.Mode().Perm()
		shown = append(shown, fmt.Sprintf("%s %04o", c.what, mode))
		if mode&c.deny == 0 {
			continue
		}
		warned = true
		to := mode &^ c.deny
		if c.deny == 0o077 && c.dir {
			to = 0o700
		} else if c.deny == 0o077 {
			to = 0o600
		}
		if fix {
			if err := tightenMode(c.path, c.dir, to); err == nil {
				d.add("permissions", Fixed, fmt.Sprintf("%s %s was mode %04o (%s); it is %04o now", c.what, display.Path(c.path), mode, c.why, to), "")
				continue
			} else {
				d.add("permissions", Warn, fmt.Sprintf("%s %s is mode %04o: %s; kage doctor --fix could not change it: %v", c.what, display.Path(c.path), mode, c.why, err),
					fmt.Sprintf("chmod %o %s", to, display.ShellPath(display.Path(c.path))))
				continue
			}
		}
		d.add("permissions", Warn, fmt.Sprintf("%s %s is mode %04o: %s", c.what, display.Path(c.path), mode, c.why),
			fmt.Sprintf("chmod %o %s (or kage doctor --fix)", to, display.ShellPath(display.Path(c.path))))
	}
	if !warned && len(shown) > 0 {
		d.add("permissions", OK, "kage's files are private ("+strings.Join(shown, ", ")+")", "")
	}
}

// keyringRef is one secret the keychain holds under kage's naming, its
// duplicates merged.
type keyringRef struct {
	created, modified time.Time
	count             int
}

// comparison is the index against the keychain.
type comparison struct {
	held    map[keyring.Ref]*keyringRef
	foreign []keyring.Item
	// why[i] says why foreign[i] is not a kage secret.
	why     []string
	missing []keyring.Entry // listed, but no item
	agreed  []keyring.Entry // listed, with an item
	invalid []keyring.Entry // listed, but no kage secret can be there
	lacking []keyring.Ref   // held, but not listed; sorted
	refused []keyring.Ref   // held, not listed, under a name kage refuses
}

// kageName says why scope and name cannot be a kage secret, or "". A
// subscription's key is one: its scope is subscription:<name>, its name the
// variable it is exported as.
func kageName(sc, name string) string {
	if _, ok := subscription.FromScope(sc); !ok {
		if _, err := scope.FromCanonical(sc); err != nil {
			return "not a kage scope"
		}
	}
	if !envname.Valid(name) {
		return "not a variable name"
	}
	return ""
}

// describeRef names a secret in doctor's lines: "API_KEY in
// namespace:backend", or "the key of subscription work (ANTHROPIC_API_KEY)".
func describeRef(sc, name string) string {
	if sub, ok := subscription.FromScope(sc); ok {
		return fmt.Sprintf("the key of subscription %s (%s)", sub, display.Safe(name))
	}
	if s, err := scope.FromCanonical(sc); err == nil {
		return display.Safe(name) + " in " + display.Safe(s.Display())
	}
	return strconv.Quote(name) + " in " + strconv.Quote(sc)
}

// missingItemFix is the fix for an index entry whose keychain item is gone:
// the commands that store it again or forget it.
func missingItemFix(sc, name string) string {
	if sub, ok := subscription.FromScope(sc); ok {
		return fmt.Sprintf("kage subscription add --name %s --env %s --overwrite, or kage subscription remove %s", sub, display.ShellWord(name), sub)
	}
	where := sc
	if s, err := scope.FromCanonical(sc); err == nil {
		where = s.Display()
	}
	return fmt.Sprintf("kage secret delete %s --scope %s, or set it again", display.ShellWord(name), display.ShellWord(where))
}

func compareIndex(entries []keyring.Entry, inv *keyring.Inventory, accepted envname.Accepted) comparison {
	c := comparison{held: map[keyring.Ref]*keyringRef{}}
	indexed := map[keyring.Ref]bool{}
	for _, en := range entries {
		indexed[en.Ref()] = true
	}
	refused := map[keyring.Ref]bool{}
	for _, it := range inv.Items {
		if why := kageName(it.Scope, it.Name); why != "" {
			c.foreign = append(c.foreign, it)
			c.why = append(c.why, why)
			continue
		}
		r := keyring.Ref{Scope: it.Scope, Name: it.Name}
		if !indexed[r] && !accepted.Allows(it.Scope, it.Name) {
			// Not stored by kage with --force: planted, most likely.
			// Adopting it would export it.
			if !refused[r] {
				refused[r] = true
				c.refused = append(c.refused, r)
			}
			continue
		}
		h := c.held[r]
		if h == nil {
			h = &keyringRef{created: it.Created, modified: it.Modified}
			c.held[r] = h
		} else {
			if !it.Created.IsZero() && (h.created.IsZero() || it.Created.Before(h.created)) {
				h.created = it.Created
			}
			if it.Modified.After(h.modified) {
				h.modified = it.Modified
			}
		}
		h.count++
	}
	listed := map[keyring.Ref]bool{}
	for _, en := range entries {
		r := en.Ref()
		if kageName(en.Scope, en.Name) != "" || listed[r] {
			c.invalid = append(c.invalid, en)
			continue
		}
		listed[r] = true
		if c.held[r] == nil {
			c.missing = append(c.missing, en)
		} else {
			c.agreed = append(c.agreed, en)
		}
	}
	for r := range c.held {
		if !listed[r] {
			c.lacking = append(c.lacking, r)
		}
	}
	slices.SortFunc(c.lacking, compareRefs)
	return c
}

// compareRefs orders refs as the index does: by name, then scope.
func compareRefs(a, b keyring.Ref) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Scope, b.Scope))
}

// crossCheck reports where the index and the keychain disagree.
func (d *run) crossCheck(entries []keyring.Entry) {
	const check = "index-keychain"
	var ne *keyring.NoInventoryError
	switch {
	case errors.As(d.invErr, &ne):
		d.add(check, Skip, "cannot check the index against the keychain: "+ne.Reason, "")
		return
	case d.inv == nil:
		d.add(check, Skip, "cannot check the index against the keychain until the keychain answers", "")
		return
	}
	c := compareIndex(entries, d.inv, d.accepted)
	if len(c.missing)+len(c.invalid)+len(c.lacking)+len(c.refused) == 0 {
		d.add(check, OK, fmt.Sprintf("index and keychain agree (%s)", countSecrets(c.agreed)), "")
	}
	for _, en := range c.missing {
		d.addRepairable(check, RepairIndex, fmt.Sprintf("index lists %s but the keychain has no such item", describeRef(en.Scope, en.Name)),
			missingItemFix(en.Scope, en.Name))
	}
	for _, en := range c.invalid {
		why := kageName(en.Scope, en.Name)
		if why == "" {
			why = "listed twice"
		}
		d.addRepairable(check, RepairIndex, fmt.Sprintf("index lists %q in %q (%s)", en.Name, en.Scope, why),
			"kage doctor --fix drops the entry")
	}
	for _, r := range c.lacking {
		d.addRepairable(check, RepairIndex, fmt.Sprintf("the keychain holds %s that the index lacks", describeRef(r.Scope, r.Name)),
			"kage doctor --fix")
	}
	slices.SortFunc(c.refused, compareRefs)
	for _, r := range c.refused {
		rule, _ := envname.Refused(r.Name)
		fix := "if you did not store it, remove it in Seahorse"
		if display.Printable(r.Scope) {
			fix = fmt.Sprintf("if you did not store it: secret-tool clear service %s username %s", display.ShellWord(keyring.Service(r.Scope)), r.Name)
		}
		if _, ok := subscription.FromScope(r.Scope); !ok && rule.Forceable() {
			fix += fmt.Sprintf("; if you did: kage secret set %s --scope %s --force", r.Name, display.ShellWord(display.Scope(r.Scope)))
		}
		d.add(check, Fail, fmt.Sprintf("the keychain holds %s, which kage did not store: kage refuses the name (%s), so it neither adopts nor exports it", describeRef(r.Scope, r.Name), rule.Why()), fix)
	}
	var dups []keyring.Ref
	for r, h := range c.held {
		if h.count > 1 {
			dups = append(dups, r)
		}
	}
	slices.SortFunc(dups, compareRefs)
	for _, r := range dups {
		h := c.held[r]
		d.add(check, Warn, fmt.Sprintf("the keychain holds %d items for %s; kage reads the most recently changed", h.count, describeRef(r.Scope, r.Name)),
			"remove the others in Seahorse (search for "+display.Safe(keyring.Service(r.Scope))+")")
	}
	for i, it := range c.foreign {
		fix := "if you do not need it, remove it in Seahorse"
		if display.Printable(it.Scope + it.Name) {
			fix = fmt.Sprintf("if you do not need it: secret-tool clear service %s username %s",
				display.ShellWord(keyring.Service(it.Scope)), display.ShellWord(it.Name))
		}
		d.add(check, Warn, fmt.Sprintf("the keychain holds %s under service %s (%s); kage leaves it alone", strconv.Quote(it.Name), strconv.Quote(keyring.Service(it.Scope)), c.why[i]), fix)
	}
}

// errLeaveIndex stops a repair that would move aside an index this kage
// must not touch.
var errLeaveIndex = errors.New("leave the index alone")

// repair rebuilds the index from the keychain under the index lock (see
// keyring.Index.Repair), listing the keychain again inside the lock so no
// concurrent kage write is lost. It only ever writes the index.
func (d *run) repair(ctx context.Context) error {
	const check = "index-repair"
	if d.inv == nil {
		var ne *keyring.NoInventoryError
		if errors.As(d.invErr, &ne) {
			d.add(check, Skip, "cannot repair the index: "+ne.Reason, "")
		} else {
			d.add(check, Skip, "cannot repair the index until the keychain answers", "")
		}
		return nil
	}
	if entries, err := d.k.Index().Load(); err == nil {
		if _, changes := rebuildIndex(entries, d.inv, d.h.Now(), d.accepted); len(changes) == 0 {
			// Nothing to mend: no need for the lock, which would create
			// the data folder on a first run.
			return nil
		}
	}
	var changes []string
	var fresh *keyring.Inventory
	aside, err := d.k.Index().Repair(ctx, func(entries []keyring.Entry, loadErr error) ([]keyring.Entry, error) {
		if loadErr != nil {
			if classifyIndex(d.k.Index().Path()) != indexCorrupt {
				return nil, errLeaveIndex
			}
		}
		inv, err := d.k.Inventory(ctx)
		if err != nil {
			return nil, err
		}
		fresh = inv
		out, ch := rebuildIndex(entries, inv, d.h.Now().UTC(), d.accepted)
		if len(ch) == 0 && loadErr == nil {
			return nil, errLeaveIndex // nothing to change: leave the file as it is
		}
		changes = ch
		return out, nil
	})
	switch {
	case errors.Is(err, errLeaveIndex):
		if fresh != nil {
			d.inv = fresh
		}
		return nil
	case errors.Is(err, context.Canceled):
		return err
	case err != nil:
		d.add(check, Fail, "cannot repair the index: "+err.Error(), hintOf(err))
		return nil
	}
	d.inv = fresh
	if aside != "" {
		d.add(check, Fixed, fmt.Sprintf("moved the unusable index aside to %s and rebuilt it from the keychain", display.Path(aside)), "")
	}
	for _, c := range changes {
		d.add(check, Fixed, c, "")
	}
	return nil
}

// rebuildIndex makes the index agree with the keychain: entries whose item is
// there are kept as they are, the others dropped; items the index lacks
// are added with the item's own times, except those under a name kage
// refuses that were not stored with --force (accepted). It returns the new
// entries and one line per change.
func rebuildIndex(entries []keyring.Entry, inv *keyring.Inventory, now time.Time, accepted envname.Accepted) ([]keyring.Entry, []string) {
	c := compareIndex(entries, inv, accepted)
	var changes []string
	var out []keyring.Entry
	seen := map[keyring.Ref]bool{}
	for _, en := range entries {
		why := kageName(en.Scope, en.Name)
		switch {
		case why == "" && seen[en.Ref()]:
			why = "listed twice"
			fallthrough
		case why != "":
			changes = append(changes, fmt.Sprintf("dropped %q in %q from the index (%s)", en.Name, en.Scope, why))
		case c.held[en.Ref()] == nil:
			changes = append(changes, fmt.Sprintf("dropped %s from the index: its keychain item is gone", describeRef(en.Scope, en.Name)))
		default:
			seen[en.Ref()] = true
			out = append(out, en)
		}
	}
	for _, r := range c.lacking {
		h := c.held[r]
		created := firstSet(h.created, h.modified, now)
		out = append(out, keyring.Entry{Scope: r.Scope, Name: r.Name, Created: created, Updated: firstSet(h.modified, created)})
		changes = append(changes, fmt.Sprintf("added %s to the index, from its keychain item", describeRef(r.Scope, r.Name)))
	}
	return out, changes
}

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// loadAccepted reads the record of names stored with --force. A record
// kage cannot read is a failure, and then no refused name is adopted.
func (d *run) loadAccepted() {
	f := envname.OpenForced(d.h.Paths.Data)
	// Whoever can write it decides which refused names are exported.
	d.files = append(d.files, f.Path())
	accepted, err := f.Load()
	if err != nil {
		msg := err.Error()
		var fe *envname.ForcedError
		if errors.As(err, &fe) {
			msg = fmt.Sprintf("the record of forced names %s %s", display.Path(fe.Path), fe.Msg)
		}
		d.add("names", Fail, display.OneLine(msg), hintOf(err))
		return
	}
	d.accepted = accepted
}

// checkNames reports the store's secrets under names kage refuses that
// were not stored with --force: kage does not export them.
func (d *run) checkNames(entries []keyring.Entry) {
	const check = "names"
	for _, en := range entries {
		rule, refused := envname.Refused(en.Name)
		if !refused || !envname.Valid(en.Name) || d.accepted.Allows(en.Scope, en.Name) {
			continue
		}
		if sub, ok := subscription.FromScope(en.Scope); ok {
			d.add(check, Warn, fmt.Sprintf("subscription %s exports its key as %s, a name kage refuses (%s); it is not exported", sub, en.Name, rule.Why()),
				fmt.Sprintf("kage subscription add --name %s --env NAME --overwrite", sub))
			continue
		}
		if _, err := scope.FromCanonical(en.Scope); err != nil {
			continue // reported as no kage scope
		}
		where := display.ShellWord(display.Scope(en.Scope))
		if !rule.Forceable() {
			d.add(check, Warn, fmt.Sprintf("%s is under a name kage refuses even with --force (%s); it is not exported", describeRef(en.Scope, en.Name), rule.Why()),
				fmt.Sprintf("kage secret delete %s --scope %s", en.Name, where))
			continue
		}
		d.add(check, Warn, fmt.Sprintf("%s was not stored with --force, and kage refuses the name (%s); it is not exported", describeRef(en.Scope, en.Name), rule.Why()),
			fmt.Sprintf("kage secret delete %s --scope %s, or to export it: kage secret set %s --scope %s --force", en.Name, where, en.Name, where))
	}
}

// checkSubscriptions checks the subscription bindings: that their file is
// usable, that every binding's subscription has a key in the store, and
// that no subscription keeps a stale key beside its own (an interrupted
// kage subscription add --env). entries are the store's; listed is false
// when the store could not be listed, and then only the file is checked.
// --fix drops the bindings to missing subscriptions and deletes the stale
// keys. Only an interruption is returned.
func (d *run) checkSubscriptions(ctx context.Context, store keyring.Store, entries []keyring.Entry, listed, fix bool) error {
	const check = "subscriptions"
	file := subscription.Open(d.h.Paths.Data)
	bindings, err := file.Load()
	if err != nil {
		msg := err.Error()
		var fe *subscription.FileError
		if errors.As(err, &fe) {
			msg = fmt.Sprintf("subscription bindings %s %s", display.Path(fe.Path), fe.Msg)
		}
		d.add(check, Fail, display.OneLine(msg), hintOf(err))
		return nil
	}
	if !listed {
		if len(bindings) > 0 {
			d.add(check, Skip, fmt.Sprintf("cannot check %s against the subscriptions' keys until kage can list the secrets", countOf(len(bindings), "binding")), "")
		}
		return nil
	}
	keys, stale := subscription.Keys(entries)
	if fix && len(danglingBindings(bindings, keys)) > 0 {
		if bindings, keys, err = d.dropDangling(ctx, store, file, bindings, keys); err != nil {
			return err
		}
	}
	if fix && len(stale) > 0 {
		if keys, stale, err = d.deleteStale(ctx, store, keys, stale); err != nil {
			return err
		}
	}
	slices.SortFunc(stale, func(a, b keyring.Entry) int { return compareRefs(a.Ref(), b.Ref()) })
	dangling := danglingBindings(bindings, keys)
	for _, b := range dangling {
		d.addRepairable(check, RepairBindings, fmt.Sprintf("%s is bound to subscription %q, which does not exist", display.Safe(display.Scope(b.Scope)), b.Subscription),
			"kage doctor --fix drops the binding, or add the key again: kage subscription add --name "+b.Subscription)
	}
	for _, en := range stale {
		name, _ := subscription.FromScope(en.Scope)
		d.addRepairable(check, RepairStale, fmt.Sprintf("subscription %s keeps a stale key as %s beside its key as %s (left by an interrupted kage subscription add --env)", name, display.Safe(en.Name), display.Safe(keys[name].Var)),
			"kage doctor --fix deletes the stale key")
	}
	switch {
	case len(dangling)+len(stale) > 0:
	case len(keys)+len(bindings) == 0:
		d.add(check, OK, "no subscriptions", "")
	default:
		d.add(check, OK, countOf(len(keys), "subscription")+", "+countOf(len(bindings), "binding"), "")
	}
	return nil
}

// danglingBindings returns the bindings to subscriptions that have no key.
func danglingBindings(bindings []subscription.Binding, keys map[string]subscription.Key) []subscription.Binding {
	var out []subscription.Binding
	for _, b := range bindings {
		if _, ok := keys[b.Subscription]; !ok {
			out = append(out, b)
		}
	}
	return out
}

// dropDangling removes the bindings to subscriptions without a key. It
// lists the store again under the bindings' lock, so that a subscription
// added and bound since doctor listed it keeps its binding. It returns the
// bindings and keys as they are now, or as they were when it fails.
func (d *run) dropDangling(ctx context.Context, store keyring.Store, file *subscription.Bindings, bindings []subscription.Binding, keys map[string]subscription.Key) ([]subscription.Binding, map[string]subscription.Key, error) {
	var dropped, kept []subscription.Binding
	fresh := keys
	err := file.Update(ctx, func(cur []subscription.Binding) ([]subscription.Binding, error) {
		entries, err := store.List(ctx)
		if err != nil {
			return nil, err
		}
		fresh, _ = subscription.Keys(entries)
		dropped = danglingBindings(cur, fresh)
		kept = slices.DeleteFunc(slices.Clone(cur), func(b subscription.Binding) bool {
			_, ok := fresh[b.Subscription]
			return !ok
		})
		if len(dropped) == 0 {
			return nil, errUnchanged
		}
		return kept, nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return kept, fresh, nil
	case errors.Is(err, context.Canceled):
		return nil, nil, err
	case err != nil:
		d.add("subscriptions", Fail, "cannot drop the bindings to missing subscriptions: "+display.OneLine(err.Error()), hintOf(err))
		return bindings, keys, nil
	}
	for _, b := range dropped {
		d.add("subscriptions", Fixed, fmt.Sprintf("dropped the binding of %s to subscription %q, which does not exist", display.Safe(display.Scope(b.Scope)), b.Subscription), "")
	}
	return kept, fresh, nil
}

// deleteStale deletes the stale keys of subscriptions through the store.
// It lists the store again first and deletes only what is still stale, so
// that a key set since doctor listed the store is kept. It returns the keys
// and the stale keys left.
func (d *run) deleteStale(ctx context.Context, store keyring.Store, keys map[string]subscription.Key, stale []keyring.Entry) (map[string]subscription.Key, []keyring.Entry, error) {
	var ne *keyring.NoInventoryError
	if d.backend == "keyring" && d.inv == nil && !errors.As(d.invErr, &ne) {
		d.add("subscriptions", Skip, "cannot delete the stale keys of subscriptions until the keychain answers", "")
		return keys, stale, nil
	}
	entries, err := store.List(ctx)
	switch {
	case errors.Is(err, context.Canceled):
		return nil, nil, err
	case err != nil:
		d.add("subscriptions", Fail, "cannot delete the stale keys of subscriptions: "+display.OneLine(err.Error()), hintOf(err))
		return keys, stale, nil
	}
	keys, stale = subscription.Keys(entries)
	slices.SortFunc(stale, func(a, b keyring.Entry) int { return compareRefs(a.Ref(), b.Ref()) })
	var left []keyring.Entry
	for _, en := range stale {
		name, _ := subscription.FromScope(en.Scope)
		err := store.Delete(ctx, en.Scope, en.Name)
		switch {
		case err == nil, errors.Is(err, keyring.ErrNotFound):
			d.add("subscriptions", Fixed, fmt.Sprintf("deleted the stale key of subscription %s (%s); it keeps its key as %s", name, display.Safe(en.Name), display.Safe(keys[name].Var)), "")
		case errors.Is(err, context.Canceled):
			return nil, nil, err
		default:
			d.add("subscriptions", Fail, fmt.Sprintf("cannot delete the stale key of subscription %s (%s): %s", name, display.Safe(en.Name), display.OneLine(err.Error())), hintOf(err))
			left = append(left, en)
		}
	}
	return keys, left, nil
}

// rcShell is where a shell reads its start-up code and the line that
// loads kage's hook there.
type rcShell struct {
	name  string
	files []string // the first is where the hook belongs
	line  string
	// marks are what an rc file holding the hook mentions.
	marks []string
}

// rcShells lists each shell's rc files, as the shells look for them.
func rcShells(getenv func(string) string, home, goos string) []rcShell {
	cfg := getenv("XDG_CONFIG_HOME")
	if cfg == "" || !filepath.IsAbs(cfg) {
		cfg = filepath.Join(home, ".config")
	}
	zdot := getenv("ZDOTDIR")
	if zdot == "" {
		zdot = home
	}
	nuDir := filepath.Join(cfg, "nushell")
	pwshDir := filepath.Join(cfg, "powershell")
	switch goos {
	case "darwin":
		if getenv("XDG_CONFIG_HOME") == "" {
			nuDir = filepath.Join(home, "Library", "Application Support", "nushell")
		}
	case "windows":
		app := getenv("APPDATA")
		nuDir = filepath.Join(app, "nushell")
		pwshDir = filepath.Join(home, "Documents", "PowerShell")
	}
	hook := []string{"kage hook"}
	fishFiles := []string{filepath.Join(cfg, "fish", "config.fish")}
	if conf, _ := filepath.Glob(filepath.Join(cfg, "fish", "conf.d", "*.fish")); len(conf) > 0 {
		fishFiles = append(fishFiles, conf...)
	}
	return []rcShell{
		{"bash", []string{filepath.Join(home, ".bashrc"), filepath.Join(home, ".bash_profile"), filepath.Join(home, ".bash_login"), filepath.Join(home, ".profile")},
			`eval "$(kage hook bash)"`, hook},
		{"zsh", []string{filepath.Join(zdot, ".zshrc"), filepath.Join(zdot, ".zshenv"), filepath.Join(zdot, ".zprofile"), filepath.Join(zdot, ".zlogin")},
			`eval "$(kage hook zsh)"`, hook},
		{"fish", fishFiles, "kage hook fish | source", hook},
		{"elvish", []string{filepath.Join(cfg, "elvish", "rc.elv"), filepath.Join(home, ".elvish", "rc.elv")},
			"eval (kage hook elvish | slurp)", hook},
		// nushell cannot source a command's output: the README has the hook
		// saved to kage.nu and config.nu source it.
		{"nu", []string{filepath.Join(nuDir, "config.nu"), filepath.Join(nuDir, "env.nu")},
			"source kage.nu (after: kage hook nu | save -f " + display.Path(filepath.Join(nuDir, "kage.nu")) + ")", []string{"kage hook", "kage.nu"}},
		{"pwsh", []string{filepath.Join(pwshDir, "Microsoft.PowerShell_profile.ps1"), filepath.Join(pwshDir, "profile.ps1")},
			"kage hook pwsh | Out-String | Invoke-Expression", hook},
	}
}

// loginShell names the user's shell from $SHELL; "" when kage has no hook
// for it or cannot tell.
func loginShell(getenv func(string) string, goos string) string {
	name := strings.ToLower(filepath.Base(getenv("SHELL")))
	name = strings.TrimSuffix(strings.TrimPrefix(name, "-"), ".exe")
	switch name {
	case "bash", "zsh", "fish", "elvish", "nu", "pwsh":
		return name
	case "powershell":
		return "pwsh"
	}
	if getenv("SHELL") == "" && goos == "windows" {
		return "pwsh"
	}
	return ""
}

// hookIn returns the first of files that loads the hook, or "".
func hookIn(files, marks []string) string {
	for _, f := range files {
		if rcMentions(f, marks) {
			return f
		}
	}
	return ""
}

// rcMentions reports whether a line of file, not a comment, holds one of
// marks.
func rcMentions(file string, marks []string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, m := range marks {
			if strings.Contains(line, m) {
				return true
			}
		}
	}
	return false
}

// checkHook looks for the prompt hook in the rc files of the shell $SHELL
// names. Without it kage still works (kage env, kage exec): a warning.
func (d *run) checkHook() {
	home := d.h.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	shells := rcShells(d.h.Getenv, home, runtime.GOOS)
	// The shell doctor runs in, then the login shell: in zsh started from
	// a bash login, ~/.zshrc is the file that matters.
	name := loginShell(d.h.Getenv, runtime.GOOS)
	if parent, fromShellVar := shellenv.DetectFrom(d.h.Getenv); parent != "" && !fromShellVar {
		name = parent
	}
	if d.h.Getenv(d.h.HookVar) != "" {
		// The hook's state is in this shell's environment: it ran here.
		where := "this shell"
		if name != "" {
			where = "this shell (" + name + ")"
		}
		d.add("hook", OK, "the prompt hook is active in "+where, "")
		return
	}
	for _, s := range shells {
		if s.name != name {
			continue
		}
		if f := hookIn(s.files, s.marks); f != "" {
			d.add("hook", OK, "prompt hook installed in "+display.Path(f), "")
			return
		}
		d.add("hook", Warn, "the prompt hook is not installed in "+display.Path(s.files[0]),
			"add the line: "+s.line)
		return
	}
	// An unknown $SHELL: any shell's rc file will do.
	for _, s := range shells {
		if f := hookIn(s.files, s.marks); f != "" {
			d.add("hook", OK, "prompt hook installed in "+display.Path(f), "")
			return
		}
	}
	d.add("hook", Warn, fmt.Sprintf("the prompt hook is not installed (no rc file of a shell kage knows loads it; SHELL is %s)", display.Safe(d.h.Getenv("SHELL"))),
		`add eval "$(kage hook bash)" to ~/.bashrc, or your shell's line from kage hook --help`)
}
