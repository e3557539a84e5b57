package scope

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// MembershipFile is the file in kage's data folder that records which
// repository is in which namespace, as kage namespace set wrote it. It is
// the only place a repository's namespace comes from besides --namespace,
// KAGE_NAMESPACE and config.toml: nothing a work tree or its .git holds is
// read for it, so a downloaded archive or another user's /tmp/.git cannot
// put a folder into namespace:production.
const MembershipFile = "namespaces.json"

const (
	membershipLock    = "namespaces.lock"
	membershipVersion = 1
)

// Member is one repository's namespace.
type Member struct {
	// Repo is the repository's canonical path, as in repo:<path>.
	Repo string `json:"repo"`
	// Namespace is canonical (lower-case, valid).
	Namespace string    `json:"namespace"`
	Set       time.Time `json:"set"`
}

type membershipFile struct {
	Version int      `json:"version"`
	Members []Member `json:"repositories"`
}

// MembershipError reports a membership file kage cannot use; kage never
// overwrites such a file.
type MembershipError struct {
	Path string
	Msg  string
}

func (e *MembershipError) Error() string {
	return fmt.Sprintf("namespace memberships %s %s", quotePath(e.Path), e.Msg)
}

// Hint tells the user how to recover.
func (e *MembershipError) Hint() string {
	return "it holds only which repository is in which namespace, never a secret: fix it, or move it aside and run kage namespace set again in each repository"
}

// MembershipPath is the membership file of the data folder dir.
func MembershipPath(dir string) string { return filepath.Join(dir, MembershipFile) }

// Members reads the memberships recorded in the data folder dir, sorted by
// repository. A missing file holds none; readers take no lock, as writers
// replace the file atomically.
func Members(dir string) ([]Member, error) {
	path := MembershipPath(dir)
	var f membershipFile
	exists, err := atomicfile.ReadJSON(path, &f)
	if err != nil {
		return nil, &MembershipError{Path: path, Msg: err.Error()}
	}
	if !exists {
		return nil, nil
	}
	if f.Version != membershipVersion {
		return nil, &MembershipError{Path: path, Msg: fmt.Sprintf("has version %d; this kage reads version %d", f.Version, membershipVersion)}
	}
	seen := map[string]bool{}
	for _, m := range f.Members {
		if _, err := FromCanonical("repo:" + m.Repo); err != nil {
			return nil, &MembershipError{Path: path, Msg: "is corrupt: " + quotePath(err.Error())}
		}
		if err := ValidNamespace(m.Namespace); err != nil {
			return nil, &MembershipError{Path: path, Msg: "is corrupt: " + quotePath(err.Error())}
		}
		if seen[m.Repo] {
			return nil, &MembershipError{Path: path, Msg: fmt.Sprintf("is corrupt: %s is listed twice", quotePath(m.Repo))}
		}
		seen[m.Repo] = true
	}
	sortMembers(f.Members)
	return f.Members, nil
}

// membershipOf is the namespace recorded for the repository repo, or "".
// On the prompt hook's path a missing file costs one Lstat.
func membershipOf(dir, repo string) (string, error) {
	ms, err := Members(dir)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.Repo == repo {
			return m.Namespace, nil
		}
	}
	return "", nil
}

// SetMembership records that the repository whose canonical root is repo
// (Context.Repo) is in namespace name, lower-cased and validated first. It
// returns the namespace recorded before, "" for none.
func SetMembership(ctx context.Context, dir, repo, name string, now time.Time) (previous string, err error) {
	n, err := normalizeNamespace(name)
	if err != nil {
		return "", err
	}
	if _, err := FromCanonical("repo:" + repo); err != nil {
		return "", err
	}
	if !utf8.ValidString(repo) {
		// JSON would keep it as U+FFFD and the membership would name
		// another path.
		return "", fmt.Errorf("this repository's path %s is not valid UTF-8, and kage keeps memberships in UTF-8 JSON; rename the folder to give it a namespace", quotePath(repo))
	}
	err = updateMembers(ctx, dir, func(ms []Member) []Member {
		for i := range ms {
			if ms[i].Repo == repo {
				previous = ms[i].Namespace
				if previous == n {
					return nil
				}
				ms[i].Namespace, ms[i].Set = n, now.UTC()
				return ms
			}
		}
		return append(ms, Member{Repo: repo, Namespace: n, Set: now.UTC()})
	})
	return previous, err
}

// UnsetMembership removes the namespace recorded for repo and returns it;
// "" (and no write) when none was recorded.
func UnsetMembership(ctx context.Context, dir, repo string) (previous string, err error) {
	err = updateMembers(ctx, dir, func(ms []Member) []Member {
		out := ms[:0]
		for _, m := range ms {
			if m.Repo == repo {
				previous = m.Namespace
				continue
			}
			out = append(out, m)
		}
		if previous == "" {
			return nil
		}
		return out
	})
	return previous, err
}

// updateMembers changes the file under its lock: fn gets the current
// memberships and returns the new ones, or nil to write nothing.
func updateMembers(ctx context.Context, dir string, fn func([]Member) []Member) error {
	path := MembershipPath(dir)
	unlock, err := atomicfile.Lock(ctx, filepath.Join(dir, membershipLock), "the namespace memberships "+quotePath(path))
	if err != nil {
		return err
	}
	defer unlock()
	atomicfile.RemoveTemps(path)
	cur, err := Members(dir)
	if err != nil {
		return err
	}
	next := fn(cur)
	if next == nil {
		return nil
	}
	sortMembers(next)
	data, err := json.MarshalIndent(membershipFile{Version: membershipVersion, Members: next}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, "the namespace memberships "+quotePath(path), append(data, '\n'))
}

func sortMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Repo < ms[j].Repo })
}
