package scope

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gitCfgCase is a config file, what kage must read from it, and, for an
// invalid one, the line git reports.
type gitCfgCase struct {
	name, file string
	ns         string // kage.namespace's value ("" when unset or empty)
	bare       string // core.bare as git config --type=bool prints it, "" when unset, "bad" when git rejects it
	errLine    int    // the line of the syntax error; 0 for a valid file
}

var gitCfgCases = []gitCfgCase{
	{name: "empty file", file: ""},
	{name: "only comments", file: "# [kage]\n; namespace = x\n\t# namespace = y\n"},
	{name: "basic", file: "[core]\n\tbare = false\n[kage]\n\tnamespace = backend\n", ns: "backend", bare: "false"},
	{name: "upper-case section and key", file: "[KAGE]\n\tNameSpace = Backend\n[CORE]\n\tBARE = TRUE\n", ns: "Backend", bare: "true"},
	{name: "key on the header line", file: "[kage] namespace = x\n[core] bare\n", ns: "x", bare: "true"},
	{name: "key right after the bracket", file: "[kage]namespace=x", ns: "x"},
	{name: "subsection is another section", file: "[kage \"x\"]\n\tnamespace = no\n[core \"\"]\n\tbare = true\n"},
	{name: "subsection keeps its case", file: "[Kage \"Sub\"]\n\tnamespace = a\n[kage \"sub\"]\n\tnamespace = b\n"},
	{name: "subsection escapes", file: "[kage \"a\\\"b\\\\c\\td\"]\n\tnamespace = no\n[kage]\n\tnamespace = yes\n", ns: "yes"},
	{name: "space after a subsection holding ]", file: "[kage \" ] [x\" ]\n", errLine: 1},
	{name: "subsection with ] and spaces", file: "[kage \" ] [x\"]\n\tnamespace = no\n"},
	{name: "tab before the subsection", file: "[kage\t\"x\"]\n\tnamespace = no\n"},
	{name: "legacy subsection", file: "[kage.Sub]\n\tnamespace = no\n[core.x]\n\tbare\n"},
	{name: "legacy empty subsection", file: "[kage.]\n\tnamespace = no\n[.kage]\n\tnamespace = no\n"},
	{name: "valueless key is true", file: "[kage]\n\tnamespace\n[core]\n\tbare\n", bare: "true"},
	{name: "valueless key at end of file", file: "[core]\n\tbare", bare: "true"},
	{name: "namespace = nothing", file: "[kage]\n\tnamespace =\n[core]\n\tbare =\n", bare: "false"},
	{name: "namespace = spaces", file: "[kage]\n\tnamespace =   \t \n"},
	{name: "empty quotes", file: "[kage]\n\tnamespace = \"\"\n"},
	{name: "empty quotes then a word", file: "[kage]\n\tnamespace = \"\"  x\n", ns: "x"},
	{name: "last value wins", file: "[kage]\n\tnamespace = a\n[core]\n\tbare = true\n[kage]\n\tnamespace = b\n[core]\n\tbare = no\n", ns: "b", bare: "false"},
	{name: "valueless last wins", file: "[kage]\n\tnamespace = a\n\tnamespace\n"},
	{name: "; and # inside quotes", file: "[kage]\n\tnamespace = \"a;b#c\" ; comment\n", ns: "a;b#c"},
	{name: "comment right after the value", file: "[kage]\n\tnamespace = a#c\n[core]\n\tbare = true;c\n", ns: "a", bare: "true"},
	{name: "comment after the header", file: "[kage] # c\n\tnamespace = y ; z\n", ns: "y"},
	{name: "quotes inside a value", file: "[kage]\n\tnamespace = a\"b c\"d\n", ns: "ab cd"},
	{name: "quoted and unquoted spaces", file: "[kage]\n\tnamespace = \"  a  \" b  \"c\"   \n", ns: "  a   b  c"},
	{name: "quoted trailing space kept", file: "[kage]\n\tnamespace = \"a \"  \n", ns: "a "},
	{name: "escapes", file: "[kage]\n\tnamespace = a\\tb\\nc\\\\d\\\"e\\bf\n", ns: "a\tb\nc\\d\"e\bf"},
	{name: "escapes inside quotes", file: "[kage]\n\tnamespace = \"\\\"x\\\" \\\\\"\n", ns: "\"x\" \\"},
	{name: "continuation", file: "[kage]\n\tnamespace = back\\\nend\n", ns: "backend"},
	{name: "continuation keeps leading space", file: "[kage]\n\tnamespace = a\\\n   b\n", ns: "a   b"},
	{name: "continuation of an empty value", file: "[kage]\n\tnamespace = \\\n   b\n", ns: "b"},
	{name: "space before a continuation to nothing", file: "[kage]\n\tnamespace = a \\\n\n", ns: "a "},
	{name: "continuation inside quotes", file: "[kage]\n\tnamespace = \"a\\\n;b\"\n", ns: "a;b"},
	{name: "continuation makes a header a value", file: "[kage]\n\tnamespace = a\\\n[core]\n\tbare\n", ns: "a[core]", bare: ""},
	{name: "trailing backslash at end of file", file: "[kage]\n\tnamespace = x\\", ns: "x"},
	{name: "CRLF", file: "[kage]\r\n\tnamespace = crlf \r\n[core]\r\n\tbare\r\n", ns: "crlf", bare: "true"},
	{name: "CRLF continuation", file: "[kage]\r\n\tnamespace = a\\\r\nb\r\n", ns: "ab"},
	{name: "lone CR is white space", file: "[kage]\n\tnamespace = a\rb\r\n", ns: "a\rb"},
	{name: "UTF-8 BOM", file: "\xef\xbb\xbf[kage]\n\tnamespace = bom\n", ns: "bom"},
	{name: "tabs everywhere", file: "\t[kage]\t\n\tnamespace\t=\tt\t\n", ns: "t"},
	{name: "inner tab kept", file: "[kage]\n\tnamespace = a\t\tb c\n", ns: "a\t\tb c"},
	{name: "vertical tab is not white space", file: "[kage]\n\tnamespace = \va\f\n", ns: "\va\f"},
	{name: "key before any section", file: "namespace = x\nbare\n"},
	{name: "similar keys", file: "[kage]\n\tnamespace-x = 1\n\tnamespace2 = 2\n\tnamespaces\n"},
	{name: "include not followed", file: "[include]\n\tpath = other\n[includeIf \"gitdir:/\"]\n\tpath = other\n"},
	{name: "NUL ends a subsection for git", file: "[kage \"namespace\x00x\"]\n\tfoo = bar\n", ns: "bar"},
	{name: "NUL ends a value for git", file: "[kage]\n\tnamespace = ab\x00cd\n", ns: "ab"},
	{name: "UTF-8 in values and subsections", file: "[kage \"é\"]\n\tx = 1\n[kage]\n\tnamespace = \"ü ; #\"\n", ns: "ü ; #"},

	{name: "header not closed at end of file", file: "[kage", errLine: 2},
	{name: "header not closed", file: "[kage\n\tnamespace = x\n", errLine: 1},
	{name: "subsection not closed", file: "[kage \"x]\n", errLine: 1},
	{name: "subsection with an escaped newline", file: "[kage \"a\\\nb\"]\n", errLine: 1},
	{name: "space in the header", file: "[kage ]\n", errLine: 1},
	{name: "space after the subsection", file: "[kage \"x\" ]\n", errLine: 1},
	{name: "empty header", file: "[core]\n[]\n", errLine: 2},
	{name: "underscore in the section", file: "[ka_ge]\n", errLine: 1},
	{name: "form feed before the subsection", file: "[kage\f\"x\"]\n", errLine: 1},
	{name: "quote not closed", file: "[kage]\n\tnamespace = \"x\n\tother = 1\n", errLine: 2},
	{name: "quote not closed at end of file", file: "[kage]\n\tnamespace = \"x", errLine: 2},
	{name: "unknown escape", file: "[kage]\n\tnamespace = x\\q\n", errLine: 2},
	{name: "comment after a valueless key", file: "[kage]\n\tflag # comment\n", errLine: 2},
	{name: "underscore in a key", file: "[kage]\n\tname_space = x\n", errLine: 2},
	{name: "key starting with a digit", file: "[kage]\n\t1x = y\n", errLine: 2},
	{name: "key with a space", file: "[kage]\n\tname space = x\n", errLine: 2},
	{name: "non-ASCII key", file: "[kage]\n\tnämespace = x\n", errLine: 2},
	{name: "no key", file: "= x\n", errLine: 1},
	{name: "partial BOM", file: "\xef\xbb[kage]\n", errLine: 1},
	{name: "BOM after white space", file: " \xef\xbb\xbf[kage]\n", errLine: 1},
	{name: "lone CR after a key", file: "[kage]\n\tnamespace\r", errLine: 2},
	{name: "error after blank lines", file: "[kage]\n\tnamespace = x\n\n\n\t? = 1\n", errLine: 5},
	{name: "error after a continuation", file: "[kage]\n\tx = a\\\nb\n\t_ = 1\n", errLine: 4},
	{name: "error on a CRLF line", file: "[kage]\r\n\tx = 1\r\n\t\"bad\r\n", errLine: 3},
}

// boolValues are core.bare values, with how git config --type=bool reads
// each ("bad" when it dies).
var boolValues = []struct{ in, want string }{
	{"true", "true"}, {"TRUE", "true"}, {"yes", "true"}, {"On", "true"}, {"1", "true"},
	{"false", "false"}, {"No", "false"}, {"off", "false"}, {"0", "false"}, {`""`, "false"},
	{"2", "true"}, {"-1", "true"}, {"-0", "false"}, {"+1", "true"}, {"010", "true"}, {"00", "false"},
	{"0x10", "true"}, {"0X0", "false"}, {"1k", "true"}, {"0k", "false"}, {"1M", "true"}, {"1g", "true"},
	{"2g", "bad"}, {"2147483647", "true"}, {"2147483648", "bad"}, {"-2147483647", "true"}, {"-2147483648", "bad"},
	{"9223372036854775808", "bad"}, {"99999999999999999999", "bad"},
	{`" 1"`, "true"}, {`"1 "`, "bad"}, {"\v1", "true"},
	{"maybe", "bad"}, {"tru", "bad"}, {"+", "bad"}, {"08", "bad"}, {"0x", "bad"}, {"0b1", "bad"},
	{"1.0", "bad"}, {"1kb", "bad"}, {`"no "`, "bad"}, {"y", "bad"},
}

// TestGitConfigReader checks the reader against the table and against git
// itself, entry by entry.
func TestGitConfigReader(t *testing.T) {
	testEnv(t)
	dir := t.TempDir()
	oldGit := gitBefore(t, 2, 45)
	// The target of the include cases, so that following it would show.
	writeFile(t, filepath.Join(dir, "other"), "[kage]\n\tnamespace = included\n[core]\n\tbare = true\n")

	cases := append([]gitCfgCase(nil), gitCfgCases...)
	for _, b := range boolValues {
		cases = append(cases, gitCfgCase{name: "core.bare = " + b.in, file: "[core]\n\tbare = " + b.in + "\n", bare: b.want})
	}
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(dir, "config"+strconv.Itoa(i))
			writeFile(t, f, tt.file)
			cfg, err := parseGitConfig([]byte(tt.file))

			gitList, gitErr := gitConfigFile(t, f, "--list")
			if tt.errLine > 0 {
				var se *gitSyntaxError
				if !errors.As(err, &se) || se.line != tt.errLine {
					t.Errorf("parse error = %v; want one on line %d", err, tt.errLine)
				}
				if gitLine := badLine(gitErr); gitLine != tt.errLine {
					t.Errorf("git: %v; want bad config line %d", gitErr, tt.errLine)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse error: %v", err)
			}
			if gitErr != nil {
				t.Fatalf("git rejects the file: %v", gitErr)
			}

			// Every entry, as git config --list -z prints them.
			var got bytes.Buffer
			for _, e := range cfg.entries {
				got.WriteString(e.name)
				if e.hasValue {
					got.WriteString("\n" + e.value)
				}
				got.WriteByte(0)
			}
			if a, b := got.String(), gitList; a != b && !(oldGit && squashSpace(a) == squashSpace(b)) {
				t.Errorf("entries differ from git's:\n got %q\ngit %q", a, b)
			}

			// kage.namespace, as gitNamespace reads it.
			e, found := cfg.get("kage.namespace")
			if e.value != tt.ns {
				t.Errorf("kage.namespace = %q, want %q", e.value, tt.ns)
			}
			gitNS, gitErr := gitConfigFile(t, f, "--get", "kage.namespace")
			gitFound := gitErr == nil
			if gitErr != nil && !isExit(gitErr, 1) {
				t.Fatalf("git config --get kage.namespace: %v", gitErr)
			}
			gitNS = strings.TrimSuffix(gitNS, "\x00")
			if found != gitFound || (e.value != gitNS && !(oldGit && squashSpace(e.value) == squashSpace(gitNS))) {
				t.Errorf("kage.namespace = %q (set %v); git says %q (set %v)", e.value, found, gitNS, gitFound)
			}

			// core.bare, as openWorkTree reads it.
			gitBare, gitErr := gitConfigFile(t, f, "--type=bool", "--get", "core.bare")
			switch {
			case gitErr == nil:
				gitBare = strings.TrimSuffix(gitBare, "\x00")
			case isExit(gitErr, 1):
				gitBare = ""
			case strings.Contains(gitErr.Error(), "bad boolean config value"):
				gitBare = "bad"
			default:
				t.Fatalf("git config --get core.bare: %v", gitErr)
			}
			if gitBare != tt.bare {
				t.Errorf("git reads core.bare as %q; the table says %q", gitBare, tt.bare)
			}
			want := tt.bare == "true"
			if got := cfg.bool("core.bare"); got != want {
				t.Errorf("core.bare = %v, want %v (git: %q)", got, want, tt.bare)
			}
			if e, ok := cfg.get("core.bare"); ok && e.hasValue {
				if _, ok := parseGitBool(e.value); ok != (tt.bare != "bad") {
					t.Errorf("parseGitBool(%q) ok = %v; git says %q", e.value, ok, tt.bare)
				}
			}
		})
	}
}

// TestGitConfigIncludeNotFollowed shows that git would follow the
// include the reader ignores, so the trust rule is a real choice.
func TestGitConfigIncludeNotFollowed(t *testing.T) {
	testEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "other"), "[kage]\n\tnamespace = included\n")
	f := filepath.Join(dir, "config")
	writeFile(t, f, "[include]\n\tpath = other\n")
	if out, err := gitConfigFile(t, f, "--includes", "--get", "kage.namespace"); err != nil || out != "included\x00" {
		t.Fatalf("test setup: git --includes reads %q, %v", out, err)
	}
	cfg, err := loadGitConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := cfg.get("kage.namespace"); ok {
		t.Errorf("kage.namespace = %q from an include; includes must not be followed", e.value)
	}
	if e, _ := cfg.get("include.path"); e.value != "other" {
		t.Errorf("include.path = %q, want it read as a plain entry", e.value)
	}
}

func TestLoadGitConfigErrors(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "config")
	writeFile(t, f, "[core]\n\tbare = false\n[kage]\n\tnamespace = \"open\n")
	_, err := loadGitConfig(f)
	for _, want := range []string{f, "line 4", "double quote", "check it with git config --local --list"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("loadGitConfig = %v; want an error containing %q", err, want)
		}
	}
	cfg, err := loadGitConfig(filepath.Join(dir, "missing"))
	if err != nil || len(cfg.entries) != 0 {
		t.Errorf("missing file: %v, %v; want an empty config", cfg, err)
	}
	var nilCfg *gitConfig
	if _, ok := nilCfg.get("kage.namespace"); ok || nilCfg.bool("core.bare") {
		t.Error("a nil config has entries")
	}
}

// gitConfigFile runs git config --file f -z with args and returns its
// output; an error carries git's stderr.
func gitConfigFile(t *testing.T, f string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"config", "--file", f, "-z"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &gitError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return string(out), nil
}

type gitError struct {
	err    error
	stderr string
}

func (e *gitError) Error() string { return e.err.Error() + ": " + e.stderr }
func (e *gitError) Unwrap() error { return e.err }

func isExit(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}

var badLineRE = regexp.MustCompile(`bad config line (\d+) in file`)

// badLine is the line number in git's "bad config line N" error, or 0.
func badLine(err error) int {
	if err == nil {
		return 0
	}
	m := badLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// gitBefore reports whether the installed git is older than major.minor.
func gitBefore(t *testing.T, major, minor int) bool {
	t.Helper()
	out, err := exec.Command("git", "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("cannot read git's version from %q", out)
	}
	ma, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	return ma < major || ma == major && mi < minor
}

// squashSpace turns tabs and CRs into spaces: git before 2.45 wrote
// each unquoted white space character inside a value as a space, so only
// this much of a value can be compared with such a git.
func squashSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
