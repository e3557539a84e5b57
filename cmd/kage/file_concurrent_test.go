package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
)

// TestFileConcurrentWritersAndReaders runs many kage processes at once on
// the file backend — writers setting secrets, readers running kage env —
// and none may take the file for a rolled-back one: a reader reads the
// generation record before the file, and a writer records only after its
// rename. Every secret set is there at the end, and the record holds the
// file's generation.
func TestFileConcurrentWritersAndReaders(t *testing.T) {
	home := t.TempDir()
	id := filepath.Join(home, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		t.Fatal(err)
	}
	cmd := func(stdin string, args ...string) *exec.Cmd {
		c := exec.Command("kage", args...)
		c.Env = append(os.Environ(), "HOME="+home, "KAGE_HOME="+filepath.Join(home, ".kage"), "KAGE_NAMESPACE=",
			"KAGE_BACKEND=file", "KAGE_AGE_IDENTITY="+id, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-bus"))
		c.Dir = home
		c.Stdin = strings.NewReader(stdin)
		return c
	}
	const writers, readers = 12, 12
	inParallel(t, writers+readers, func(i int) *exec.Cmd {
		if i%2 == 0 {
			return cmd(fmt.Sprintf("v%d\n", i), "secret", "set", fmt.Sprintf("PAR_%02d", i))
		}
		return cmd("", "env", "--shell", "sh")
	})
	out, err := cmd("", "env", "--shell", "sh").CombinedOutput()
	if err != nil {
		t.Fatalf("kage env: %v: %s", err, out)
	}
	for i := 0; i < writers+readers; i += 2 {
		if want := fmt.Sprintf("export PAR_%02d='v%d'", i, i); !strings.Contains(string(out), want) {
			t.Errorf("kage env lacks %s:\n%s", want, out)
		}
	}
	seen, err := os.ReadFile(filepath.Join(home, ".kage", keyring.SeenFileName))
	if err != nil || !strings.Contains(string(seen), fmt.Sprintf(`"generation":%d}`, writers)) {
		t.Errorf("the generation record after %d writes: %s, %v", writers, seen, err)
	}
}
