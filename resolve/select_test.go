package resolve

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
		if got := Match(tc.p, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.p, tc.name, got, tc.want)
		}
	}
}

func TestParseNames(t *testing.T) {
	got, err := ParseNames(" A, B_* ,*_KEY")
	if err != nil || strings.Join(got, "|") != "A|B_*|*_KEY" {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "A,,B", "A,", "A B", "1A", "A-B", "A;rm", "A\x1b[2J"} {
		if _, err := ParseNames(bad); err == nil {
			t.Errorf("ParseNames(%q) took it", bad)
		} else if strings.ContainsAny(err.Error(), "\x1b") {
			t.Errorf("error for %q carries a control character: %q", bad, err)
		}
	}
}

func TestSelection(t *testing.T) {
	s := Selection{Only: []string{"AWS_*", "GITHUB_TOKEN"}, Except: []string{"AWS_SECRET*"}, OnlyFrom: "--only", ExceptFrom: "--except"}
	for name, want := range map[string]string{
		"AWS_REGION":            "",
		"GITHUB_TOKEN":          "",
		"AWS_SECRET_ACCESS_KEY": "--except AWS_SECRET*",
		"OPENAI_API_KEY":        "not in --only",
	} {
		ok, why := s.Allow(name)
		if ok != (want == "") || why != want {
			t.Errorf("Allow(%s) = %v, %q; want %q", name, ok, why, want)
		}
	}
	if ok, _ := (Selection{}).Allow("X"); !ok || !(Selection{}).Empty() {
		t.Error("the empty selection holds something back")
	}
	if ok, _ := (Selection{Only: []string{}, OnlyFrom: "x"}).Allow("X"); ok {
		t.Error("an empty, not nil, Only gives a name")
	}
}
