package resolve

import (
	"strings"
	"testing"
)

// TestEnviron checks what kage exec hands a program, given an environment
// someone else may have written: kage's credentials, state and saved
// copies go, what the hook loaded goes, a KAGE_LOADED naming something
// that is no variable or is kage's own takes nothing else with it, and a
// name the selection held back goes too.
func TestEnviron(t *testing.T) {
	base := []string{
		"PATH=/usr/bin", "HOME=/home/u", "KEEP=1", "HOOKED=from-payments", "ALSO=from-payments",
		"KAGE_HOME=/k", "KAGE_BACKEND=file", "KAGE_NAMESPACE=ns",
		"KAGE_PASSPHRASE=pw", "KAGE_AGE_IDENTITY=AGE-SECRET-KEY-1X", "KAGE_STATE=abc", "KAGE_NEW=x",
		"KAGE_LOADED=HOOKED:ALSO:x;rm -rf /:KAGE_HOME:__KAGE_SAVED::HOOKED", "__KAGE_SAVED={}", "__kage_saved_KEEP=0",
		"=C:=C:\\", "noequals", "HELD=from-the-shell",
	}
	got := Environ(base, &Result{Vars: []Var{{Name: "ALSO", Value: []byte("from-api")}, {Name: "NEW", Value: []byte("v=1")}}, Held: []Held{{Name: "HELD"}}})
	want := []string{"PATH=/usr/bin", "HOME=/home/u", "KEEP=1", "KAGE_HOME=/k", "KAGE_BACKEND=file", "KAGE_NAMESPACE=ns",
		"=C:=C:\\", "noequals", "ALSO=from-api", "NEW=v=1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Environ =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := LoadedNames("A:b-c::A:$(x):KAGE_STATE:kage_x:__kage_unset_A:__KAGE_SAVED:_B"); strings.Join(got, ":") != "A:kage_x:_B" {
		t.Errorf("LoadedNames = %q", got)
	}
}
