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
	"strings"
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

// maxRead bounds what Read takes of each file: a file far past MaxSize
// was not written by kage.
const maxRead = 16 << 20

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
	unlock, err := atomicfile.Lock(ctx, filepath.Join(l.dir, lockName), "the access log")
	if err != nil {
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
		if err := os.Rename(path, filepath.Join(l.dir, OldFileName)); err != nil {
			return fmt.Errorf("cannot rotate the access log %s: %s", path, atomicfile.PathErr(err))
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

// Read returns the entries of access.log.1 and access.log, oldest first.
// Lines that are not entries (a line cut short by a full disk, or
// written by something else) are skipped and counted.
func (l Log) Read() (entries []Entry, skipped int, err error) {
	for _, name := range []string{OldFileName, FileName} {
		path := filepath.Join(l.dir, name)
		data, err := safefile.ReadFile(path, safefile.Options{Max: maxRead})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("cannot read the access log %s: %s", path, safefile.Describe(err))
		}
		for line := range bytes.Lines(data) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			var e Entry
			if json.Unmarshal(line, &e) != nil || e.Time.IsZero() || e.Command == "" {
				skipped++
				continue
			}
			entries = append(entries, e)
		}
	}
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.Time.Compare(b.Time) })
	return entries, skipped, nil
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

// safeID is an agent's session id as it may be recorded: ids are UUIDs
// and the like. Anything else is left out, since whoever set the variable
// chose it.
func safeID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == ""
}
