//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// Values for the masking tests: a key, and a password whose base64 has
// + and / and whose percent-encoding differs from it.
const (
	maskKey = "sk-ant-api03-Zx9Qm2Lr7Tv4Wp8Ks1Nd"
	maskPW  = "p@ss w/rd+?&=%~~~"
)

// maskHome stores the masking tests' secrets and returns the home.
func maskHome(t *testing.T, bus *testkeyring.Bus) string {
	t.Helper()
	home := t.TempDir()
	for name, v := range map[string]string{"API_KEY": maskKey, "DB_PASSWORD": maskPW, "PIN": "1234"} {
		if out, err := kageCmd(t, bus, home, v, "secret", "set", name).CombinedOutput(); err != nil {
			t.Fatalf("set %s: %v: %s", name, err, out)
		}
	}
	return home
}

// assertMasked fails when out holds any value, or any form of one, that
// kage exec hands out and masks.
func assertMasked(t *testing.T, what, out string) {
	t.Helper()
	for _, v := range []string{maskKey, maskPW} {
		for _, f := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)), url.QueryEscape(v)} {
			if strings.Contains(out, f) {
				t.Errorf("%s holds a value (%q):\n%s", what, f, out)
			}
		}
	}
}

// TestExecMasksOutput runs a real child that prints the values raw,
// base64- and percent-encoded, to stdout and stderr, split across writes
// with pauses shorter and longer than the filter's hold: neither stream
// ever holds a whole value, the markers are where the values were, and
// the rest of the output is exact.
func TestExecMasksOutput(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	script := `
printf 'raw %s end\n' "$API_KEY"
printf '%s' "$API_KEY" | base64 -w0; echo
printf 'pw=%s\n' "$DB_PASSWORD" >&2
printf '%s' "$DB_PASSWORD" | base64 -w0 >&2; echo >&2
printf 'pin %s\n' "$PIN"
# A value in three writes, 20 ms apart: the filter holds it whole.
k=$API_KEY
printf 'split %s' "${k%%-api03*}"; sleep 0.02; printf -- '-api03'; sleep 0.02; printf '%s\n' "${k#*-api03}"
# The start of a value, then a pause longer than the hold: the start is
# written, the rest becomes the marker.
printf 'late %s' "${k%%Zx9Q*}"; sleep 0.3; printf '%s\n' "${k#*-api03-}"
printf 'q=%s\n' "$(printf %s "$DB_PASSWORD" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g')" >&2
exit 5`
	cmd := kageCmd(t, bus, home, "", "exec", "--", "sh", "-c", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Fatalf("kage exec: %v, want exit 5; stderr:\n%s", err, stderr.String())
	}
	assertMasked(t, "stdout", stdout.String())
	assertMasked(t, "stderr", stderr.String())
	// The split value is held whole, unless the machine is so busy that a
	// 20 ms pause lasted over 50 ms: then its start is out before the
	// marker, as for the late one.
	lines := strings.SplitAfter(stdout.String(), "\n")
	split := ""
	if len(lines) == 6 {
		split, lines[3] = lines[3], "split <kage:API_KEY>\n"
	}
	wantOut := "raw <kage:API_KEY> end\n<kage:API_KEY>\npin 1234\nsplit <kage:API_KEY>\nlate sk-ant-api03-…<kage:API_KEY>\n"
	if got := strings.Join(lines, ""); got != wantOut {
		t.Errorf("stdout:\n%q\nwant\n%q", stdout.String(), wantOut)
	}
	start, ok := strings.CutSuffix(strings.TrimPrefix(split, "split "), "<kage:API_KEY>\n")
	if cut, was := strings.CutSuffix(start, "…"); was {
		start = cut
	}
	if !ok || !strings.HasPrefix(maskKey, start) {
		t.Errorf("the split value came out as %q", split)
	} else if start != "" {
		t.Logf("a pause outlasted the hold: %q came out before the marker", start)
	}
	// The last line is percent-encoding of every byte, which is not one of
	// the forms masked: kage masks what is likely, not every encoding.
	if !strings.HasPrefix(stderr.String(), "pw=<kage:DB_PASSWORD>\n<kage:DB_PASSWORD>\nq=%70%40") {
		t.Errorf("stderr:\n%q", stderr.String())
	}
}

// TestExecMaskedStdinAndExit: the child reads kage's stdin itself, and its
// exit code is kage's.
func TestExecMaskedStdinAndExit(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	cmd := kageCmd(t, bus, home, "line one\n"+maskKey+"\n", "exec", "--", "sh", "-c", `cat; read -r x </dev/null; exit 3`)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("kage exec: %v, want exit 3", err)
	}
	if got := stdout.String(); got != "line one\n<kage:API_KEY>\n" {
		t.Fatalf("stdout %q", got)
	}
}

// TestExecMaskedSignals sends kage SIGINT, SIGTERM and SIGHUP while it
// masks a child's output: each reaches the child once (it traps them and
// says so), and kage ends as the child ends. kage runs in a session of
// its own, with no terminal, as a supervisor or an agent starts it.
func TestExecMaskedSignals(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			script := `n=0; trap 'n=$((n+1))' ` + strings.TrimPrefix(sigName(sig), "SIG") + `
echo "ready $API_KEY"
i=0; while [ $i -lt 40 ] && [ $n -eq 0 ]; do sleep 0.05; i=$((i+1)); done
sleep 0.2
echo "got $n"`
			cmd := kageCmd(t, bus, home, "", "exec", "--", "sh", "-c", script)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			pr, pw := io.Pipe()
			cmd.Stdout = pw
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait(); pw.Close() }()
			lines := bufio.NewScanner(pr)
			if !lines.Scan() || lines.Text() != "ready <kage:API_KEY>" {
				t.Fatalf("first line %q", lines.Text())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			if err := <-done; err != nil {
				t.Fatalf("kage exec: %v", err)
			}
			if strings.Join(rest, "|") != "got 1" {
				t.Fatalf("the child said %q, want it got the signal once", rest)
			}
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGINT: "INT", syscall.SIGTERM: "TERM", syscall.SIGHUP: "HUP"}[s]
}

// TestExecMaskedDeath: a child killed by a signal ends kage by the same
// signal (the shell sees 128+n as without kage); one the Go runtime would
// print stacks for ends it with 128+n.
func TestExecMaskedDeath(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	for _, tc := range []struct {
		sig  string
		want syscall.Signal
		code int
	}{{"TERM", syscall.SIGTERM, 0}, {"KILL", syscall.SIGKILL, 0}, {"SEGV", 0, 139}, {"ABRT", 0, 134}} {
		cmd := kageCmd(t, bus, home, "", "exec", "--", "sh", "-c", `echo "$API_KEY"; kill -`+tc.sig+` $$`)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: %v, want the child's death", tc.sig, err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		switch {
		case tc.want != 0 && (!ws.Signaled() || ws.Signal() != tc.want):
			t.Errorf("%s: wait status %v, want killed by %v", tc.sig, ws, tc.want)
		case tc.want == 0 && ee.ExitCode() != tc.code:
			t.Errorf("%s: exit %d (%v), want %d", tc.sig, ee.ExitCode(), ws, tc.code)
		}
		if stdout.String() != "<kage:API_KEY>\n" || stderr.Len() != 0 {
			t.Errorf("%s: stdout %q, stderr %q", tc.sig, stdout.String(), stderr.String())
		}
	}
}

// TestExecTerminalNotMasked runs kage exec in a real terminal (tmux): the
// key command refuses the terminal; the
// program keeps its terminal, unfiltered, and a stream sent to a file is
// masked while the other stays on the terminal. Ctrl-C reaches the child
// once: the terminal sends it to the child itself, and kage does not pass
// on a second one.
func TestExecTerminalNotMasked(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	errFile := filepath.Join(home, "err.txt")
	outFile := filepath.Join(home, "out.txt")
	stop := filepath.Join(home, "stop")
	script := `kage subscription key --env API_KEY; echo "key-exit=$?"
kage exec -- sh -c 'printf "tty:%s\n" "$API_KEY"; printf "file:%s\n" "$API_KEY" >&2' 2>` + errFile + `
kage exec -- sh -c 'n=0; trap "n=\$((n+1))" INT; echo "ready:$API_KEY"; while [ ! -e ` + stop + ` ]; do sleep 0.05; done; echo "ints:$n" >&2' >` + outFile + `
echo kage-done; sleep 30`
	term := newTerminal(t, bus, home, script)
	sc := term.waitFor("tty:")
	if !strings.Contains(sc, "kage: refusing to print a key to a terminal\nkage: hint: pipe or capture it, or pass --reveal\nkey-exit=1") || strings.Count(sc, maskKey) != 1 {
		t.Fatalf("kage subscription key printed to the terminal:\n%s", sc)
	}
	if !strings.Contains(sc, "tty:"+maskKey) {
		t.Fatalf("the terminal did not show the value unmasked:\n%s", sc)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(outFile)
		if string(b) == "ready:<kage:API_KEY>\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout to a file: %q, want it masked", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(errFile)
	if err != nil || string(b) != "file:<kage:API_KEY>\n" {
		t.Fatalf("stderr to a file: %q, %v", b, err)
	}
	term.tmux("send-keys", "C-c")
	time.Sleep(300 * time.Millisecond)
	if err := os.WriteFile(stop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sc = term.waitFor("kage-done")
	if !strings.Contains(sc, "ints:1") {
		t.Fatalf("Ctrl-C did not reach the child exactly once:\n%s", sc)
	}
}

// TestExecMaskedSignalAfterExit: once the child has exited, a signal ends
// kage even while a process the child left running holds its output
// open, as it would without masking; before the fix kage swallowed it.
func TestExecMaskedSignalAfterExit(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	cmd := kageCmd(t, bus, home, "", "exec", "--", "sh", "-c", `sleep 5 & echo "$API_KEY"`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	go io.Copy(io.Discard, pr)
	// The child prints and exits at once; the sleep keeps the pipe.
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Fatalf("kage ended with %v, want killed by SIGTERM", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("kage outlived SIGTERM while a grandchild held its output")
	}
}

// TestExecMaskedNoteForFile: values masked in stdout on its way to a
// regular file are said on stderr; in stderr, or to a pipe, they are not.
func TestExecMaskedNoteForFile(t *testing.T) {
	bus := testkeyring.Start(t)
	home := maskHome(t, bus)
	f, err := os.Create(filepath.Join(home, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := kageCmd(t, bus, home, "", "exec", "--", "sh", "-c", `echo "$API_KEY $DB_PASSWORD"; echo "$API_KEY" >&2`)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kage exec: %v: %s", err, stderr.String())
	}
	b, _ := os.ReadFile(f.Name())
	if string(b) != "<kage:API_KEY> <kage:DB_PASSWORD>\n" {
		t.Errorf("the file holds %q", b)
	}
	want := "<kage:API_KEY>\nkage: masked 2 values in the program's stdout, which goes to a file; kage exec --no-mask writes them as they are\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
