package testkeyring

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Monitor records the methods called on the Secret Service of a private
// bus, through the bus's monitoring interface (its policy allows it), so
// tests can count calls or check that no value was read.
type Monitor struct {
	addr string
	ch   chan *dbus.Message
	mu   sync.Mutex
	msgs []*dbus.Message
}

// Monitor starts recording; it stops when the test ends.
func (b *Bus) Monitor(t testing.TB) *Monitor {
	t.Helper()
	conn, err := dbus.Connect(b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	m := &Monitor{addr: b.Addr, ch: make(chan *dbus.Message, 1<<16)}
	done := make(chan struct{})
	t.Cleanup(func() {
		// Detach the channel before closing: godbus's Close closes it while
		// its reader may still deliver one more message, which panics.
		conn.Eavesdrop(nil)
		close(m.ch)
		conn.Close()
		<-done
	})
	// Every message goes to the channel from now on, the answer to
	// BecomeMonitor included: godbus must not answer method calls on a
	// monitor connection, which the bus would punish by disconnecting it.
	conn.Eavesdrop(m.ch)
	conn.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil, []string{}, uint32(0))
	for msg := range m.ch {
		if msg.Type == dbus.TypeMethodReply {
			break
		}
		if msg.Type == dbus.TypeError {
			t.Fatalf("BecomeMonitor: %v", msg.Body)
		}
	}
	go func() {
		defer close(done)
		for msg := range m.ch {
			m.mu.Lock()
			m.msgs = append(m.msgs, msg)
			m.mu.Unlock()
		}
	}()
	return m
}

// Calls returns the methods called on org.freedesktop.secrets since the
// last Calls, once the monitor has seen everything sent before this call:
// it waits for a marker call of its own to come through.
func (m *Monitor) Calls(t testing.TB) []string {
	t.Helper()
	marker, err := dbus.Connect(m.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	if err := marker.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		t.Fatal(err)
	}
	me := marker.Names()[0]
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		m.mu.Lock()
		var out []string
		seen := false
		for _, msg := range m.msgs {
			if msg.Type != dbus.TypeMethodCall {
				continue
			}
			if header(msg, dbus.FieldSender) == me && header(msg, dbus.FieldMember) == "GetId" {
				seen = true
			}
			if header(msg, dbus.FieldDestination) == secretsName {
				out = append(out, header(msg, dbus.FieldMember))
			}
		}
		if seen {
			m.msgs = nil
		}
		m.mu.Unlock()
		if seen {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatal("the monitor never saw its marker call")
		}
	}
}

func header(msg *dbus.Message, f dbus.HeaderField) string {
	if v, ok := msg.Headers[f]; ok {
		return fmt.Sprint(v.Value())
	}
	return ""
}
