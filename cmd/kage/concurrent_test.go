package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kage-cli/kage/internal/testkeyring"
)

// kageCmd runs the kage that testscript.Main put on PATH, against bus, with
// its own HOME and KAGE_HOME.
func kageCmd(t *testing.T, bus *testkeyring.Bus, home, stdin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("kage", args...)
	cmd.Env = append(bus.Environ(os.Environ()),
		"HOME="+home, "KAGE_HOME="+filepath.Join(home, ".kage"), "XDG_RUNTIME_DIR="+home, "KAGE_NAMESPACE=")
	cmd.Dir = home
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// inParallel starts n commands at once and fails the test for each that
// fails.
func inParallel(t *testing.T, n int, cmd func(i int) *exec.Cmd) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		c := cmd(i)
		wg.Go(func() {
			if out, err := c.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

type listed struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

func listJSON(t *testing.T, bus *testkeyring.Bus, home string) []listed {
	t.Helper()
	out, err := kageCmd(t, bus, home, "", "secret", "list", "--json").Output()
	if err != nil {
		t.Fatalf("secret list: %v", err)
	}
	var l []listed
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("list output %q: %v", out, err)
	}
	return l
}

// TestConcurrentSets runs many kage processes at once: the index lock must
// keep every entry, and every value must be readable afterwards.
func TestConcurrentSets(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()

	const n = 50
	inParallel(t, n, func(i int) *exec.Cmd {
		return kageCmd(t, bus, home, fmt.Sprintf("value-%d\n", i), "secret", "set", fmt.Sprintf("NAME_%02d", i))
	})
	l := listJSON(t, bus, home)
	if len(l) != n {
		t.Fatalf("%d concurrent sets left %d entries in the index", n, len(l))
	}
	for i, e := range l {
		if want := fmt.Sprintf("NAME_%02d", i); e.Name != want || e.Scope != "global" {
			t.Errorf("entry %d = %+v, want %s in global", i, e, want)
		}
		out, err := kageCmd(t, bus, home, "", "secret", "get", e.Name).Output()
		if err != nil || string(out) != fmt.Sprintf("value-%d", i) {
			t.Errorf("get %s = %q, %v", e.Name, out, err)
		}
	}
}

// TestConcurrentUpdates rotates one name from many processes at once: one
// entry remains, and its value is one of those written.
func TestConcurrentUpdates(t *testing.T) {
	bus := testkeyring.Start(t)
	home := t.TempDir()

	const n = 20
	inParallel(t, n, func(i int) *exec.Cmd {
		return kageCmd(t, bus, home, fmt.Sprintf("rotation-%d\n", i), "secret", "set", "ROTATED")
	})
	l := listJSON(t, bus, home)
	if len(l) != 1 || l[0].Name != "ROTATED" {
		t.Fatalf("after %d updates the index holds %+v, want one ROTATED entry", n, l)
	}
	out, err := kageCmd(t, bus, home, "", "secret", "get", "ROTATED").Output()
	if err != nil || !strings.HasPrefix(string(out), "rotation-") {
		t.Fatalf("get ROTATED = %q, %v", out, err)
	}
	search := exec.Command("secret-tool", "search", "--all", "service", "kage-global", "username", "ROTATED")
	search.Env = bus.Environ(os.Environ())
	items, err := search.CombinedOutput()
	if err != nil {
		t.Fatalf("secret-tool search: %v: %s", err, items)
	}
	if c := strings.Count(string(items), "attribute.username = ROTATED"); c != 1 {
		t.Fatalf("the keychain holds %d items for ROTATED, want 1:\n%s", c, items)
	}
}
