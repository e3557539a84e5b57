package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A state file bigger than any kage writes is refused before it is read:
// a sparse file costs the attacker nothing and would cost kage its size.
func TestReadRefusesAHugeStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.json")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxState + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, exists, err := Read(path)
	if err == nil || !exists || data != nil {
		t.Fatalf("Read of a %d-byte file: %d bytes, exists %v, err %v; want it refused", MaxState+1, len(data), exists, err)
	}
	if !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("error %q does not say how big a state file may be", err)
	}
	if _, err := ReadJSON(path, new(struct{})); err == nil {
		t.Error("ReadJSON took the huge file")
	}
}

// A FIFO put in place of a state file after the Lstat must not block the
// read: on every prompt that would hang the user's shell.
func TestReadDoesNotBlockOnAFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs on Windows")
	}
	path := filepath.Join(t.TempDir(), "index.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	// The read past the mode check: what Read does once Lstat has passed.
	go func() { _, _, err := readChecked(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("read of a FIFO: err %v, want it refused as not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read of a FIFO blocked")
	}
}
