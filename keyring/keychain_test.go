package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

// newMockStore returns a Keychain over go-keyring's in-memory mock with a
// clock the test moves.
func newMockStore(t *testing.T) (*Keychain, *time.Time) {
	t.Helper()
	gokeyring.MockInit()
	k := NewKeychain(filepath.Join(t.TempDir(), "data"))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	k.now = func() time.Time { return now }
	k.precheck = nil
	return k, &now
}

func TestSetGetListDelete(t *testing.T) {
	ctx := context.Background()
	k, now := newMockStore(t)
	if err := k.Set(ctx, "global", "API_KEY", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := k.Set(ctx, "namespace:backend", "API_KEY", []byte("v2\nline")); err != nil {
		t.Fatal(err)
	}
	got, err := k.Get(ctx, "namespace:backend", "API_KEY")
	if err != nil || string(got) != "v2\nline" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// The item is named as DESIGN.md says, so other tools find it.
	if v, err := gokeyring.Get("kage-global", "API_KEY"); err != nil || v != "v1" {
		t.Fatalf("go-keyring sees %q, %v under kage-global/API_KEY", v, err)
	}

	created := *now
	*now = now.Add(48 * time.Hour)
	if err := k.Set(ctx, "global", "API_KEY", []byte("rotated")); err != nil {
		t.Fatal(err)
	}
	entries, err := k.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("List = %+v, want 2 entries", entries)
	}
	g := entries[0]
	if g.Scope != "global" || !g.Created.Equal(created) || !g.Updated.Equal(*now) {
		t.Fatalf("after rotation entry = %+v; want created %v updated %v", g, created, *now)
	}
	if v, _ := k.Get(ctx, "global", "API_KEY"); string(v) != "rotated" {
		t.Fatalf("rotation kept %q", v)
	}

	if err := k.Delete(ctx, "global", "API_KEY"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, "global", "API_KEY"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after delete: %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, "global", "API_KEY"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	entries, _ = k.List(ctx)
	if len(entries) != 1 || entries[0].Scope != "namespace:backend" {
		t.Fatalf("after delete List = %+v", entries)
	}
}

func TestIndexHoldsNoValueAndIsPrivate(t *testing.T) {
	k, _ := newMockStore(t)
	value := "s3cr3t-value-that-must-not-leak"
	if err := k.Set(context.Background(), "repo:/tmp/x", "TOKEN", []byte(value)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(k.Index().Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), value) {
		t.Fatalf("index holds the value: %s", data)
	}
	for _, banned := range []string{"len", "size", "hash", "value"} {
		if strings.Contains(string(data), banned) {
			t.Errorf("index has a %q field: %s", banned, data)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, _ := os.Stat(k.Index().Path())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("index mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(k.Index().Path()))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %v, want 0700", di.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(k.Index().Path()), ".index-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestDeleteRemovesStaleIndexEntry(t *testing.T) {
	ctx := context.Background()
	k, _ := newMockStore(t)
	if err := k.Set(ctx, "global", "GONE", []byte("x")); err != nil {
		t.Fatal(err)
	}
	// Someone removed the item behind kage's back.
	if err := gokeyring.Delete("kage-global", "GONE"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "global", "GONE"); err != nil {
		t.Fatalf("delete of an index entry whose item is gone: %v", err)
	}
	if es, _ := k.List(ctx); len(es) != 0 {
		t.Fatalf("stale entry kept: %+v", es)
	}
}

func TestKeychainFailureLeavesIndexUnchanged(t *testing.T) {
	ctx := context.Background()
	k, _ := newMockStore(t)
	if err := k.Set(ctx, "global", "KEEP", []byte("x")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(k.Index().Path())
	gokeyring.MockInitWithError(errors.New("dbus: connection closed by user"))
	defer gokeyring.MockInit()

	err := k.Set(ctx, "global", "NEW", []byte("y"))
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Hint() == "" {
		t.Fatalf("Set with a failing keychain: %v, want UnavailableError with a hint", err)
	}
	if err := k.Delete(ctx, "global", "KEEP"); err == nil {
		t.Fatal("Delete with a failing keychain succeeded")
	}
	after, _ := os.ReadFile(k.Index().Path())
	if string(before) != string(after) {
		t.Fatalf("index changed by failed writes:\nbefore %s\nafter  %s", before, after)
	}
}

func TestIndexWriteFailureLeavesKeychainUnchanged(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a folder the process cannot write: not possible as root or on Windows")
	}
	ctx := context.Background()
	k, _ := newMockStore(t)
	if err := k.Set(ctx, "global", "A", []byte("x")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(k.Index().Path())
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := k.Set(ctx, "global", "B", []byte("y")); err == nil {
		t.Fatal("Set succeeded with a read-only data folder")
	}
	if _, err := gokeyring.Get("kage-global", "B"); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Fatalf("keychain item written although the index could not be: %v", err)
	}
}

func TestCorruptIndexIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	k, _ := newMockStore(t)
	if err := os.MkdirAll(filepath.Dir(k.Index().Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"{", "", `{"version":1,"secrets":[{"scope":"","name":"X"}]}`, `{"version":9,"secrets":[]}`, `{"version":1,"secrets":[],"extra":1}`, `{"version":1,"secrets":[]}{"version":1,"secrets":[]}`, `{"version":1,"secrets":[]} x`} {
		if err := os.WriteFile(k.Index().Path(), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		err := k.Set(ctx, "global", "X", []byte("v"))
		var ie *IndexError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), k.Index().Path()) {
			t.Fatalf("index %q: Set error %v, want IndexError naming the file", bad, err)
		}
		if got, _ := os.ReadFile(k.Index().Path()); string(got) != bad {
			t.Fatalf("corrupt index %q overwritten with %q", bad, got)
		}
		if _, err := gokeyring.Get("kage-global", "X"); !errors.Is(err, gokeyring.ErrNotFound) {
			t.Fatalf("keychain written although the index is corrupt")
		}
	}
}

func TestTimeoutBoundsACall(t *testing.T) {
	k, _ := newMockStore(t)
	k.timeout = 50 * time.Millisecond
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	err := k.call(context.Background(), "get", "global", "X", func() error { <-block; return nil })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("message %q does not say the bound", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("call was not bounded")
	}
}

func TestMaxValue(t *testing.T) {
	if got := maxValueFor("windows", "global", "X"); got != 2560 {
		t.Errorf("windows limit %d, want 2560", got)
	}
	if got := maxValueFor("linux", "global", "X"); got != MaxInput {
		t.Errorf("linux limit %d, want %d", got, MaxInput)
	}
	short := maxValueFor("darwin", "global", "X")
	long := maxValueFor("darwin", "repo:/Users/someone/a/very/long/path/to/the/repository", "A_LONGER_NAME")
	if short < 2900 || short > 3100 {
		t.Errorf("darwin limit for a short name %d, want about 3000", short)
	}
	if long >= short {
		t.Errorf("darwin limit does not shrink with the service name: %d >= %d", long, short)
	}
	// The limit must fit go-keyring's 4096-byte command line exactly.
	for _, tc := range []struct{ scope, name string }{{"global", "X"}, {"repo:/it's/here", "NAME"}} {
		n := maxValueFor("darwin", tc.scope, tc.name)
		enc := 4 * ((n + 2) / 3)
		line := len("add-generic-password -U -s ") + quotedLen(Service(tc.scope)) + len(" -a ") + quotedLen(tc.name) + len(" -w ") + 2 + len("go-keyring-base64:") + enc + 1
		if line > 4096 {
			t.Errorf("%s/%s: %d-byte value makes a %d-byte line", tc.scope, tc.name, n, line)
		}
	}
}

func TestTooBigRefusedBeforeWriting(t *testing.T) {
	k, _ := newMockStore(t)
	err := k.Set(context.Background(), "global", "BIG", make([]byte, MaxValue("global", "BIG")+1))
	var tb *TooBigError
	if !errors.As(err, &tb) || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("err = %v, want TooBigError with the limit", err)
	}
	if _, err := os.Stat(k.Index().Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("index written for a refused value")
	}
}

func TestTranslate(t *testing.T) {
	cases := []struct {
		in   error
		want string
	}{
		{gokeyring.ErrNotFound, "not found"},
		{errors.New("dbus: DBUS_SESSION_BUS_ADDRESS not set"), "no D-Bus session"},
		{errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "locked"},
		// What the bus answers for a Secret Service that died with the
		// call unanswered.
		{dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply", Body: []any{"Message recipient disconnected from message bus without replying"}}, "the Secret Service quit without answering"},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, "no Secret Service is running"},
	}
	for _, c := range cases {
		if got := translate(c.in, "global", "X"); !strings.Contains(got.Error(), c.want) {
			t.Errorf("translate(%v) = %v, want it to say %q", c.in, got, c.want)
		}
	}
}
