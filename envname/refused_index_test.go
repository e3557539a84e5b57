package envname

import (
	"strings"
	"testing"
)

// refusedByScan is Refused as it was before the exact names had an index:
// every entry in its own case, then every entry without regard to case.
func refusedByScan(name string) (Rule, bool) {
	if name == "" {
		return Rule{}, false
	}
	for _, e := range exact {
		if e.name == name {
			return Rule{Pattern: e.name, Category: e.cat}, true
		}
	}
	for _, e := range exact {
		if strings.EqualFold(e.name, name) {
			return Rule{Pattern: e.name, Category: e.cat}, true
		}
	}
	for _, f := range families {
		if len(name) >= len(f.prefix)+len(f.suffix) && hasFold(name, f.prefix, f.suffix) {
			return Rule{Pattern: f.pattern(), Category: f.cat}, true
		}
	}
	return Rule{}, false
}

// TestRefusedIndexAgreesWithScan: the index gives the rule the table scan
// gives, for every listed name in every case, names beside them, and names
// outside ASCII that fold onto listed ones.
func TestRefusedIndexAgreesWithScan(t *testing.T) {
	var names []string
	for _, e := range exact {
		names = append(names, e.name, strings.ToUpper(e.name), strings.ToLower(e.name),
			e.name+"X", "X"+e.name, e.name[:len(e.name)-1])
	}
	for _, f := range families {
		names = append(names, f.prefix+"X"+f.suffix, strings.ToLower(f.prefix)+"y"+f.suffix)
	}
	// Every first byte before every family's rest, so that the families
	// filtered by first byte are the ones the scan would match.
	for b := 1; b < 0x80; b++ {
		for _, f := range families {
			rest := f.prefix
			if rest != "" {
				rest = rest[1:]
			}
			names = append(names, string(rune(b))+rest+"X"+f.suffix)
		}
	}
	names = append(names, "_kage_x", "__kage_y", "__fish_z", "MY_EDITOR", "git_pager", "FZF_X_COMMAND", "fzf_default_opts",
		"API_KEY", "Path", "pAtH", "status", "STATUS", "Status",
		"\u212aAGE_X", "\u017fHELL", "PAT\u0048", "é", "")
	for _, n := range names {
		gotR, got := Refused(n)
		wantR, want := refusedByScan(n)
		if got != want || gotR != wantR {
			t.Errorf("Refused(%q) = %v, %v; the scan says %v, %v", n, gotR, got, wantR, want)
		}
		// Refused scans the first names it is asked and indexes the
		// rest: both ways must agree on every name.
		if n == "" || !isASCII(n) {
			continue
		}
		si, sok := exactScan(n)
		mi, mok := exactMapped(n)
		if si != mi || sok != mok {
			t.Errorf("%q: the scan finds entry %d, %v; the index %d, %v", n, si, sok, mi, mok)
		}
	}
}
