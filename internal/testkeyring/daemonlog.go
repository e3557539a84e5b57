package testkeyring

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// problemLine matches what gnome-keyring-daemon (GLib) writes when something
// is wrong inside it: g_return_if_fail's "assertion 'client' failed", the
// CRITICAL, WARNING and ERROR log levels ("Gkd-CRITICAL **"), and what the
// C library and the shell print for an abort. A daemon that logs one of
// these is a step from the abort of gnome-keyring 42 that a fresh client's
// early OpenSession can cause: a test must fail on the first sign, not only
// on the crash, which comes about one run in ten.
var problemLine = regexp.MustCompile(`assertion|CRITICAL|WARNING|ERROR|[Aa]bort|Trace/breakpoint|core dumped|Segmentation`)

// benignLine matches the two warnings gnome-keyring 42 gives in normal use.
// When an item is changed (CreateItem with replace, as every kage secret
// set over a stored name) the daemon registers the changed object again
// and says so. When a locked collection is asked to unlock where no prompt
// can be shown (no desktop: the tests' private bus) it says it could not
// make one, and the caller gets a dismissed prompt. Nothing is wrong in
// either, and a test that failed on them would fail on ordinary use.
var benignLine = regexp.MustCompile(`WARNING \*\*: [0-9:.]+: (asked to register item /org/freedesktop/secrets/collection/[A-Za-z0-9_/]+, but it's already registered|couldn't create system prompt: GDBus\.Error:org\.freedesktop\.DBus\.Error\.ServiceUnknown: The name org\.gnome\.keyring\.SystemPrompter was not provided by any \.service files)$`)

// DaemonProblems returns the lines of the gnome-keyring-daemon's log (its
// stdout and stderr, kept in Dir/gnome-keyring.log) that say it went wrong,
// and one line for each daemon that exited without the harness killing it
// (a crash, an abort: exit status 133 is SIGTRAP from g_error). Empty means
// the daemon was healthy throughout. Every test that uses [Start],
// [StartLocked] or [StartBare] gets this checked at its end; users of
// [StartEnv] check it themselves (see [Bus.CheckDaemon]).
func (b *Bus) DaemonProblems() []string {
	b.exitMu.Lock()
	out := append([]string(nil), b.exits...)
	b.exitMu.Unlock()
	if b.keyringLog == nil {
		return out
	}
	b.secMu.Lock()
	data := b.closedLog
	closed := data != nil
	b.secMu.Unlock()
	if !closed {
		var err error
		if data, err = os.ReadFile(b.keyringLog.Name()); err != nil {
			return append(out, "reading the daemon's log: "+err.Error())
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if problemLine.Match(sc.Bytes()) && !benignLine.Match(sc.Bytes()) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// CheckDaemon returns an error listing DaemonProblems, nil when there are
// none: for testscript setups and TestMain functions that use [StartEnv].
func (b *Bus) CheckDaemon() error {
	p := b.DaemonProblems()
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("the Secret Service failed (a crash or an assertion in gnome-keyring; kage must never cause one):\n%s", strings.Join(p, "\n"))
}
