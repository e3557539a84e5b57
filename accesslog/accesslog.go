// Package accesslog keeps kage's record of which program was handed which
// secrets, and when: one JSON line per command that gives values out, in
// access.log in kage's data folder.
//
// An entry names secrets, never holds their values or anything computed
// from them (no hash, no length), so the log can be read, copied and
// shared without care. It records the process that asked (its pid and
// program name, never its arguments, which may hold a token) and the
// markers coding agents put in their children's environment (Agents), so
// that "which agent read this, in which session" has an answer.
package accesslog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/atomicfile"
	"github.com/kage-cli/kage/internal/safefile"
)

// File names of the log in the data folder: the current log, the one
// before it (rotated), and the lock writers take.
const (
	FileName    = "access.log"
	OldFileName = "access.log.1"
	lockName    = "access.log.lock"
)

// MaxSize is the size past which the log is rotated: access.log becomes
// access.log.1, replacing the one before. At about 300 bytes an entry
// that is some 3,000 entries a file.
const MaxSize = 1 << 20

// Read's bounds, so that a log someone else wrote cannot make kage log
// take the memory of the machine: of each file it reads at most maxRead
// (a file far past MaxSize was not written by kage), and a line longer
// than maxLine or with more than maxSecrets names is not an entry. An
// entry kage writes for a thousand secrets is about 60 KiB.
const (
	maxRead    = 4 * MaxSize
	maxLine    = 256 << 10
	maxSecrets = 4096
)

// lockWait bounds how long Append waits for another kage's append. One
// takes well under a millisecond; a lock held longer is held on purpose
// or by a stuck process, and the command must not wait on it.
const lockWait = 250 * time.Millisecond

// Secret is one secret handed out: its name and the scope it came from
// (canonical, as the index writes it). A subscription's key has the
// subscription's name, and the scope it is bound at ("" when it was
// forced with --subscription).
type Secret struct {
	Name         string `json:"name"`
	Scope        string `json:"scope,omitempty"`
	Subscription string `json:"subscription,omitempty"`
}

// Process is a process by pid and program name (its command name, as ps
// shows it: never its arguments).
type Process struct {
	PID  int    `json:"pid"`
	Name string `json:"name,omitempty"`
}

// Agent is a coding agent whose markers the environment holds: its name
// and, where the agent puts one there, its session's id.
type Agent struct {
	Name    string `json:"name"`
	Session string `json:"session,omitempty"`
}

// Entry is one line of the log.
type Entry struct {
	Time time.Time `json:"time"`
	// Command is what handed the values out: env, exec, secret get,
	// subscription key or hook.
	Command string   `json:"command"`
	Secrets []Secret `json:"secrets"`
	// Dir is the folder the secrets were resolved for.
	Dir string `json:"dir"`
	// PID is kage's own.
	PID int `json:"pid"`
	// Program is what kage exec started: the command as typed, without
	// its arguments.
	Program string `json:"program,omitempty"`
	// Parent is the process that ran kage: the shell, or the agent.
	Parent Process `json:"parent"`
	// Agents are the coding agents the environment says kage runs under;
	// nested agents can give several.
	Agents []Agent `json:"agents,omitempty"`
}

// Log is the access log in a data folder.
type Log struct{ dir string }

// Open returns the log kept in the data folder dir; nothing is opened
// until Append or Read.
func Open(dir string) Log { return Log{dir: dir} }

// Path is the current log file's path.
func (l Log) Path() string { return filepath.Join(l.dir, FileName) }

// Append adds e as one line, under the log's lock, rotating the file
// first when it has reached MaxSize. The file is created 0600 and is
// never opened through a link, nor when it is not a plain file of the
// user's: someone who could plant one could otherwise make kage append to
// a file of their choosing.
func (l Log) Append(ctx context.Context, e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("cannot write the access log: %s", atomicfile.PathErr(err))
	}
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	unlock, err := atomicfile.Lock(lctx, filepath.Join(l.dir, lockName), "the access log")
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("cannot write the access log: %s has been locked for over %s by another process; the entry was left out", filepath.Join(l.dir, lockName), lockWait)
		}
		return err
	}
	defer unlock()
	path := l.Path()
	f, err := openAppend(path)
	if err != nil {
		return fmt.Errorf("cannot write the access log %s: %w", path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() >= MaxSize {
		f.Close()
		if err := rotate(path, filepath.Join(l.dir, OldFileName)); err != nil {
			return err
		}
		if f, err = openAppend(path); err != nil {
			return fmt.Errorf("cannot write the access log %s: %w", path, err)
		}
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("cannot write the access log %s: %s", path, atomicfile.PathErr(err))
	}
	return nil
}

// rotate moves the full log to old, replacing the one there. An old log
// that is in the way as something rename cannot replace (an empty
// folder) is removed first; one that cannot be removed either is named in
// the error, with the fix, rather than left to fail every command after.
func rotate(path, old string) error {
	err := os.Rename(path, old)
	if err == nil {
		return nil
	}
	if fi, lerr := os.Lstat(old); lerr == nil && !fi.Mode().IsRegular() {
		if os.Remove(old) == nil {
			if err = os.Rename(path, old); err == nil {
				return nil
			}
		}
		return fmt.Errorf("cannot rotate the access log: %s is not a plain file: remove it", old)
	}
	return fmt.Errorf("cannot rotate the access log %s: %s", path, atomicfile.PathErr(err))
}

// Contents is what Read found.
type Contents struct {
	// Entries are oldest first.
	Entries []Entry
	// Skipped counts the lines that are not entries: a line cut short by
	// a full disk, or one something else wrote.
	Skipped int
	// Unread says why access.log.1 was left out, when it could not be
	// read; "" when it was read or is not there.
	Unread string
}

// Read returns the entries of access.log.1 and access.log. An
// access.log.1 that cannot be read is left out (Contents.Unread says
// why), so that the current log still shows; an access.log that cannot
// be read is the error.
func (l Log) Read() (Contents, error) {
	var c Contents
	for _, name := range []string{OldFileName, FileName} {
		path := filepath.Join(l.dir, name)
		data, err := safefile.ReadFile(path, safefile.Options{Max: maxRead})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			why := fmt.Sprintf("cannot read the access log %s: %s", path, safefile.Describe(err))
			if name == OldFileName {
				c.Unread = why
				continue
			}
			return Contents{}, errors.New(why)
		}
		for line := range bytes.Lines(data) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			if e, ok := parseEntry(line); ok {
				c.Entries = append(c.Entries, e)
			} else {
				c.Skipped++
			}
		}
	}
	slices.SortStableFunc(c.Entries, func(a, b Entry) int { return a.Time.Compare(b.Time) })
	return c, nil
}

// parseEntry decodes one line, within Read's bounds: a line that is too
// long, holds too many secrets, or names a secret without a name is not
// an entry kage wrote. The count of names is taken before decoding, so
// that a line of a hundred thousand empty objects costs no more than
// reading it.
func parseEntry(line []byte) (Entry, bool) {
	if len(line) > maxLine || bytes.Count(line, []byte("{")) > maxSecrets+16 {
		return Entry{}, false
	}
	var e Entry
	if json.Unmarshal(line, &e) != nil || e.Time.IsZero() || e.Command == "" || len(e.Secrets) == 0 {
		return Entry{}, false
	}
	for _, s := range e.Secrets {
		if s.Name == "" {
			return Entry{}, false
		}
	}
	return e, true
}

// Filter chooses entries for Read's callers; a zero field matches all.
type Filter struct {
	Since time.Time
	// Name matches an entry that handed out a secret of that name, or
	// of a name a glob ("AWS_*") matches.
	Name string
	// Scope matches an entry that handed out a secret from that scope
	// (canonical), or a subscription's key bound there.
	Scope string
}

// Match reports whether e passes f.
func (f Filter) Match(e Entry) bool {
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if f.Name == "" && f.Scope == "" {
		return true
	}
	for _, s := range e.Secrets {
		if (f.Name == "" || envname.MatchGlob(f.Name, s.Name)) && (f.Scope == "" || s.Scope == f.Scope) {
			return true
		}
	}
	return false
}

// safeID reports whether s is a session id as it may be recorded: the
// agents with a session variable (Claude Code, Codex, Gemini CLI) give
// a UUID, 8-4-4-4-12 hex digits. Anything else is left out: whoever set
// the variable chose it, and a token pasted there must not reach the log.
func safeID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
