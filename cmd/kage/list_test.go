package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
)

// awkward are cell texts and names someone else may have chosen: wide and
// multi-byte runes, controls, line breaks, bidi controls, HTML, quotes,
// bytes that are not UTF-8.
var awkward = []string{
	"", "A", "DB_PASSWORD", "repo:~/code/api", "ü", "日本語", "a\tb", "a\nb", "a\r\nb", "a\rb", "\x1b]0;title\x07",
	"\u202eevil", "a\u2028b", "<script>&amp;</script>", `"quoted" \ back`, "\xff\xfe", "\x7f", "\u0085", "tail ",
}

// TestBoxTableAsBefore compares boxTable with the implementation it
// replaced, which printed cell by cell through fmt.
func TestBoxTableAsBefore(t *testing.T) {
	for n := range len(awkward) {
		rows := [][]string{{"Name", "Scope", "Updated"}}
		for i := range n + 1 {
			rows = append(rows, []string{awkward[i], awkward[(i+n)%len(awkward)], awkward[(i*7)%len(awkward)]})
		}
		if got, want := boxTable(rows), boxTableBefore(rows); got != want {
			t.Fatalf("boxTable(%q) =\n%s\nwant\n%s", rows, got, want)
		}
	}
}

func boxTableBefore(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	clean := make([][]string, len(rows))
	for j, r := range rows {
		clean[j] = make([]string, len(r))
		for i, c := range r {
			c = sanitize(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(c))
			clean[j][i] = c
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	rows = clean
	var b strings.Builder
	line := func(l, m, r string) {
		b.WriteString(l)
		for i, w := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat("─", w+2))
		}
		b.WriteString(r + "\n")
	}
	row := func(cells []string) {
		b.WriteString("│")
		for i, c := range cells {
			fmt.Fprintf(&b, " %s%s │", c, strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString("\n")
	}
	line("┌", "┬", "┐")
	row(rows[0])
	line("├", "┼", "┤")
	for _, r := range rows[1:] {
		row(r)
	}
	line("└", "┴", "┘")
	return b.String()
}

// TestAgoAsBefore checks each unit, singular and plural, as fmt wrote it.
func TestAgoAsBefore(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "just now"}, {59 * time.Second, "just now"}, {time.Minute, "1 minute ago"}, {59 * time.Minute, "59 minutes ago"},
		{time.Hour, "1 hour ago"}, {23 * time.Hour, "23 hours ago"}, {24 * time.Hour, "1 day ago"}, {6 * 24 * time.Hour, "6 days ago"},
		{7 * 24 * time.Hour, "1 week ago"}, {29 * 24 * time.Hour, "4 weeks ago"}, {30 * 24 * time.Hour, "1 month ago"},
		{364 * 24 * time.Hour, "12 months ago"}, {365 * 24 * time.Hour, "1 year ago"}, {3000 * 24 * time.Hour, "8 years ago"},
	} {
		if got := ago(now, now.Add(-c.d)); got != c.want {
			t.Errorf("ago(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestListJSONAsEncoder compares the hand-built JSON of secret list with
// what encoding/json's Encoder printed before, for awkward names and
// scopes and for times in other zones, with fractions, and out of the
// four-digit years.
func TestListJSONAsEncoder(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 5*3600+30*60)),
		time.Date(2026, 2, 3, 0, 0, 0, 0, time.FixedZone("y", -8*3600)),
		{},
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for n := range len(awkward) + 1 {
		var rows []listRow
		for i := range n {
			rows = append(rows, listRow{Entry: &keyring.Entry{
				Name: awkward[i], Scope: "repo:/x/" + awkward[(i+n)%len(awkward)],
				Created: times[i%len(times)], Updated: times[(i+3)%len(times)],
			}})
		}
		var got bytes.Buffer
		if err := writeListJSON(&env{stdout: &got}, rows); err != nil {
			t.Fatal(err)
		}
		if want := listJSONBefore(t, rows); got.String() != want {
			t.Fatalf("%d rows: writeListJSON =\n%s\nwant\n%s", n, got.String(), want)
		}
	}
}

func listJSONBefore(t *testing.T, rows []listRow) string {
	type item struct {
		Name    string `json:"name"`
		Scope   string `json:"scope"`
		Created string `json:"created"`
		Updated string `json:"updated"`
	}
	out := []item{}
	for _, r := range rows {
		out = append(out, item{Name: r.Name, Scope: r.Scope,
			Created: r.Created.UTC().Format(timeJSON), Updated: r.Updated.UTC().Format(timeJSON)})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	// With the C1 controls and DEL escaped, as every kage --json writes them.
	return string(display.EscapeJSON(b.Bytes()))
}

// TestListOutputAllocations: the table and the JSON of secret list are
// built in a few allocations whatever the number of rows; one or more a
// row (fmt, a Replacer per cell, a growing buffer) is what made a large
// store slow to list.
func TestListOutputAllocations(t *testing.T) {
	const n = 1000
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	table := [][]string{{"Name", "Scope", "Updated"}}
	var rows []listRow
	for i := range n {
		name := fmt.Sprintf("SECRET_%05d", i)
		table = append(table, []string{name, "repo:~/code/api", "3 days ago"})
		rows = append(rows, listRow{Entry: &keyring.Entry{Scope: "global", Name: name, Created: t0, Updated: t0}})
	}
	if allocs := testing.AllocsPerRun(10, func() { boxTable(table) }); allocs > 10 {
		t.Errorf("boxTable of %d rows makes %.0f allocations, want at most 10", n, allocs)
	}
	e := &env{stdout: io.Discard}
	if allocs := testing.AllocsPerRun(10, func() {
		if err := writeListJSON(e, rows); err != nil {
			t.Fatal(err)
		}
	}); allocs > 5 {
		t.Errorf("writeListJSON of %d rows makes %.0f allocations, want at most 5", n, allocs)
	}
}
