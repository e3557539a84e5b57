package shellenv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kage-cli/kage/internal/hostile"
)

// TestParseDotenv is the table of every rule ParseDotenv documents.
func TestParseDotenv(t *testing.T) {
	type kv = [2]string
	for _, c := range []struct {
		name string
		in   string
		want []kv
	}{
		{"plain", "A=1\n", []kv{{"A", "1"}}},
		{"no final newline", "A=1", []kv{{"A", "1"}}},
		{"several in file order", "B=2\nA=1\n_c9=3\n", []kv{{"B", "2"}, {"A", "1"}, {"_c9", "3"}}},
		{"export prefix", "export A=1\nexport\tB=2\n  export   C=3\n", []kv{{"A", "1"}, {"B", "2"}, {"C", "3"}}},
		{"a variable called export", "export=1\n", []kv{{"export", "1"}}},
		{"leading blanks", "  \tA=1\n", []kv{{"A", "1"}}},
		{"comments and blank lines", "# top\n\n   \n\t# indented\nA=1\n#B=2\n", []kv{{"A", "1"}}},
		{"comment after a value", "A=abc # note\nB=x\t#note\n", []kv{{"A", "abc"}, {"B", "x"}}},
		{"hash inside a word", "A=abc#def\nB=#x\nC=a#\n", []kv{{"A", "abc#def"}, {"B", "#x"}, {"C", "a#"}}},
		{"trailing blanks trimmed", "A=abc  \t\n", []kv{{"A", "abc"}}},
		{"inner blanks kept", "A=hello  world\n", []kv{{"A", "hello  world"}}},
		{"equals in a value", "A=a=b==\n", []kv{{"A", "a=b=="}}},
		{"unquoted specials", "A=;&|<>()*?[]~!%{}\n", []kv{{"A", ";&|<>()*?[]~!%{}"}}},
		{"non-ASCII and invalid UTF-8", "A=\u00e9\u2018\xff\xfe\n", []kv{{"A", "\u00e9\u2018\xff\xfe"}}},
		{"single quotes are literal", `A='$HOME \n \x41 "x" #no` + "'\n", []kv{{"A", `$HOME \n \x41 "x" #no`}}},
		{"single quotes span lines", "A='line1\nline2\n'\nB=2\n", []kv{{"A", "line1\nline2\n"}, {"B", "2"}}},
		{"single quote then comment", "A='x y' # c\n", []kv{{"A", "x y"}}},
		{"double-quote escapes", `A="\\ \" \$ \` + "`" + ` \n \r \t \x01 \x7F \xff"` + "\n",
			[]kv{{"A", "\\ \" $ ` \n \r \t \x01 \x7f \xff"}}},
		{"double quotes keep the rest", "A=\"'#x; y ~ \u2018\"\n", []kv{{"A", "'#x; y ~ \u2018"}}},
		{"double quotes span lines", "KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\n\"\nB=1\n",
			[]kv{{"KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"}, {"B", "1"}}},
		{"raw tab in quotes", "A=\"a\tb\"\nB='a\tb'\n", []kv{{"A", "a\tb"}, {"B", "a\tb"}}},
		{"double quote then comment", `A="x" # c` + "\n", []kv{{"A", "x"}}},
		{"CRLF line ends", "# c\r\nA=1\r\nB=\"x\r\ny\"\r\nC='p\r\nq'\r\n", []kv{{"A", "1"}, {"B", "x\ny"}, {"C", "p\nq"}}},
		{"byte order mark", "\xef\xbb\xbfA=1\n", []kv{{"A", "1"}}},
		{"empty file", "", nil},
		{"only comments", "# nothing\n\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDotenv([]byte(c.in))
			if err != nil {
				t.Fatalf("ParseDotenv(%q): %v", c.in, err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("ParseDotenv(%q) = %d variables %v, want %d", c.in, len(got), got, len(c.want))
			}
			for i, w := range c.want {
				if got[i].Name != w[0] || string(got[i].Value) != w[1] {
					t.Errorf("variable %d = %s=%q, want %s=%q", i, got[i].Name, got[i].Value, w[0], w[1])
				}
			}
		})
	}
}

// TestParseDotenvErrors checks each error, its line number, that every bad
// line of a file is reported, and that no message holds a value.
func TestParseDotenvErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []string // "line N: message" substrings, one per bad line
	}{
		{"no equals", "A=1\nSECRETVALUE\n", []string{"line 2: " + msgNoEquals}},
		{"export without value", "export A\n", []string{"line 1: " + msgNoEquals}},
		{"no name", "=SECRETVALUE\n", []string{"line 1: " + msgNoName}},
		{"bad name", "\n\n1BAD=SECRETVALUE\n", []string{`line 3: the text before "=" starts with a digit`}},
		{"dashed name", "MY-KEY=SECRETVALUE\n", []string{`line 1: the text before "=" is not a variable name (its character 3 is not`}},
		{"name that may be a secret", "ab+c/SECRETVALUE=x\n", []string{`line 1: the text before "=" is not a variable name (its character 3 is not`}},
		{"a wrapped token's tail is not shown", "OK=first-half\nsk-ant-tail==\n", []string{`line 2: the text before "=" is not a variable name (its character 3`}},
		{"a wrapped token's tail that looks like a name is not shown", "OK=first-half\nSECRETVALUE=\n", []string{"line 2: " + msgEmpty}},
		{"non-ASCII text is not shown", "tök=x\n", []string{`line 1: the text before "=" is not a variable name (its character 2 is not`}},
		{"long name-like text hidden", strings.Repeat("S", 65) + "-=x\n", []string{`line 1: the text before "=" is not a variable name (its character 66 is not`}},
		{"blank before equals", "A =SECRETVALUE\n", []string{"line 1: " + msgSpaceAround}},
		{"blanks around equals", "A = SECRETVALUE\n", []string{"line 1: " + msgSpaceAround}},
		{"blank after equals", "A= SECRETVALUE\n", []string{"line 1: " + msgSpaceAfter}},
		{"two words before equals", "A B=SECRETVALUE\n", []string{"line 1: " + msgNoEquals}},
		{"empty", "A=\n", []string{"line 1: " + msgEmpty}},
		{"empty at end of file", "A=", []string{"line 1: " + msgEmpty}},
		{"empty with comment", "A= # c\n", []string{"line 1: " + msgEmpty}},
		{"empty double quotes", `A=""` + "\n", []string{"line 1: " + msgEmpty}},
		{"empty single quotes", "A=''\n", []string{"line 1: " + msgEmpty}},
		{"quote in unquoted", `A=SECRET"VALUE` + "\n", []string{"line 1: " + msgUnquotedQuote}},
		{"single quote in unquoted", `A=SECRET'VALUE` + "\n", []string{"line 1: " + msgUnquotedQuote}},
		{"backslash in unquoted", `A=SECRET\VALUE` + "\n", []string{"line 1: " + msgUnquotedBack}},
		{"dollar in unquoted", `A=SECRET$VALUE` + "\n", []string{"line 1: " + msgUnquotedDollar}},
		{"backquote in unquoted", "A=SECRET`VALUE\n", []string{"line 1: " + msgUnquotedTick}},
		{"dollar in double quotes", `A="SECRET${VALUE}"` + "\n", []string{"line 1: " + msgDQDollar}},
		{"backquote in double quotes", "A=\"SECRET`VALUE`\"\n", []string{"line 1: " + msgDQTick}},
		{"unknown escape", `A="SECRET\qVALUE"` + "\n", []string{"line 1: " + msgUnknownEscape}},
		{"unknown escape u", `A="SECRET\u0041"` + "\n", []string{"line 1: unknown escape"}},
		{"escaped newline", "A=\"SECRET\\\nVALUE\"\nB=\n", []string{"line 1: unknown escape", "line 3: " + msgEmpty}},
		{"short hex", `A="SECRET\x4"` + "\n", []string{"line 1: " + msgHexEscape}},
		{"bad hex", `A="SECRET\xzzVALUE"` + "\n", []string{"line 1: " + msgHexEscape}},
		{"hex at end", `A="SECRET\x`, []string{"line 1: " + msgUnterminatedDQ}},
		{"escaped NUL", `A="SECRET\x00VALUE"` + "\n", []string{"line 1: " + msgNUL}},
		{"raw NUL", "A=SECRET\x00VALUE\n", []string{"line 1: " + msgNUL}},
		{"raw NUL quoted", "A=\"SECRET\x00VALUE\"\n", []string{"line 1: " + msgNUL}},
		{"NUL in a comment", "# \x00\n", []string{"line 1: " + msgNUL}},
		{"control character", "A=SECRET\x01VALUE\n", []string{"line 1: " + msgControl}},
		{"DEL", "A='SECRET\x7fVALUE'\n", []string{"line 1: " + msgControl}},
		{"lone CR", "A=SECRET\rVALUE\n", []string{"line 1: " + msgControl}},
		{"text after double quote", `A="SECRET"VALUE` + "\n", []string{"line 1: " + msgAfterQuote}},
		{"text after single quote", `A='SECRET' VALUE` + "\n", []string{"line 1: " + msgAfterQuote}},
		{"comment without blank after quote", `A="SECRET"#VALUE` + "\n", []string{"line 1: " + msgAfterQuote}},
		{"python-style escaped single quote", `A='SECRET\'VALUE'` + "\n", []string{"line 1: " + msgAfterQuote}},
		{"unterminated double quote", "A=1\nB=2\nC=\"SECRET\nD=VALUE $x\n", []string{"line 3: " + msgUnterminatedDQ}},
		{"unterminated single quote", "A='SECRET\n", []string{"line 1: " + msgUnterminatedSQ}},
		{"backslash at end", `A="SECRET\`, []string{"line 1: " + msgUnterminatedDQ}},
		{"duplicate", "A=1\nB=2\nA=SECRETVALUE\n", []string{"line 3: the name on this line is set again (first on line 1)"}},
		{"duplicate with export", "export A=1\nA=SECRETVALUE\n", []string{"line 2: the name on this line is set again (first on line 1)"}},
		{"duplicate of a wrapped piece", "A=\"x\"\nSECRET=1\nSECRET=2\n", []string{"line 3: the name on this line is set again (first on line 2)"}},
		{"line numbers after a multi-line value", "P=\"a\nb\nc\"\nQ=SECRET$VALUE\n", []string{"line 4: " + msgUnquotedDollar}},
		{"error inside a multi-line value", "P=\"a\nSECRET$VALUE\nc\"\nQ=\n", []string{"line 2: " + msgDQDollar, "line 4: " + msgEmpty}},
		{"line numbers with CRLF", "A=1\r\n\r\n1X=SECRETVALUE\r\n", []string{`line 3: the text before "=" starts with a digit`}},
		{"every bad line",
			"OK=1\nA B\n# fine\n1BAD=x\nC=\nD=\"x\\q\"\nE='x'y\nOK2=2\nF=SECRET$VALUE\nOK=3\nG=\"unterminated\nH=1\n",
			[]string{"line 2: " + msgNoEquals, `line 4: the text before "=" starts with a digit`, "line 5: " + msgEmpty,
				"line 6: unknown escape", "line 7: " + msgAfterQuote, "line 9: " + msgUnquotedDollar,
				"line 10: the name on this line is set again (first on line 1)", "line 11: " + msgUnterminatedDQ}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vars, err := ParseDotenv([]byte(c.in))
			if err == nil {
				t.Fatalf("ParseDotenv(%q) = %v, want an error", c.in, vars)
			}
			if vars != nil {
				t.Errorf("ParseDotenv returned variables beside the error: %v", vars)
			}
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v, want *DotenvError", err, err)
			}
			if len(de.Lines) != len(c.want) {
				t.Fatalf("%d bad lines, want %d:\n%s", len(de.Lines), len(c.want), strings.Join(lineMsgs(de), "\n"))
			}
			for i, w := range c.want {
				if got := de.Lines[i].Error(); !strings.HasPrefix(got, w) {
					t.Errorf("error %d = %q, want it to start with %q", i, got, w)
				}
			}
			for _, secret := range []string{"SECRET", "VALUE"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows part of a value: %q", err)
				}
			}
		})
	}
}

func lineMsgs(e *DotenvError) []string {
	var out []string
	for _, l := range e.Lines {
		out = append(out, l.Error())
	}
	return out
}

// TestParseDotenvEntries checks the line numbers of good entries, and that
// the good entries come back beside the error.
func TestParseDotenvEntries(t *testing.T) {
	in := "# c\nA=1\nB=\"x\ny\"\nexport C='z'\nD=\n"
	got, err := ParseDotenvEntries([]byte(in))
	if err == nil {
		t.Fatal("want an error for D")
	}
	want := []struct {
		name string
		line int
	}{{"A", 2}, {"B", 3}, {"C", 5}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Line != w.line {
			t.Errorf("entry %d = %s on line %d, want %s on line %d", i, got[i].Name, got[i].Line, w.name, w.line)
		}
	}
}

// TestParseDotenvRoundTrip renders every hostile value that kage can store
// (not empty, no NUL) with the dotenv writer and reads it back byte for
// byte; also each byte 1–255 alone, and all values in one file.
func TestParseDotenvRoundTrip(t *testing.T) {
	var vars []Var
	for i, v := range append(hostile.Values("m"), hostile.Random("m", 20261130, 500)...) {
		if len(v.Bytes) == 0 || bytes.IndexByte(v.Bytes, 0) >= 0 {
			continue
		}
		vars = append(vars, Var{Name: fmt.Sprintf("V%04d", i), Value: v.Bytes})
	}
	for c := 1; c < 256; c++ {
		vars = append(vars, Var{Name: fmt.Sprintf("B%03d", c), Value: []byte{byte(c)}})
	}
	d, _ := Get("dotenv")
	out, err := d.Render(Plan{Set: vars})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDotenv(out)
	if err != nil {
		t.Fatalf("reading back the writer's output: %v", err)
	}
	if len(got) != len(vars) {
		t.Fatalf("read back %d variables, wrote %d", len(got), len(vars))
	}
	for i := range vars {
		if got[i].Name != vars[i].Name || !bytes.Equal(got[i].Value, vars[i].Value) {
			t.Errorf("%s: read back %s=%s, wrote %s", vars[i].Name, got[i].Name, show(got[i].Value), show(vars[i].Value))
		}
	}
	// And written again, the bytes are the same: import → export → import
	// is exact.
	again, err := d.Render(Plan{Set: got})
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("rendering what was read back differs from the first rendering (%v)", err)
	}
}

// FuzzParseDotenv checks that any input either fails with line errors in
// range, or gives variables that the writer renders and the parser reads
// back unchanged.
func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export A='x\ny'\n", `A="\x41\n\$"`, "A=\"x", "# c\r\nA=b #c\r\n", "\xef\xbb\xbfA=1"} {
		f.Add([]byte(s))
	}
	d, _ := Get("dotenv")
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseDotenv(data)
		if err != nil {
			var de *DotenvError
			if !errors.As(err, &de) || len(de.Lines) == 0 {
				t.Fatalf("error %v is not a DotenvError with lines", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, l := range de.Lines {
				if l.Line < 1 || l.Line > lines {
					t.Fatalf("line %d out of 1..%d", l.Line, lines)
				}
			}
			return
		}
		out, err := d.Render(Plan{Set: vars})
		if err != nil {
			t.Fatalf("the writer refuses what the parser accepted: %v", err)
		}
		back, err := ParseDotenv(out)
		if err != nil || len(back) != len(vars) {
			t.Fatalf("reading back: %v", err)
		}
		for i := range vars {
			if back[i].Name != vars[i].Name || !bytes.Equal(back[i].Value, vars[i].Value) {
				t.Fatalf("%s changed in the round trip", vars[i].Name)
			}
		}
	})
}

// TestParseDotenvErrorsHideTheSecret builds many broken .env files out of
// one known secret, the way they break in practice (a value wrapped by an
// editor at every position, with base64 padding or a stray "=", lost or
// unbalanced quotes, bad escapes, blanks, controls, a wrapped piece twice),
// and checks that no error message holds any four-character piece of the
// secret: an error names the line, never its text.
func TestParseDotenvErrorsHideTheSecret(t *testing.T) {
	const secret = "Zq7XkP2mWb9RtL4vNc8HsJ3yGd6FaE1uQ0oT5iYe"
	var files []string
	add := func(f string) { files = append(files, f) }
	for k := 1; k < len(secret); k++ {
		head, tail := secret[:k], secret[k:]
		for _, end := range []string{"", "=", "==", "=x", "= x", "=\"", "='", "=$", " =x", "-=x", "+", "/=", "\\=", "=\"\\q\"", "=`x`"} {
			add("KEY=" + head + "\n" + tail + end + "\n")
			add("KEY=\"" + head + "\n" + tail + end + "\n")
			add("KEY='" + head + "\n" + tail + end + "\n")
			add("export KEY=" + head + "\n" + tail + end + "\nOTHER=1\n")
		}
		add(tail + "=1\n" + tail + "=2\n")
		add("OK=1\n" + head + "=\n" + tail + "=\n")
		add("1" + tail + "=x\n")
		add("export " + tail + "\n")
		add(head + " " + tail + "=x\n")
		add("KEY=" + head + "\"" + tail + "\n")
		add("KEY=" + head + "$" + tail + "\n")
		add("KEY=" + head + "\\" + tail + "\n")
		add("KEY=" + head + "`" + tail + "\n")
		add("KEY=\"" + head + "$" + tail + "\"\n")
		add("KEY=\"" + head + "`" + tail + "\"\n")
		add("KEY=\"" + head + "\\q" + tail + "\"\n")
		add("KEY=\"" + head + "\\x" + tail + "\"\n")
		add("KEY=\"" + head + "\\x00" + tail + "\"\n")
		add("KEY=\"" + head + "\"" + tail + "\n")
		add("KEY='" + head + "'" + tail + "\n")
		add("KEY=" + head + "\x01" + tail + "\n")
		add("KEY=" + head + "\x00" + tail + "\n")
		add("KEY=" + head + "\r" + tail + "\n")
		add("KEY= " + head + tail + "\n")
		add("KEY =" + head + tail + "\n")
		add("=" + head + tail + "\n")
		add(head + "\xff" + tail + "=x\n")
		add("KEY=\"" + head + "\\\n" + tail + "\"\n")
	}
	for _, f := range files {
		_, err := ParseDotenv([]byte(f))
		if err == nil {
			continue
		}
		msg := err.Error()
		for i := 0; i+4 <= len(secret); i++ {
			if piece := secret[i : i+4]; strings.Contains(msg, piece) {
				t.Errorf("an error shows %q, a piece of the secret:\nfile %q\nerror %s", piece, f, msg)
				break
			}
		}
	}
	if len(files) < 1000 {
		t.Fatalf("only %d files", len(files))
	}
}
