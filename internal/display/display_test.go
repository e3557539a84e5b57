package display

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEscapeControl(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/home/u/code/api": "/home/u/code/api",
		"/x/tree\x1b[2J/y": `/x/tree\x1b[2J/y`,
		"\x1b]0;t\x07":     `\x1b]0;t\x07`,
		"caf\xe9-latin1":   "caf\xe9-latin1",
		"é\u009b\x7f":      `é\x9b\x7f`,
		"a\nb":             `a\x0ab`,
	} {
		if got := escapeControl(in); got != want {
			t.Errorf("escapeControl(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"API_KEY": "API_KEY", "\x1b[31mred": `"\x1b[31mred"`, "": `""`, "ünï": "ünï", "a\nb": `"a\nb"`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"namespace:backend": "namespace:backend", "repo:~/code/my api": "'repo:~/code/my api'",
		"it's": `'it'\''s'`, "": "''", "$(rm)": "'$(rm)'",
	} {
		if got := ShellWord(in); got != want {
			t.Errorf("ShellWord(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := ShellPath("~/my dir/index.json"), "~/'my dir/index.json'"; got != want {
		t.Errorf("ShellPath = %q, want %q", got, want)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "a\nb": "a b", "a\r\nb\rc": "a b c"} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONEscapesC1(t *testing.T) {
	var b strings.Builder
	in := map[string]string{"dir": "/tmp/a\u009b31mred\u0085x\x7fé€"}
	if err := JSON(&b, in); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"dir\": \"/tmp/a\\u009b31mred\\u0085x\\u007fé€\"\n}\n"
	if b.String() != want {
		t.Fatalf("JSON = %q, want %q", b.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back["dir"] != in["dir"] {
		t.Fatalf("does not read back: %q, %v", back, err)
	}
}
