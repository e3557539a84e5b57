package testkeyring

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Staller owns org.freedesktop.secrets on a private bus and accepts every
// method call on every object path and interface without ever answering
// it, as a Secret Service hung on a prompt, a deadlock or a swapped-out
// machine would. The Secret Service's own methods (OpenSession,
// SearchItems, Unlock, GetSecrets, CreateItem, ReadAlias…), the
// Properties and Introspectable interfaces and calls on items, sessions
// and collections all stall the same way; only org.freedesktop.DBus.Peer,
// which godbus answers itself, gets an answer. The calls wait until
// [Staller.Close], which drops them unanswered: their callers then get
// the bus's NoReply error, if they still listen.
type Staller struct {
	conn    *dbus.Conn
	release chan struct{}
	once    sync.Once

	mu    sync.Mutex
	calls []string
	seen  chan struct{} // signalled (without blocking) at every call
}

// Stall puts a [Staller] on the bus in place of the Secret Service. The
// name must be free: call [Bus.StopSecrets] first on a bus that has one.
func (b *Bus) Stall() (*Staller, error) {
	s := &Staller{release: make(chan struct{}), seen: make(chan struct{}, 1)}
	conn, err := dbus.Connect(b.Addr, dbus.WithHandler(stallHandler{s}))
	if err != nil {
		return nil, fmt.Errorf("testkeyring: connecting the staller to %s: %w", b.Addr, err)
	}
	s.conn = conn
	reply, err := conn.RequestName(secretsName, dbus.NameFlagDoNotQueue)
	if err == nil && reply != dbus.RequestNameReplyPrimaryOwner {
		err = fmt.Errorf("the name is taken (reply %v): stop the Secret Service first", reply)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("testkeyring: owning %s: %w", secretsName, err)
	}
	return s, nil
}

// Calls returns the methods called so far, as "Interface.Member" in the
// order they arrived.
func (s *Staller) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// WaitCall waits up to d for at least n calls to have arrived, so a test
// knows its client is inside a call; it reports whether they did.
func (s *Staller) WaitCall(n int, d time.Duration) bool {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		got := len(s.calls)
		s.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-s.seen:
		case <-deadline:
			return false
		}
	}
}

// Close releases the stalled calls without answering them and gives the
// name up by leaving the bus. It is safe to call more than once.
func (s *Staller) Close() {
	s.once.Do(func() {
		close(s.release)
		if s.conn != nil {
			s.conn.Close()
		}
	})
}

// errReleased ends a stalled call when the Staller closes; nobody reads it,
// the connection being closed by then.
var errReleased = errors.New("testkeyring: staller closed")

// stallHandler serves every object path with stallMethod. godbus runs each
// incoming call in its own goroutine, so calls stall side by side.
type stallHandler struct{ s *Staller }

func (h stallHandler) LookupObject(path dbus.ObjectPath) (dbus.ServerObject, bool) {
	return h, true
}

func (h stallHandler) LookupInterface(name string) (dbus.Interface, bool) {
	return stallInterface{h.s, name}, true
}

type stallInterface struct {
	s    *Staller
	name string
}

func (i stallInterface) LookupMethod(name string) (dbus.Method, bool) {
	return stallMethod{i.s, i.name + "." + name}, true
}

// stallMethod is any method: it takes whatever arguments come (as an
// ArgumentDecoder that decodes nothing) and blocks until the Staller
// closes.
type stallMethod struct {
	s    *Staller
	name string
}

func (m stallMethod) DecodeArguments(*dbus.Conn, string, *dbus.Message, []any) ([]any, error) {
	return nil, nil
}

func (m stallMethod) Call(...any) ([]any, error) {
	m.s.mu.Lock()
	m.s.calls = append(m.s.calls, m.name)
	m.s.mu.Unlock()
	select {
	case m.s.seen <- struct{}{}:
	default:
	}
	<-m.s.release
	return nil, errReleased
}

func (m stallMethod) NumArguments() int     { return 0 }
func (m stallMethod) NumReturns() int       { return 0 }
func (m stallMethod) ArgumentValue(int) any { return nil }
func (m stallMethod) ReturnValue(int) any   { return nil }
