// Package keyringtest holds the conformance suite every keyring.Store
// backend runs unchanged: the keychain, the file store, and the aws and
// azure backends. It lives apart from package keyring so that "testing"
// stays out of the production binary.
//
// A backend's test calls Conformance with a Factory that makes a fresh,
// empty store for each subtest:
//
//	func TestConformance(t *testing.T) {
//		keyringtest.Conformance(t, func(t *testing.T) keyringtest.Backend {
//			path := filepath.Join(t.TempDir(), "secrets.age")
//			return keyringtest.Backend{
//				Store:    keyring.NewFile(path, key),
//				MaxValue: func(scope, name string) int { return keyring.MaxInput },
//				Open:     func() keyring.Store { return keyring.NewFile(path, key) },
//			}
//		})
//	}
package keyringtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kage-cli/kage/keyring"
)

// Backend is one fresh, empty store and what the suite must know about it.
type Backend struct {
	// Store is empty when the factory returns it.
	Store keyring.Store
	// MaxValue is the largest value the store takes for scope and name;
	// one byte more must be refused with a *keyring.TooBigError.
	MaxValue func(scope, name string) int
	// Open returns another, independent instance on the same storage, as
	// a second kage process would have; the concurrency tests give each
	// writer its own. Nil when the backend has no such thing: the writers
	// then share Store.
	Open func() keyring.Store
}

// Factory makes a fresh, empty backend for one subtest; it registers any
// cleanup with t.
type Factory func(t *testing.T) Backend

// Writers is how many writers the concurrency tests start at once.
const Writers = 20

// Scopes has one scope of every kind, including repo paths with spaces and
// non-ASCII letters, in canonical form.
var Scopes = []string{
	"global",
	"namespace:backend",
	"namespace:a.b_c-9",
	"repo:/home/dev/code/api",
	"repo:/home/dev/My Projects/naïve café/日本",
	// A subscription's key (package subscription).
	"subscription:work-account",
}

// Conformance runs the suite against the stores f makes.
func Conformance(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"SetGet", testSetGet},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"ListMetadata", testList},
		{"Scopes", testScopes},
		{"NotFound", testNotFound},
		{"Limit", testLimit},
		{"Binary", testBinary},
		{"GetMany", testGetMany},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentUpdates", testConcurrentUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := f(t)
			if b.Store == nil || b.MaxValue == nil {
				t.Fatal("keyringtest: the factory must set Store and MaxValue")
			}
			if got := list(t, b.Store); len(got) != 0 {
				t.Fatalf("the factory's store is not empty: %v", got)
			}
			tc.fn(t, b)
		})
	}
}

var ctx = context.Background()

func set(t *testing.T, s keyring.Store, scope, name string, v []byte) {
	t.Helper()
	if err := s.Set(ctx, scope, name, v); err != nil {
		t.Fatalf("Set(%s, %s, %d bytes): %v", scope, name, len(v), err)
	}
}

func get(t *testing.T, s keyring.Store, scope, name string) []byte {
	t.Helper()
	v, err := s.Get(ctx, scope, name)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", scope, name, err)
	}
	return v
}

func wantValue(t *testing.T, s keyring.Store, scope, name string, want []byte) {
	t.Helper()
	if got := get(t, s, scope, name); !bytes.Equal(got, want) {
		t.Fatalf("Get(%s, %s) = %s, want %s", scope, name, show(got), show(want))
	}
}

func list(t *testing.T, s keyring.Store) []keyring.Entry {
	t.Helper()
	es, err := s.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return es
}

// refs lists what List returned, in its order.
func refs(es []keyring.Entry) []keyring.Ref {
	out := make([]keyring.Ref, len(es))
	for i, e := range es {
		out[i] = e.Ref()
	}
	return out
}

func wantNotFound(t *testing.T, err error, op, scope, name string) {
	t.Helper()
	if !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("%s(%s, %s) on a missing secret: %v, want an error matching keyring.ErrNotFound", op, scope, name, err)
	}
	var nf *keyring.NotFoundError
	if !errors.As(err, &nf) || nf.Scope != scope || nf.Name != name {
		t.Fatalf("%s(%s, %s): %#v, want a *keyring.NotFoundError naming %s in %s", op, scope, name, err, name, scope)
	}
}

// show prints a value short enough for a failure message.
func show(v []byte) string {
	if len(v) > 40 {
		return fmt.Sprintf("%d bytes %q…", len(v), v[:40])
	}
	return fmt.Sprintf("%q", v)
}

func testSetGet(t *testing.T, b Backend) {
	s := b.Store
	v := []byte("s3cr3t value")
	set(t, s, "global", "API_KEY", v)
	// The store keeps its own copy: a caller reusing its buffer changes
	// nothing stored.
	v[0] = 'X'
	wantValue(t, s, "global", "API_KEY", []byte("s3cr3t value"))
	got := get(t, s, "global", "API_KEY")
	got[0] = 'Y'
	wantValue(t, s, "global", "API_KEY", []byte("s3cr3t value"))

	multi := []byte("-----BEGIN KEY-----\nline two\r\n\ttabbed 'quoted' \"double\" $HOME `cmd`\n-----END KEY-----\n")
	set(t, s, "global", "PEM", multi)
	wantValue(t, s, "global", "PEM", multi)
	if es := list(t, s); !slices.Equal(refs(es), []keyring.Ref{{Scope: "global", Name: "API_KEY"}, {Scope: "global", Name: "PEM"}}) {
		t.Fatalf("List after two Sets = %v", es)
	}
	if b.Open != nil {
		// Another instance, as another process, sees the same.
		wantValue(t, b.Open(), "global", "PEM", multi)
	}
}

func testUpdate(t *testing.T, b Backend) {
	s := b.Store
	set(t, s, "namespace:backend", "TOKEN", []byte("first"))
	before := list(t, s)
	if len(before) != 1 {
		t.Fatalf("List = %v, want one entry", before)
	}
	// Stores may keep times to the microsecond or coarser.
	time.Sleep(20 * time.Millisecond)
	set(t, s, "namespace:backend", "TOKEN", []byte("second, longer than the first"))
	wantValue(t, s, "namespace:backend", "TOKEN", []byte("second, longer than the first"))
	set(t, s, "namespace:backend", "TOKEN", []byte("3"))
	wantValue(t, s, "namespace:backend", "TOKEN", []byte("3"))

	after := list(t, s)
	if len(after) != 1 || after[0].Ref() != before[0].Ref() {
		t.Fatalf("List after updates = %v, want the one entry %v", after, before[0].Ref())
	}
	if !after[0].Created.Equal(before[0].Created) {
		t.Errorf("Created changed on update: %v, was %v", after[0].Created, before[0].Created)
	}
	if !after[0].Updated.After(before[0].Updated) {
		t.Errorf("Updated = %v after an update 20 ms later, was %v: want later", after[0].Updated, before[0].Updated)
	}
	if after[0].Updated.Before(after[0].Created) {
		t.Errorf("Updated %v is before Created %v", after[0].Updated, after[0].Created)
	}
}

func testDelete(t *testing.T, b Backend) {
	s := b.Store
	set(t, s, "global", "A", []byte("a"))
	set(t, s, "global", "B", []byte("b"))
	set(t, s, "namespace:backend", "A", []byte("a in backend"))
	if err := s.Delete(ctx, "global", "A"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Get(ctx, "global", "A")
	wantNotFound(t, err, "Get after Delete", "global", "A")
	wantValue(t, s, "global", "B", []byte("b"))
	wantValue(t, s, "namespace:backend", "A", []byte("a in backend"))
	want := []keyring.Ref{{Scope: "namespace:backend", Name: "A"}, {Scope: "global", Name: "B"}}
	if got := refs(list(t, s)); !slices.Equal(got, want) {
		t.Fatalf("List after Delete = %v, want %v", got, want)
	}
	wantNotFound(t, s.Delete(ctx, "global", "A"), "second Delete", "global", "A")
	m, err := s.GetMany(ctx, []keyring.Ref{{Scope: "global", Name: "A"}})
	if err != nil || len(m) != 0 {
		t.Fatalf("GetMany of a deleted secret = %v, %v; want nothing", m, err)
	}
	// A deleted name can be stored again, as new.
	set(t, s, "global", "A", []byte("again"))
	wantValue(t, s, "global", "A", []byte("again"))
}

func testList(t *testing.T, b Backend) {
	s := b.Store
	if es := list(t, s); len(es) != 0 {
		t.Fatalf("List of an empty store = %v", es)
	}
	// Stores may keep times to the second: allow for truncation.
	start := time.Now().Add(-time.Second)
	stored := []keyring.Ref{
		{Scope: "repo:/home/dev/code/api", Name: "ZED"},
		{Scope: "global", Name: "ZED"},
		{Scope: "namespace:backend", Name: "ALPHA"},
		{Scope: "global", Name: "alpha"},
		{Scope: "namespace:backend", Name: "ZED"},
		{Scope: "global", Name: "ALPHA"},
		{Scope: "global", Name: "_UNDERSCORE"},
		{Scope: "global", Name: "B2"},
		{Scope: "global", Name: "B10"},
	}
	for i, r := range stored {
		set(t, s, r.Scope, r.Name, []byte(fmt.Sprintf("value %d", i)))
	}
	end := time.Now().Add(time.Second)
	// Sorted by name, then scope, byte-wise: upper case before "_" before
	// lower case, "B10" before "B2".
	want := []keyring.Ref{
		{Scope: "global", Name: "ALPHA"},
		{Scope: "namespace:backend", Name: "ALPHA"},
		{Scope: "global", Name: "B10"},
		{Scope: "global", Name: "B2"},
		{Scope: "global", Name: "ZED"},
		{Scope: "namespace:backend", Name: "ZED"},
		{Scope: "repo:/home/dev/code/api", Name: "ZED"},
		{Scope: "global", Name: "_UNDERSCORE"},
		{Scope: "global", Name: "alpha"},
	}
	es := list(t, s)
	if got := refs(es); !slices.Equal(got, want) {
		t.Fatalf("List = %v\nwant    %v", got, want)
	}
	for _, e := range es {
		if e.Created.Before(start) || e.Created.After(end) || e.Updated.Before(start) || e.Updated.After(end) {
			t.Errorf("%s in %s: created %v, updated %v; want both between %v and %v", e.Name, e.Scope, e.Created, e.Updated, start, end)
		}
		if e.Updated.Before(e.Created) {
			t.Errorf("%s in %s: updated %v before created %v", e.Name, e.Scope, e.Updated, e.Created)
		}
	}
	// List is the same every time.
	if again := list(t, s); !slices.EqualFunc(es, again, sameEntry) {
		t.Fatalf("a second List differs:\n%v\n%v", es, again)
	}
}

func sameEntry(a, b keyring.Entry) bool {
	return a.Ref() == b.Ref() && a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated)
}

func testScopes(t *testing.T, b Backend) {
	s := b.Store
	for _, sc := range Scopes {
		set(t, s, sc, "SHARED", []byte("value for "+sc))
	}
	for _, sc := range Scopes {
		wantValue(t, s, sc, "SHARED", []byte("value for "+sc))
	}
	want := make([]keyring.Ref, len(Scopes))
	for i, sc := range Scopes {
		want[i] = keyring.Ref{Scope: sc, Name: "SHARED"}
	}
	slices.SortFunc(want, func(a, b keyring.Ref) int { return strings.Compare(a.Scope, b.Scope) })
	if got := refs(list(t, s)); !slices.Equal(got, want) {
		t.Fatalf("List = %v\nwant    %v", got, want)
	}
	// Each scope is its own: deleting in one leaves the others.
	victim := Scopes[len(Scopes)-1]
	if err := s.Delete(ctx, victim, "SHARED"); err != nil {
		t.Fatalf("Delete(%s): %v", victim, err)
	}
	_, err := s.Get(ctx, victim, "SHARED")
	wantNotFound(t, err, "Get", victim, "SHARED")
	for _, sc := range Scopes[:len(Scopes)-1] {
		wantValue(t, s, sc, "SHARED", []byte("value for "+sc))
	}
	// A repo path that is a prefix of another is a different scope.
	set(t, s, "repo:/home/dev/code/api2", "PREFIX", []byte("api2"))
	_, err = s.Get(ctx, "repo:/home/dev/code/api", "PREFIX")
	wantNotFound(t, err, "Get", "repo:/home/dev/code/api", "PREFIX")
}

func testNotFound(t *testing.T, b Backend) {
	s := b.Store
	_, err := s.Get(ctx, "global", "MISSING")
	wantNotFound(t, err, "Get", "global", "MISSING")
	wantNotFound(t, s.Delete(ctx, "global", "MISSING"), "Delete", "global", "MISSING")

	set(t, s, "namespace:backend", "ONLY_HERE", []byte("v"))
	for _, sc := range Scopes {
		if sc == "namespace:backend" {
			continue
		}
		_, err := s.Get(ctx, sc, "ONLY_HERE")
		wantNotFound(t, err, "Get", sc, "ONLY_HERE")
		wantNotFound(t, s.Delete(ctx, sc, "ONLY_HERE"), "Delete", sc, "ONLY_HERE")
	}
	// Names are case-sensitive.
	_, err = s.Get(ctx, "namespace:backend", "only_here")
	wantNotFound(t, err, "Get", "namespace:backend", "only_here")
	// Failed deletes changed nothing.
	wantValue(t, s, "namespace:backend", "ONLY_HERE", []byte("v"))
	if got := refs(list(t, s)); !slices.Equal(got, []keyring.Ref{{Scope: "namespace:backend", Name: "ONLY_HERE"}}) {
		t.Fatalf("List = %v", got)
	}
}

// pattern returns n bytes that are not all alike, so that a store which
// truncates or shifts the value is caught.
func pattern(n int, seed byte) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(i*7+int(seed))%94 + 33 // printable, no NUL
	}
	return v
}

func testLimit(t *testing.T, b Backend) {
	s := b.Store
	for _, sc := range []string{"global", Scopes[len(Scopes)-1]} {
		name := "BIG"
		limit := b.MaxValue(sc, name)
		if limit <= 0 {
			t.Fatalf("MaxValue(%s, %s) = %d", sc, name, limit)
		}
		largest := pattern(limit, 1)
		set(t, s, sc, name, largest)
		wantValue(t, s, sc, name, largest)

		before := list(t, s)
		over := pattern(limit+1, 2)
		err := s.Set(ctx, sc, name, over)
		var tb *keyring.TooBigError
		if !errors.As(err, &tb) {
			t.Fatalf("Set of %d bytes, one over the limit of %d: %v, want a *keyring.TooBigError", len(over), limit, err)
		}
		if tb.Name != name || tb.Size != limit+1 || tb.Limit != limit {
			t.Errorf("TooBigError = %+v, want name %s, size %d, limit %d", tb, name, limit+1, limit)
		}
		// Refused before anything was written: the old value and the
		// metadata stand.
		wantValue(t, s, sc, name, largest)
		if after := list(t, s); !slices.EqualFunc(before, after, sameEntry) {
			t.Fatalf("a refused Set changed List:\n%v\n%v", before, after)
		}
		// A new name that is too big is not stored at all.
		err = s.Set(ctx, sc, "NEW_BIG", over)
		if !errors.As(err, &tb) {
			t.Fatalf("Set of a new name with %d bytes: %v, want a *keyring.TooBigError", len(over), err)
		}
		_, err = s.Get(ctx, sc, "NEW_BIG")
		wantNotFound(t, err, "Get after a refused Set", sc, "NEW_BIG")
		if after := list(t, s); !slices.EqualFunc(before, after, sameEntry) {
			t.Fatalf("a refused Set of a new name changed List:\n%v\n%v", before, after)
		}
	}
}

func testBinary(t *testing.T, b Backend) {
	s := b.Store
	all := make([]byte, 0, 255)
	for c := 1; c <= 255; c++ {
		all = append(all, byte(c))
	}
	values := map[string][]byte{
		"EVERY_BYTE":   all,
		"EVERY_BYTE_R": []byte(reverse(string(all))),
		"BAD_UTF8":     {0xff, 0xfe, 'a', 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80},
		"LONE_BYTE":    {0x80},
		"HIGH_ONLY":    {0xc3},
		"SPACES":       []byte("  leading and trailing  "),
		"NEWLINES":     []byte("\n\nmiddle\r\n\n"),
		"ONE_BYTE":     []byte("x"),
		"UTF8":         []byte("pässwörd 🔑 日本語 \u2018quoted\u2019 \u202e"),
		"BASE64_LIKE":  []byte("go-keyring-base64:aGVsbG8="),
		"JSON_LIKE":    []byte(`{"version":1,"secrets":[]}`),
	}
	for name, v := range values {
		set(t, s, "global", name, v)
	}
	for name, v := range values {
		wantValue(t, s, "global", name, v)
	}
	r := make([]keyring.Ref, 0, len(values))
	for name := range values {
		r = append(r, keyring.Ref{Scope: "global", Name: name})
	}
	m, err := s.GetMany(ctx, r)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	for name, v := range values {
		if got := m[keyring.Ref{Scope: "global", Name: name}]; !bytes.Equal(got, v) {
			t.Errorf("GetMany[%s] = %s, want %s", name, show(got), show(v))
		}
	}
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

func testGetMany(t *testing.T, b Backend) {
	s := b.Store
	m, err := s.GetMany(ctx, nil)
	if err != nil || len(m) != 0 {
		t.Fatalf("GetMany(nil) on an empty store = %v, %v; want an empty map", m, err)
	}
	present := map[keyring.Ref][]byte{}
	for i, sc := range Scopes {
		for _, name := range []string{"ONE", "TWO"} {
			r := keyring.Ref{Scope: sc, Name: name}
			present[r] = []byte(fmt.Sprintf("%s=%d", name, i))
			set(t, s, sc, name, present[r])
		}
	}
	var ask []keyring.Ref
	for r := range present {
		ask = append(ask, r)
	}
	absent := []keyring.Ref{
		{Scope: "global", Name: "THREE"},
		{Scope: "namespace:other", Name: "ONE"},
		{Scope: "repo:/nowhere", Name: "TWO"},
	}
	ask = append(ask, absent...)
	slices.SortFunc(ask, func(a, b keyring.Ref) int { return strings.Compare(a.Scope+"\x00"+a.Name, b.Scope+"\x00"+b.Name) })
	m, err = s.GetMany(ctx, ask)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(m) != len(present) {
		t.Errorf("GetMany returned %d values, want %d: absent refs must be left out", len(m), len(present))
	}
	for r, v := range present {
		if got, ok := m[r]; !ok || !bytes.Equal(got, v) {
			t.Errorf("GetMany[%v] = %s (present %v), want %q", r, show(got), ok, v)
		}
	}
	for _, r := range absent {
		if v, ok := m[r]; ok {
			t.Errorf("GetMany has %v = %s; it is not stored", r, show(v))
		}
	}
	// Only absent refs: no error, nothing returned.
	m, err = s.GetMany(ctx, absent)
	if err != nil || len(m) != 0 {
		t.Fatalf("GetMany(absent) = %v, %v; want an empty map", m, err)
	}
}

// instances returns n stores for n concurrent writers.
func instances(b Backend, n int) []keyring.Store {
	out := make([]keyring.Store, n)
	for i := range out {
		out[i] = b.Store
		if b.Open != nil {
			out[i] = b.Open()
		}
	}
	return out
}

// together runs fn(i) for i < n at the same moment and returns their errors.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

func testConcurrentWriters(t *testing.T, b Backend) {
	stores := instances(b, Writers)
	// One secret stored before: a writer that replaces the store with
	// only its own change loses it.
	set(t, b.Store, "global", "BEFORE", []byte("before"))
	// Readers meanwhile must see one state or the next, never a broken
	// one: a store that rewrites in place shows them half a file.
	stop := make(chan struct{})
	readErrs := make(chan error, 4)
	var readers sync.WaitGroup
	for r := range 4 {
		reader := stores[r]
		readers.Go(func() {
			for {
				select {
				case <-stop:
					readErrs <- nil
					return
				default:
				}
				if _, err := reader.List(ctx); err != nil {
					readErrs <- fmt.Errorf("during the writes, List failed: %w", err)
					return
				}
				m, err := reader.GetMany(ctx, []keyring.Ref{{Scope: "global", Name: "BEFORE"}})
				if err != nil || string(m[keyring.Ref{Scope: "global", Name: "BEFORE"}]) != "before" {
					readErrs <- fmt.Errorf("during the writes, GetMany = %v, %v", m, err)
					return
				}
			}
		})
	}
	errs := together(Writers, func(i int) error {
		sc := Scopes[i%len(Scopes)]
		return stores[i].Set(ctx, sc, fmt.Sprintf("WRITER_%02d", i), []byte(fmt.Sprintf("value of writer %d", i)))
	})
	close(stop)
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		if err != nil {
			t.Error(err)
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	es := list(t, b.Store)
	if len(es) != Writers+1 {
		t.Errorf("List has %d entries after %d concurrent writers and one before, want %d: %v", len(es), Writers, Writers+1, refs(es))
	}
	for i := range Writers {
		sc, name := Scopes[i%len(Scopes)], fmt.Sprintf("WRITER_%02d", i)
		if !slices.Contains(refs(es), keyring.Ref{Scope: sc, Name: name}) {
			t.Errorf("List lacks %s in %s", name, sc)
		}
		if v, err := b.Store.Get(ctx, sc, name); err != nil || string(v) != fmt.Sprintf("value of writer %d", i) {
			t.Errorf("Get(%s, %s) = %q, %v", sc, name, v, err)
		}
	}
	wantValue(t, b.Store, "global", "BEFORE", []byte("before"))
}

func testConcurrentUpdates(t *testing.T, b Backend) {
	stores := instances(b, Writers)
	set(t, b.Store, "namespace:backend", "ROTATED", []byte("initial"))
	created := list(t, b.Store)[0].Created
	values := make([][]byte, Writers)
	for i := range values {
		values[i] = []byte(fmt.Sprintf("rotation %d", i))
	}
	errs := together(Writers, func(i int) error {
		return stores[i].Set(ctx, "namespace:backend", "ROTATED", values[i])
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	es := list(t, b.Store)
	if len(es) != 1 || es[0].Ref() != (keyring.Ref{Scope: "namespace:backend", Name: "ROTATED"}) {
		t.Fatalf("List after %d concurrent updates of one name = %v, want that one entry", Writers, es)
	}
	if !es[0].Created.Equal(created) {
		t.Errorf("Created = %v after concurrent updates, was %v", es[0].Created, created)
	}
	v := get(t, b.Store, "namespace:backend", "ROTATED")
	if !slices.ContainsFunc(values, func(w []byte) bool { return bytes.Equal(v, w) }) {
		t.Fatalf("after %d concurrent updates the value is %q, not one of theirs", Writers, v)
	}
}
