package keyring

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/atomicfile"
)

// indexInputs are index files decodeIndex must either decode exactly as
// the strict decoder does or leave to it: what kage writes, and what an
// editor or an attacker could write instead.
var indexInputs = []string{
	`{"version": 1, "secrets": []}`,
	`{"version":2,"secrets":[{"scope":"global","name":"A","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z","expires":"2026-04-02T03:04:05Z","expires_every":"90d"}]}`,
	`{"version":2,"secrets":[{"scope":"global","name":"A","expires":"soon"}]}`,
	`{"version":2,"secrets":[{"scope":"global","name":"A","expires_every":7}]}`,
	`{"version":1,"secrets":[{"scope":"global","name":"A","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}]}`,
	" \t\r\n{\"version\": 1, \"secrets\": [ { \"name\" : \"B\" , \"scope\" : \"repo:/x/é\" } ] }\n\n",
	`{"secrets": [{"scope": "global", "name": "A"}], "version": 1}`,
	`{"version": 1}`,
	`{"secrets": []}`,
	`{}`,
	`{"version": 1, "secrets": null}`,
	`{"version": 1, "secrets": [{}]}`,
	`{"version": 1, "secrets": [{"scope": null, "name": "A"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": null}]}`,
	`{"version": 0, "secrets": []}`,
	`{"version": 2, "secrets": []}`,
	`{"version": 01, "secrets": []}`,
	`{"version": -1, "secrets": []}`,
	`{"version": 1.0, "secrets": []}`,
	`{"version": 1e0, "secrets": []}`,
	`{"version": 99999999999999999999, "secrets": []}`,
	`{"version": 123456789, "secrets": []}`,
	`{"version": 1234567890, "secrets": []}`,
	`{"version": "1", "secrets": []}`,
	`{"Version": 1, "secrets": []}`,
	`{"version": 1, "secrets": [{"Scope": "global", "NAME": "A"}]}`,
	`{"version": 1, "version": 2, "secrets": []}`,
	`{"version": 1, "secrets": [{"name": "A", "name": "B", "scope": "global"}]}`,
	`{"version": 1, "secrets": [], "extra": true}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "value": "hunter2"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A\u0042"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A\"B"}]}`,
	"{\"version\": 1, \"secrets\": [{\"scope\": \"global\", \"name\": \"A\tB\"}]}",
	"{\"version\": 1, \"secrets\": [{\"scope\": \"global\", \"name\": \"A\x1bB\"}]}",
	"{\"version\": 1, \"secrets\": [{\"scope\": \"global\", \"name\": \"A\xffB\"}]}",
	"{\"version\": 1, \"secrets\": [{\"scope\": \"global\", \"name\": \"A\xed\xa0\x80B\"}]}",
	"{\"version\": 1, \"secrets\": [{\"scope\": \"global\", \"name\": \"\u202eA\u2028\"}]}",
	"\xef\xbb\xbf{\"version\": 1, \"secrets\": []}",
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": "2026-01-02T03:04:05.123456789+02:00"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": "2026-01-02 03:04:05Z"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": "2026-13-02T03:04:05Z"}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": ""}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A", "created": 0}]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"},]}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A",}]}`,
	`{"version": 1, "secrets": [],}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"}]}{}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"}]} x`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"}]`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"}], "secrets": []}`,
	`{"version": 1, "secrets": [{"scope": "global", "name": "A"} {"scope": "global", "name": "B"}]}`,
	`{"version" 1, "secrets": []}`,
	`{"version": 1 "secrets": []}`,
	`["version", 1]`,
	`null`,
	``,
	`{"version": 1, "secrets": {}}`,
}

// TestDecodeIndexAgreesWithStrict: whatever decodeIndex takes, the strict
// decoder takes too and decodes to the same entries; the fast path can
// only be faster, never more lenient or different.
func TestDecodeIndexAgreesWithStrict(t *testing.T) {
	for _, in := range indexInputs {
		checkDecodeIndex(t, []byte(in))
	}
}

func FuzzDecodeIndex(f *testing.F) {
	for _, in := range indexInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeIndex(t, data) })
}

func checkDecodeIndex(t *testing.T, data []byte) {
	t.Helper()
	got, ok := decodeIndex(data)
	if !ok {
		return
	}
	var want indexFile
	if err := atomicfile.DecodeJSON(data, &want); err != nil {
		t.Fatalf("decodeIndex took %q, which the strict decoder refuses: %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeIndex gives %+v, the strict decoder %+v", data, got, want)
	}
}

// TestDecodeIndexTakesWhatKageWrites keeps the fast path in use: an index
// as kage writes it, of any size, must not fall back to encoding/json,
// which made kage secret list slow over a large store.
func TestDecodeIndexTakesWhatKageWrites(t *testing.T) {
	ix := OpenIndex(filepath.Join(t.TempDir(), "data"))
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var entries []Entry
	for i, sc := range []string{"global", "namespace:backend", "repo:/home/ü/code/api", "repo:/tmp/a b", "subscription:openai"} {
		entries = append(entries, Entry{Scope: sc, Name: "NAME_" + string(rune('A'+i)), Created: t0, Updated: t0.Add(time.Duration(i) * time.Hour)})
	}
	for _, es := range [][]Entry{nil, entries} {
		if _, err := ix.Repair(context.Background(), func([]Entry, error) ([]Entry, error) { return es, nil }); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(ix.Path())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeIndex(data); !ok {
			t.Fatalf("decodeIndex leaves the index kage wrote to encoding/json:\n%s", data)
		}
		checkDecodeIndex(t, data)
	}
}

// TestLoadFallsBackToStrict: an index the fast path leaves alone is still
// read, by the strict decoder, and still sorted.
func TestLoadFallsBackToStrict(t *testing.T) {
	dir := t.TempDir()
	ix := OpenIndex(dir)
	in := `{"secrets": [{"scope": "global", "name": "Z\u0042"}, {"scope": "global", "name": "A"}], "version": 1}`
	if err := os.WriteFile(ix.Path(), []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ix.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "A" || got[1].Name != "ZB" {
		t.Fatalf("Load = %+v", got)
	}
	// The same, as the fast path takes it: still sorted.
	if err := os.WriteFile(ix.Path(), []byte(`{"version": 1, "secrets": [{"scope": "global", "name": "ZB"}, {"scope": "namespace:b", "name": "A"}, {"scope": "global", "name": "A"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = ix.Load()
	if err != nil || len(got) != 3 || got[0] != (Entry{Scope: "global", Name: "A"}) || got[1].Scope != "namespace:b" || got[2].Name != "ZB" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
}

// TestDecodeIndexAllocations: one string a name, the scopes shared, and a
// few allocations besides, whatever the size of the index. A string per
// key or per scope would be tens of thousands more for a large store.
func TestDecodeIndexAllocations(t *testing.T) {
	const n = 1000
	ix := OpenIndex(filepath.Join(t.TempDir(), "data"))
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	scopes := []string{"global", "namespace:backend", "repo:/home/u/code/api"}
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Scope: scopes[i%len(scopes)], Name: fmt.Sprintf("SECRET_%05d", i), Created: t0, Updated: t0}
	}
	if _, err := ix.Repair(context.Background(), func([]Entry, error) ([]Entry, error) { return entries, nil }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ix.Path())
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		if _, ok := decodeIndex(data); !ok {
			t.Fatal("decodeIndex left the index kage wrote to encoding/json")
		}
	})
	if limit := float64(n + 20); allocs > limit {
		t.Errorf("decodeIndex of %d entries makes %.0f allocations, want at most %.0f", n, allocs, limit)
	}
}
