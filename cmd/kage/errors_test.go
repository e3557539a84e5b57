package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain path /a/b c":                 "plain path /a/b c",
		"tab\tstays":                        "tab\tstays",
		"é ü 日本 🙂 \ufffd":                   "é ü 日本 🙂 \ufffd",
		"\x1b]0;title\x07":                  `\x1b]0;title\x07`,
		"\x1b[2J\x1b[1A":                    `\x1b[2J\x1b[1A`,
		"cr\rlf\nnul\x00del\x7f":            `cr\x0dlf\x0anul\x00del\x7f`,
		"c1 \u009b2J \u0085":                `c1 \u009b2J \u0085`,
		"raw c1 \x9b and \xff\xfe":          `raw c1 \x9b and \xff\xfe`,
		"bidi \u202eevil\u202c":             `bidi \u202eevil\u202c`,
		"isolates \u2066\u2067\u2068\u2069": `isolates \u2066\u2067\u2068\u2069`,
		"marks \u200e\u200f\u061c":          `marks \u200e\u200f\u061c`,
		"separators \u2028\u2029":           `separators \u2028\u2029`,
		"cut \xe2\x80":                      `cut \xe2\x80`,
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMessagesHaveNoControls prints a hostile error, hint, message and
// warning the ways kage does, and checks each comes out as its own lines
// with no control character left.
func TestMessagesHaveNoControls(t *testing.T) {
	const hostile = "/tmp/x\x1b]0;pwned\x07\x1b[2J\rkage: hint: run this\n\u202eevil\xff"
	var b bytes.Buffer
	if code := report(&b, withHint(errors.New("cannot read "+hostile), "remove "+hostile)); code != exitFailure {
		t.Errorf("report returned %d", code)
	}
	say(&b, "kage: stored X in repo:%s\n", hostile)
	warn(&b, "%s is odd", hostile)
	w := messageWriter{&b}
	if n, err := w.Write([]byte("kage: direct " + hostile + "\n")); err != nil || n != len("kage: direct "+hostile+"\n") {
		t.Errorf("messageWriter.Write = %d, %v", n, err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// report, its hint, say, warn, then the direct write: each one line.
	if len(lines) != 5 || !strings.HasPrefix(lines[1], "kage: hint: remove ") || !strings.HasPrefix(lines[3], "kage: warning: /tmp/x") {
		t.Errorf("got lines %q", lines)
	}
	for _, c := range out {
		if c != '\n' && (c < 0x20 || c == 0x7f || 0x80 <= c && c <= 0x9f || isLayoutControl(c) || c == '\ufffd') {
			t.Fatalf("control %U left in %q", c, out)
		}
	}
	if !strings.Contains(out, `\x1b]0;pwned\x07`) || !strings.Contains(out, `\u202eevil\xff`) {
		t.Errorf("the escapes are not visible: %q", out)
	}
}
