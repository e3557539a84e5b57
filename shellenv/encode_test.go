package shellenv

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/hostile"
)

// TestEscapes pins each encoder's exact output for a handful of values, so
// a change of quoting shows up as a diff someone has to read.
func TestEscapes(t *testing.T) {
	type tc struct{ shell, value, want string }
	cases := []tc{
		{"bash", "plain", "export K='plain'\n"},
		{"bash", "", "export K=''\n"},
		{"bash", "it's", `export K='it'"'"'s'` + "\n"},
		{"bash", "''", `export K="''"` + "\n"},
		{"bash", "'a", `export K="'"'a'` + "\n"},
		{"bash", `a\b`, `export K='a'"\\"'b'` + "\n"},
		{"bash", `\';x;#`, `export K="\\'"';x;#'` + "\n"},
		{"bash", "\u2019x\u201c", "export K=\"\u2019\"'x\u201c'\n"},
		{"bash", "a\nb", "export K='a\nb'\n"},
		{"bash", "\x01\x7f\xff", "export K='\x01\x7f\xff'\n"},
		{"bash", "$(x)`y`", "export K='$(x)`y`'\n"},
		{"zsh", "it's", `export K='it'"'"'s'` + "\n"},
		{"sh", "it's", `export K='it'"'"'s'` + "\n"},

		{"fish", "plain", "set -gx K 'plain'\n"},
		{"fish", "", "set -gx K ''\n"},
		{"fish", "it's", `set -gx K 'it'"'"'s'` + "\n"},
		{"fish", `a\b`, `set -gx K 'a'"\\"'b'` + "\n"},
		{"fish", `\';x;#`, `set -gx K "\\'"';x;#'` + "\n"},
		{"fish", "'\n'", `set -gx K "'"\n"'"` + "\n"},
		{"fish", "a\nb", `set -gx K 'a'\n'b'` + "\n"},
		{"fish", "\n", `set -gx K \n` + "\n"},
		{"fish", "a\tb\r", `set -gx K 'a'\x09'b'\x0d` + "\n"},
		{"fish", "\x01\x7f", `set -gx K \x01\x7f` + "\n"},
		{"fish", "a\xffb", `set -gx K 'a'\XFF'b'` + "\n"},
		{"fish", "\xe2\x82", `set -gx K \XE2\X82` + "\n"},
		{"fish", "$(x) (y)", "set -gx K '$(x) (y)'\n"},
		{"fish", "\u2018é", "set -gx K \"\u2018\"'é'\n"},

		{"elvish", "plain", `set-env K "plain"` + "\n"},
		{"elvish", "", `set-env K ""` + "\n"},
		{"elvish", `say "hi" \o/`, `set-env K "say \x22hi\x22 \\o/"` + "\n"},
		{"elvish", "a\nb\tc\r", `set-env K "a\nb\tc\r"` + "\n"},
		{"elvish", "\x01\x1b\x7f", `set-env K "\x01\x1b\x7f"` + "\n"},
		{"elvish", "a\xffb\xc0\xaf", `set-env K "a\xffb\xc0\xaf"` + "\n"},
		{"elvish", "$E:HOME (x) 'q'", `set-env K "\x24E:HOME (x) 'q'"` + "\n"},
		{"elvish", "$(x)`y`", `set-env K "\x24(x)\x60y\x60"` + "\n"},
		{"elvish", "\u201cq\u201d\u201e\u2019", `set-env K "\u201cq\u201d\u201e` + "\u2019\"\n"},
		{"elvish", "é\u202e", "set-env K \"é\u202e\"\n"},

		{"pwsh", "plain", "$env:K = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('cGxhaW4='))\n"},
		{"pwsh", "it's \u2019", "$env:K = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('aXQncyDigJk='))\n"},

		{"nu", "plain", "{\n  \"K\": \"plain\"\n}\n"},
		{"nu", "a\"\\\n\x01<&>", "{\n  \"K\": \"a\\u0022\\\\\\n\\u0001<&>\"\n}\n"},
		{"json", "a\"\\\n\x01<&>", "{\n  \"K\": \"a\\u0022\\\\\\n\\u0001<&>\"\n}\n"},
		{"json", `\"`, "{\n  \"K\": \"\\\\\\u0022\"\n}\n"},
		{"json", "\u2028", "{\n  \"K\": \"\\u2028\"\n}\n"},
		{"json", "$(x)`y`\u201c\u2019", "{\n  \"K\": \"\\u0024(x)\\u0060y\\u0060\\u201c\u2019\"\n}\n"},
		{"nu", "$HOME", "{\n  \"K\": \"\\u0024HOME\"\n}\n"},

		{"dotenv", "plain", `K="plain"` + "\n"},
		{"dotenv", "", `K=""` + "\n"},
		{"dotenv", "it's", `K="it's"` + "\n"},
		{"dotenv", "$(x)`y` \"${Z}\" \\", `K="\$(x)\` + "`y\\` \\\"\\${Z}\\\" \\\\\"\n"},
		{"dotenv", "a\nb\rc\td", `K="a\nb\rc\td"` + "\n"},
		{"dotenv", "\x01\x1b\x7f", `K="\x01\x1b\x7f"` + "\n"},
		{"dotenv", "a\xffb é", `K="a\xffb é"` + "\n"},
	}
	for _, c := range cases {
		s, err := Get(c.shell)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Render(Plan{Set: []Var{{Name: "K", Value: []byte(c.value)}}})
		if err != nil {
			t.Errorf("%s %q: %v", c.shell, c.value, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s %q:\n got %q\nwant %q", c.shell, c.value, got, c.want)
		}
	}
}

// TestHookPlanOutput pins the order of the sections (restore, save, state,
// set, unset: the state before the first set, so a set that fails cannot
// keep KAGE_LOADED from naming what is loaded) and the exact save/restore
// code of each shell.
func TestHookPlanOutput(t *testing.T) {
	p := Plan{
		Restore: []string{"A"},
		Save:    []string{"B"},
		Set:     []Var{{Name: "C", Value: []byte("c")}},
		Unset:   []string{"D"},
		State:   []Var{{Name: "KAGE_S", Value: []byte("s")}},
	}
	want := map[string]string{
		"bash": `if [ -n "${__kage_saved_A+x}" ]; then export A="$__kage_saved_A"; unset -v __kage_saved_A; else unset -v A; fi; unset -v __kage_unset_A
if [ -z "${__kage_saved_B+x}" ] && [ -z "${__kage_unset_B+x}" ]; then if [ -n "${B+x}" ]; then __kage_saved_B="$B"; else __kage_unset_B=1; fi; fi
export KAGE_S='s'
export C='c'
unset -v D
`,
		"fish": `if set -q -g __kage_saved_A; set -gx A $__kage_saved_A; set -e -g __kage_saved_A; else if set -q -g A; set -e -g A; end; if set -q -g __kage_unset_A; set -e -g __kage_unset_A; end
if not set -q -g __kage_saved_B; and not set -q -g __kage_unset_B; if set -q B; set -g __kage_saved_B $B; else; set -g __kage_unset_B 1; end; end
set -gx KAGE_S 's'
set -gx C 'c'
if set -q -g D; set -e -g D; end
`,
		"elvish": `if (has-key $__kage_saved A) { if (eq $__kage_saved[A] $nil) { unset-env A } else { set-env A $__kage_saved[A] }; del __kage_saved[A] } else { unset-env A }
if (not (has-key $__kage_saved B)) { if (has-env B) { set __kage_saved[B] = (get-env B) } else { set __kage_saved[B] = $nil } }
set-env KAGE_S "s"
set-env C "c"
unset-env D
`,
		"pwsh": `if (Test-Path Variable:global:__kage_saved_A) { $env:A = $global:__kage_saved_A; Remove-Variable -Name __kage_saved_A -Scope Global } else { Remove-Item Env:A -ErrorAction SilentlyContinue }
if (-not (Test-Path Variable:global:__kage_saved_B)) { if (Test-Path Env:B) { $global:__kage_saved_B = $env:B } else { $global:__kage_saved_B = $null } }
$env:KAGE_S = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('cw=='))
$env:C = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('Yw=='))
Remove-Item Env:D -ErrorAction SilentlyContinue
`,
		"nu": `{
  "restore": ["A"],
  "save": ["B"],
  "set": {
    "C": "c"
  },
  "unset": ["D"],
  "state": {
    "KAGE_S": "s"
  }
}
`,
	}
	want["sh"] = want["bash"]
	// zsh aborts an eval at a failed assignment: each statement of a hook
	// plan is guarded so the rest still runs.
	var zsh strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimSuffix(want["bash"], "\n"), "\n") {
		zsh.WriteString("{ " + strings.TrimSuffix(l, "\n") + "; } always { TRY_BLOCK_ERROR=0; } || :\n")
	}
	want["zsh"] = zsh.String()
	for name, w := range want {
		s, _ := Get(name)
		got, err := s.Render(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got, w)
		}
	}
	for _, name := range []string{"dotenv", "json"} {
		s, _ := Get(name)
		for _, q := range []Plan{{Restore: []string{"A"}}, {Save: []string{"A"}}, {Unset: []string{"A"}}, {State: p.State}} {
			if out, err := s.Render(q); err == nil {
				t.Errorf("%s rendered a hook plan %+v: %q", name, q, out)
			}
		}
	}
	// nu's hook form has every member even when empty.
	nuShell, _ := Get("nu")
	got, err := nuShell.Render(Plan{State: p.State})
	if err != nil || !strings.Contains(string(got), `"restore": [],`) || !strings.Contains(string(got), `"set": {},`) {
		t.Errorf("nu state-only plan: %q, %v", got, err)
	}
}

// TestRefusals checks the errors every encoder must raise, and that each
// names the variable.
func TestRefusals(t *testing.T) {
	badNames := []string{"", "1A", "A-B", "A B", "A;touch x", "A\n", "é", "$(x)", "A=B", "A'", "a.b", "A\x00"}
	for _, name := range Names() {
		s, _ := Get(name)
		for _, n := range badNames {
			plans := []Plan{{Set: []Var{{Name: n, Value: []byte("v")}}}}
			if name != "dotenv" && name != "json" {
				plans = append(plans, Plan{Restore: []string{n}}, Plan{Save: []string{n}}, Plan{Unset: []string{n}},
					Plan{State: []Var{{Name: n, Value: []byte("v")}}})
			}
			for _, p := range plans {
				if out, err := s.Render(p); err == nil {
					t.Errorf("%s accepted the name %q: %q", name, n, out)
				}
			}
		}
		for _, v := range []string{"\x00", "a\x00b", "abc\x00"} {
			_, err := s.Render(Plan{Set: []Var{{Name: "OK", Value: []byte("x")}, {Name: "NULVAR", Value: []byte(v)}}})
			if err == nil || !strings.Contains(err.Error(), "NULVAR") {
				t.Errorf("%s: NUL in a value: err = %v, want one naming NULVAR", name, err)
			}
		}
		_, err := s.Render(Plan{Set: []Var{{Name: "DUP", Value: []byte("a")}, {Name: "DUP", Value: []byte("b")}}})
		if err == nil {
			t.Errorf("%s accepted a name set twice", name)
		}
	}
	for _, name := range []string{"pwsh", "nu", "json"} {
		s, _ := Get(name)
		for _, v := range hostile.Values("m") {
			if bytes.IndexByte(v.Bytes, 0) >= 0 {
				continue
			}
			_, err := s.Render(Plan{Set: []Var{{Name: "BADUTF8", Value: v.Bytes}}})
			valid := utf8Valid(v.Bytes)
			switch {
			case valid && err != nil && !(name == "pwsh" && len(v.Bytes) == 0):
				t.Errorf("%s refused valid UTF-8 %s: %v", name, v.Label, err)
			case !valid && (err == nil || !strings.Contains(err.Error(), "BADUTF8")):
				t.Errorf("%s: invalid UTF-8 %s: err = %v, want one naming BADUTF8", name, v.Label, err)
			}
		}
	}
	ps, _ := Get("pwsh")
	for _, p := range []Plan{
		{Set: []Var{{Name: "Token", Value: []byte("a")}, {Name: "TOKEN", Value: []byte("b")}}},
		{Restore: []string{"token"}, Set: []Var{{Name: "TOKEN", Value: []byte("b")}}},
		{Save: []string{"Path"}, Unset: []string{"PATH"}},
	} {
		if _, err := ps.Render(p); err == nil {
			t.Errorf("pwsh accepted names that differ only in case: %+v", p)
		}
	}
	// The same name in two sections is how the hook moves a variable.
	if _, err := ps.Render(Plan{Restore: []string{"TOKEN"}, Save: []string{"TOKEN"}, Set: []Var{{Name: "TOKEN", Value: []byte("b")}}}); err != nil {
		t.Errorf("pwsh refused one name in several sections: %v", err)
	}
	if _, err := ps.Render(Plan{Set: []Var{{Name: "EMPTY", Value: nil}}}); err == nil || !strings.Contains(err.Error(), "EMPTY") {
		t.Errorf("pwsh: empty value: err = %v, want one naming EMPTY", err)
	}
}

// TestPwshIsASCII checks, for every hostile value, what makes PowerShell
// output safe without running PowerShell: pure printable ASCII, one line
// of a fixed shape per variable, and the base64 in it decodes to the value.
func TestPwshIsASCII(t *testing.T) {
	ps, _ := Get("pwsh")
	line := regexp.MustCompile(`^\$env:([A-Za-z_][A-Za-z0-9_]*) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)$`)
	for _, v := range append(hostile.Values("m"), hostile.Random("m", 3, 300)...) {
		if !utf8Valid(v.Bytes) || len(v.Bytes) == 0 {
			continue
		}
		out, err := ps.Render(Plan{Set: []Var{{Name: "V", Value: v.Bytes}}})
		if err != nil {
			t.Errorf("%s: %v", v.Label, err)
			continue
		}
		checkPwshLine(t, line, v.Label, out, v.Bytes)
	}
}

func checkPwshLine(t *testing.T, line *regexp.Regexp, label string, out, want []byte) {
	t.Helper()
	for _, c := range out {
		if (c < 0x20 || c > 0x7e) && c != '\n' {
			t.Fatalf("%s: byte %#x in pwsh output %q", label, c, out)
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("%s: %d lines for one variable", label, len(lines))
	}
	m := line.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("%s: unexpected pwsh line %q", label, lines[0])
	}
	got, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: base64 decodes to %q (%v), want %q", label, got, err, want)
	}
}

// TestRegistry checks that every file registered its shell and that the
// aliases resolve.
func TestRegistry(t *testing.T) {
	want := []string{"bash", "dotenv", "elvish", "fish", "json", "nu", "pwsh", "sh", "zsh"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for alias, name := range map[string]string{"dash": "sh", "PowerShell": "pwsh", "nushell": "nu", "env": "dotenv", "BASH": "bash"} {
		s, err := Get(alias)
		if err != nil || s.Name() != name {
			t.Errorf("Get(%q) = %v, %v; want %s", alias, s, err, name)
		}
	}
	if _, err := Get("cmd.exe"); err == nil {
		t.Error("Get(cmd.exe) succeeded")
	}
	for _, name := range want {
		s, _ := Get(name)
		hasEval := s.EvalLine() != ""
		if hasEval == (name == "dotenv" || name == "json") {
			t.Errorf("%s: EvalLine %q", name, s.EvalLine())
		}
	}
}

// TestOrderKept checks that output follows the order the caller gave:
// sorting is the caller's job, and an encoder must not reorder silently.
func TestOrderKept(t *testing.T) {
	p := Plan{Set: []Var{{Name: "ORDER_B", Value: []byte("1")}, {Name: "ORDER_A", Value: []byte("2")}, {Name: "ORDER_C", Value: []byte("3")}}}
	for _, name := range Names() {
		s, _ := Get(name)
		out, err := s.Render(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, a, c := bytes.Index(out, []byte("ORDER_B")), bytes.Index(out, []byte("ORDER_A")), bytes.Index(out, []byte("ORDER_C"))
		if !(b < a && a < c) {
			t.Errorf("%s reordered the variables:\n%s", name, out)
		}
	}
}

func utf8Valid(b []byte) bool { return utf8.Valid(b) }
