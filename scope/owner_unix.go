//go:build unix

package scope

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// notOwned returns why one of paths (a work tree, its .git and git
// directories) fails git's ownership test, or "" when the current user owns
// them all. It is git's is_path_owned_by_current_uid: lstat, the effective
// uid, and for root the user sudo ran as (SUDO_UID), so `sudo kage` in
// one's own repository still finds it, while a root-owned one counts as
// root's own.
func notOwned(paths []string) string {
	euid := os.Geteuid()
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return fmt.Sprintf("%s cannot be checked (%v)", quotePath(p), cleanErr(unwrapPath(err)))
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		if ownedBy(int(st.Uid), euid, os.Getenv) {
			continue
		}
		return fmt.Sprintf("%s belongs to another user (uid %d)", quotePath(p), st.Uid)
	}
	return ""
}

// ownedBy applies git's rule to a file owned by uid.
func ownedBy(uid, euid int, getenv func(string) string) bool {
	if euid == 0 {
		if uid == 0 {
			return true
		}
		if s := getenv("SUDO_UID"); s != "" {
			if n, err := strconv.ParseUint(s, 10, 31); err == nil {
				euid = int(n)
			}
		}
	}
	return uid == euid
}
