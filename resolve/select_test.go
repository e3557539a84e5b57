package resolve

import "testing"

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
