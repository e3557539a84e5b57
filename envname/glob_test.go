package envname

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		p, name string
		want    bool
	}{
		{"AWS_*", "AWS_SECRET", true},
		{"AWS_*", "AWS_", true},
		{"AWS_*", "XAWS_SECRET", false},
		{"*_TOKEN", "GITHUB_TOKEN", true},
		{"*_TOKEN", "GITHUB_TOKENS", false},
		{"*", "ANY", true},
		{"A*B*C", "AxxBxxC", true},
		{"A*B*C", "ABC", true},
		{"A*B*C", "AxxCxxB", false},
		{"A*BC", "ABCBC", true},
		{"A**", "A", true},
		{"TOKEN", "TOKEN", true},
		{"TOKEN", "TOKEN2", false},
		{"token", "TOKEN", false},
	} {
		if got := MatchGlob(tc.p, tc.name); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tc.p, tc.name, got, tc.want)
		}
	}
}

func TestParseList(t *testing.T) {
	got, err := ParseList(" A, B_* ,*_KEY")
	if err != nil || strings.Join(got, "|") != "A|B_*|*_KEY" {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "A,,B", "A,", "A B", "1A", "A-B", "A;rm", "A\x1b[2J"} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) took it", bad)
		} else if strings.ContainsAny(err.Error(), "\x1b") {
			t.Errorf("error for %q carries a control character: %q", bad, err)
		}
	}
}
