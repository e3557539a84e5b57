package keyring

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/kage-cli/kage/internal/testkeyring"
)

func TestBusSocket(t *testing.T) {
	for _, c := range []struct {
		addr, runtime string
		want          string
		ok            bool
	}{
		{addr: "unix:path=/run/user/1000/bus", want: "/run/user/1000/bus", ok: true},
		{addr: "unix:path=/tmp/b,guid=0123456789abcdef0123456789abcdef", want: "/tmp/b", ok: true},
		{addr: "unix:abstract=/tmp/dbus-XYZ,guid=01", want: "@/tmp/dbus-XYZ", ok: true},
		{addr: "unix:path=/tmp/a%2cb%3bc", want: "/tmp/a,b;c", ok: true},
		{addr: "unix:path=/first;unix:path=/second", want: "/first", ok: true},
		// Left to godbus: unset, the user's own /run/user/UID/bus, not a
		// $XDG_RUNTIME_DIR someone else may share.
		{addr: ""},
		{addr: "", runtime: "/tmp"},
		{addr: "tcp:host=localhost,port=1234"},
		{addr: "unix:tmpdir=/tmp"},
		{addr: "unix:runtime=yes"},
		{addr: "tcp:host=x;unix:path=/second"},
		{addr: "unix:path="},
		{addr: "unix:abstract="},
		{addr: "unix:path=/a,abstract=/b"},
		{addr: "unix:path=/a%zz"},
		{addr: "unix:path=/a%2"},
		{addr: "disabled:"},
		{addr: "unix:path=/a,guid=1,noise=2"},
	} {
		env := map[string]string{"DBUS_SESSION_BUS_ADDRESS": c.addr, "XDG_RUNTIME_DIR": c.runtime}
		got, ok := busSocket(func(k string) string { return env[k] })
		if got != c.want || ok != c.ok {
			t.Errorf("busSocket(%q, XDG_RUNTIME_DIR=%q) = %q, %v; want %q, %v", c.addr, c.runtime, got, ok, c.want, c.ok)
		}
	}
}

// TestPipeBatchWrites: over a busPipe, a whole batch costs four writes to
// the bus (handshake with Hello and Get; OpenSession, Unlock and every
// search; the GetSecrets; Close), not one per call.
func TestPipeBatchWrites(t *testing.T) {
	bus := testkeyring.Start(t)
	items := makeItems("PIPE", 40)
	goKeyring(t, bus, "set", items)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	ctx := context.Background()
	conn, err := connectSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v, ok := pipes.Load(conn)
	if !ok {
		t.Fatalf("connectSession did not connect through a busPipe on %s", bus.Addr)
	}
	p := v.(*busPipe)
	coll, err := register(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	got, err := batchRead(ctx, conn, coll, refsOf(items))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, items)
	p.mu.Lock()
	writes := p.writes
	p.mu.Unlock()
	t.Logf("%d refs: %d writes to the bus", len(items), writes)
	if writes < 1 || writes > 4 {
		t.Errorf("a batch of %d refs took %d writes to the bus, want at most 4", len(items), writes)
	}
}

// refusingBus is a Unix socket that refuses every handshake, as a bus that
// does not take EXTERNAL would, and counts the connections it gets.
func refusingBus(t *testing.T) (addr string, conns *atomic.Int32, first chan []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = new(atomic.Int32)
	first = make(chan []byte, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				first <- append([]byte(nil), buf[:n]...)
				c.Write([]byte("REJECTED DBUS_COOKIE_SHA1\r\n"))
			}()
		}
	}()
	return "unix:path=" + path, conns, first
}

// TestPipeRefused: a bus that refuses the pipelined handshake fails the
// connection with errHandshake, and connectSession then tries godbus's own
// handshake on a second connection rather than give up.
func TestPipeRefused(t *testing.T) {
	addr, conns, first := refusingBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path, _ := busSocket(func(string) string { return addr })
	if _, err := connectPipe(ctx, path); !errors.Is(err, errHandshake) {
		t.Fatalf("connectPipe on a refusing bus: %v, want errHandshake", err)
	}
	// The handshake, BEGIN and Hello went out in the first write.
	b := <-first
	if !bytes.HasPrefix(b, []byte("\x00AUTH EXTERNAL ")) || !bytes.Contains(b, []byte("\r\nBEGIN\r\n")) || !bytes.Contains(b, []byte("Hello")) || !bytes.Contains(b, []byte("Collections")) {
		t.Errorf("the first write was %q, want the handshake, Hello and Get(Collections) together", b)
	}
	if _, err := connectSession(ctx); err == nil {
		t.Fatal("connectSession succeeded on a bus that refuses every handshake")
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("the bus got %d connections, want 3 (connectPipe, then connectSession's pipe and godbus's own)", n)
	}
}

// TestPipeForgottenOnHangUp: a bus that hangs up at once, before godbus's
// handshake with the pipe is over, leaves no connection behind in pipes.
// The fault it guards against is a race between dialPipe and godbus's
// reader: the race detector (go test -race) sees it on every run, a plain
// run only now and then.
func TestPipeForgottenOnHangUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("REJECTED EXTERNAL\r\n"))
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 300 {
		if conn, err := connectPipe(ctx, path); err == nil {
			conn.Close()
		}
	}
	left := 0
	pipes.Range(func(_, _ any) bool { left++; return true })
	if left != 0 {
		t.Errorf("%d closed connections left in pipes", left)
	}
}

// TestSettleClosesPrepared: Settle waits for the connection Prepare
// started, registered with the Secret Service, and closes it, so that a
// kage with nothing to read does not leave it open, or half-registered.
func TestSettleClosesPrepared(t *testing.T) {
	bus := testkeyring.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	clients := func() int {
		conn, err := dbus.Connect(bus.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var names []string
		if err := conn.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, name := range names {
			if strings.HasPrefix(name, ":") {
				n++
			}
		}
		return n
	}
	before := clients()
	k := newBatchStore(t)
	k.Prepare()
	k.Settle()
	if k.early != nil {
		t.Fatal("Settle left the prepared connection to a later GetMany")
	}
	deadline := time.Now().Add(2 * time.Second)
	for n := clients(); n != before; n = clients() {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients on the bus after Settle, %d before Prepare: the prepared connection is still open", n, before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
