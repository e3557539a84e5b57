package keyring

// Connecting to the session bus in one write.
//
// godbus's handshake waits for the bus daemon five times before the first
// call can go out (AUTH, AUTH EXTERNAL, DATA, NEGOTIATE_UNIX_FD, Hello),
// and it writes every message with a system call of its own. On a 2-core
// machine where the bus daemon, gnome-keyring and kage share the cores,
// each wait costs a context switch or two: connecting took 4 ms of a 10 ms
// `kage env`, and it, not kage's own start, was what the batch waited for.
//
// A busPipe is the transport of the connections kage dials itself, when
// the bus is a Unix socket. It sends the handshake the way sd-bus does —
// AUTH EXTERNAL with the user's ID, then BEGIN, without waiting between
// them (the D-Bus specification allows a client to pipeline them) — in the
// same write as Hello and whatever else the caller queues (see cork), and
// plays the bus's part of godbus's handshake itself, so that godbus, which
// parses and routes every message as usual, never waits for it. The bus's
// own answer to the handshake is checked when the first message is read:
// a bus that refuses it fails every call on the connection with
// errHandshake, and connectSession then connects again the usual way.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// errHandshake is what the calls on a busPipe's connection return when the
// bus refused the pipelined handshake.
var errHandshake = errors.New("the session bus refused the EXTERNAL handshake")

// busSocket returns the Unix socket of the session bus, as a path (an
// abstract socket starts with "@"), and whether the address names one the
// way busPipe can use: the first address of DBUS_SESSION_BUS_ADDRESS when
// it is unix:path= or unix:abstract=. Every other form (tcp:, unix:tmpdir=,
// launchd:, …) and an unset variable are left to godbus, which then looks
// for the user's bus in /run/user/UID, never in a $XDG_RUNTIME_DIR that
// may be shared (XDG_RUNTIME_DIR=/tmp in a container): another user could
// put a "bus" there and be sent every secret kage stores.
func busSocket(getenv func(string) string) (string, bool) {
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return "", false
	}
	first, _, _ := strings.Cut(addr, ";")
	rest, ok := strings.CutPrefix(first, "unix:")
	if !ok {
		return "", false
	}
	var path string
	found := 0
	for kv := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(kv, "=")
		v, ok := unescapeAddress(v)
		if !ok {
			return "", false
		}
		switch k {
		case "path":
			path, found = v, found+1
		case "abstract":
			path, found = "@"+v, found+1
		case "guid":
		default:
			return "", false
		}
	}
	if found != 1 || path == "" || path == "@" {
		return "", false
	}
	return path, true
}

// unescapeAddress undoes the %XX escapes of a D-Bus address value.
func unescapeAddress(v string) (string, bool) {
	if !strings.Contains(v, "%") {
		return v, true
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", false
		}
		n, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), true
}

// pipes maps each connection dialled with a busPipe to it, for cork.
var pipes sync.Map // *dbus.Conn → *busPipe

// dialPipe connects to the bus socket at path and returns a godbus
// connection over a busPipe whose handshake is written but not yet
// answered, and the pipe, corked: nothing goes out until uncork.
func dialPipe(ctx context.Context, path string, opts ...dbus.ConnOption) (*dbus.Conn, *busPipe, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, nil, err
	}
	p := &busPipe{c: c, r: bufio.NewReaderSize(c, 64<<10), corked: true}
	uid := strconv.Itoa(os.Geteuid())
	p.out = append(p.out, "\x00AUTH EXTERNAL "+hex.EncodeToString([]byte(uid))+"\r\nBEGIN\r\n"...)
	conn, err := dbus.NewConn(p, opts...)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	// Known before Auth starts godbus's reader, whose Close, on a bus that
	// hangs up at once, must find the pipe to forget it.
	p.conn = conn
	pipes.Store(conn, p)
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(uid)}); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, p, nil
}

// A busPipe carries one connection to the bus (see the top of this file).
type busPipe struct {
	c    net.Conn
	r    *bufio.Reader
	conn *dbus.Conn

	// Until godbus has sent BEGIN, what it writes is its side of the
	// handshake, which the pipe answers from answers.
	begun   bool
	pending []byte
	answers []byte
	// The bus's answer to the handshake is read before the first message.
	answered bool

	// collections is register's first call, sent by connectPipe.
	collections *dbus.Call

	mu     sync.Mutex
	corked bool
	out    []byte
	// writes counts the writes to the socket, for tests.
	writes int
}

// Read gives godbus the pipe's answers during the handshake, then the
// bus's messages.
func (p *busPipe) Read(b []byte) (int, error) {
	if !p.begun {
		if len(p.answers) == 0 {
			return 0, errors.New("dbus handshake: nothing to read")
		}
		n := copy(b, p.answers)
		p.answers = p.answers[n:]
		return n, nil
	}
	if !p.answered {
		if err := p.readAnswer(); err != nil {
			return 0, err
		}
		p.answered = true
	}
	return p.r.Read(b)
}

// readAnswer reads the bus's answer to the pipelined handshake: OK and the
// server's GUID, as no Unix FDs were asked for.
func (p *busPipe) readAnswer() error {
	line, err := p.r.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("dbus handshake: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("OK ")) {
		return errHandshake
	}
	return nil
}

// Write takes godbus's side of the handshake, then queues or sends its
// messages.
func (p *busPipe) Write(b []byte) (int, error) {
	if !p.begun {
		return p.handshake(b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.corked {
		p.out = append(p.out, b...)
		return len(b), nil
	}
	p.writes++
	return p.c.Write(b)
}

// handshake answers godbus's handshake lines as a bus accepting EXTERNAL
// would: the real exchange was pipelined at dial.
func (p *busPipe) handshake(b []byte) (int, error) {
	p.pending = append(p.pending, b...)
	for {
		i := bytes.IndexByte(p.pending, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := strings.TrimRight(string(bytes.TrimLeft(p.pending[:i], "\x00")), "\r")
		p.pending = p.pending[i+1:]
		switch {
		case line == "AUTH":
			p.answers = append(p.answers, "REJECTED EXTERNAL\r\n"...)
		case line == "AUTH EXTERNAL" || strings.HasPrefix(line, "AUTH EXTERNAL "):
			// The GUID is the bus's; godbus only keeps it.
			p.answers = append(p.answers, "OK 00000000000000000000000000000000\r\n"...)
		case line == "BEGIN":
			p.begun = true
			p.pending = nil
			return len(b), nil
		default:
			return 0, fmt.Errorf("dbus handshake: unexpected %q", line)
		}
	}
}

// cork holds back what is written on conn, when it is a busPipe's, until
// the function it returns is called, so that calls sent together go out in
// one write. The function must be called before waiting for any of them.
func cork(conn *dbus.Conn) (uncork func() error) {
	v, ok := pipes.Load(conn)
	if !ok {
		return func() error { return nil }
	}
	p := v.(*busPipe)
	p.mu.Lock()
	p.corked = true
	p.mu.Unlock()
	return p.uncork
}

// uncork sends what was held back and lets later writes through.
func (p *busPipe) uncork() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corked = false
	if len(p.out) == 0 {
		return nil
	}
	out := p.out
	p.out = nil
	p.writes++
	_, err := p.c.Write(out)
	return err
}

// takeCollections returns the Get(Collections) connectPipe sent on conn,
// once; nil when there is none.
func takeCollections(conn *dbus.Conn) *dbus.Call {
	v, ok := pipes.Load(conn)
	if !ok {
		return nil
	}
	p := v.(*busPipe)
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.collections
	p.collections = nil
	return c
}

// Close closes the socket.
func (p *busPipe) Close() error {
	if p.conn != nil {
		pipes.Delete(p.conn)
	}
	return p.c.Close()
}
