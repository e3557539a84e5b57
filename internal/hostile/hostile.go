// Package hostile holds secret values chosen to break shell quoting: quotes
// of every kind, command substitutions that try to run a command, variable
// references, backslashes, every control byte, glob and history characters,
// tricky Unicode, invalid UTF-8 and very long values. Tests render them with
// each shell encoder, evaluate the result in the real shell and check that
// the value comes back byte for byte and that no injected command ran.
//
// Every payload that tries to run a command tries to create the file named
// by the marker argument, so a test passes a path it controls and fails if
// that path exists afterwards. The marker is inserted as is; use a path
// without spaces or quotes (t.TempDir() gives one), or a plain relative
// name when the shell runs in a directory the test watches.
package hostile

import (
	"fmt"
	"math/rand"
	"strings"
	"unicode/utf8"
)

// Value is one hostile value with a short label for test names and
// failure messages.
type Value struct {
	Label string
	Bytes []byte
}

// Values returns the fixed list of hostile values; payloads that try to run
// a command create marker. The list is the same on every call for the same
// marker. No value holds NUL (an environment cannot); tests that need NUL
// add it themselves.
func Values(marker string) []Value {
	var vs []Value
	add := func(label, s string) { vs = append(vs, Value{label, []byte(s)}) }
	for _, f := range fragments(marker) {
		add(f.Label, string(f.Bytes))
	}
	for c := 1; c < 0x20; c++ {
		add(fmt.Sprintf("c0-%02x", c), string([]byte{byte(c)}))
		add(fmt.Sprintf("c0-%02x-inside", c), "a"+string([]byte{byte(c)})+"b")
	}
	all := make([]byte, 0, 255)
	for c := 1; c < 256; c++ {
		all = append(all, byte(c))
	}
	add("every-byte-1-255", string(all))
	rev := make([]byte, 0, 255)
	for c := 255; c > 0; c-- {
		rev = append(rev, byte(c))
	}
	add("every-byte-255-1", string(rev))
	add("64KiB", big(64<<10, marker, true))
	add("64KiB-utf8", big(64<<10, marker, false))
	return vs
}

// Random returns n values, each a seeded random mix of one to eight
// fragments of Values (the long ones excepted) and random bytes 1–255, so a
// quote, a backslash or an invalid byte lands next to every other kind.
// The same seed and marker give the same values.
func Random(marker string, seed int64, n int) []Value {
	r := rand.New(rand.NewSource(seed))
	frags := fragments(marker)
	out := make([]Value, 0, n)
	for i := range n {
		var b []byte
		parts := 1 + r.Intn(8)
		for range parts {
			switch r.Intn(4) {
			case 0:
				// Random bytes, NUL excluded.
				for range 1 + r.Intn(6) {
					b = append(b, byte(1+r.Intn(255)))
				}
			case 1:
				b = append(b, byte(1+r.Intn(127)))
			default:
				b = append(b, frags[r.Intn(len(frags))].Bytes...)
			}
		}
		out = append(out, Value{Label: fmt.Sprintf("random-%d-%d", seed, i), Bytes: b})
	}
	return out
}

// fragments are the short hostile values; Random mixes them.
func fragments(m string) []Value {
	var vs []Value
	add := func(label, s string) { vs = append(vs, Value{label, []byte(s)}) }

	add("empty", "")
	add("space", " ")
	add("spaces-around", "  a  b  ")
	add("plain", "s3cr3t-Token_0123456789")

	// Quotes of every kind, alone, doubled and unbalanced.
	add("single-quote", `'`)
	add("two-single-quotes", `''`)
	add("three-single-quotes", `'''`)
	add("double-quote", `"`)
	add("two-double-quotes", `""`)
	add("posix-escaped-quote", `'\''`)
	add("fish-escaped-quote", `\'`)
	add("quote-mix", `'"'"'"`)
	add("backquote", "`")
	add("left-single-quotation-u2018", "\u2018")
	add("right-single-quotation-u2019", "\u2019")
	add("low-single-quotation-u201a", "\u201a")
	add("reversed-single-quotation-u201b", "\u201b")
	add("left-double-quotation-u201c", "\u201c")
	add("right-double-quotation-u201d", "\u201d")
	add("low-double-quotation-u201e", "\u201e")
	add("curly-mix", "\u2018a\u2019\u201ab\u201b\u201cc\u201d\u201e")

	// Command injection: each would create m if the quoting broke.
	add("posix-cmdsubst", "$(touch "+m+")")
	add("posix-backticks", "`touch "+m+"`")
	add("posix-semicolon", "; touch "+m)
	add("posix-break-single", "'; touch "+m+"; '")
	add("posix-break-single-comment", "'; touch "+m+" #")
	add("posix-break-double", `"; touch `+m+`; "`)
	add("posix-break-escaped", `\'; touch `+m+`; \'`)
	add("posix-and", "&& touch "+m)
	add("posix-pipe", "| touch "+m)
	add("posix-newline", "x\ntouch "+m+"\n")
	add("posix-quote-newline", "'\ntouch "+m+"\n'")
	add("posix-cr", "x\rtouch "+m)
	add("posix-backslash-newline", "\\\ntouch "+m)
	add("posix-arith", "$((1))$(touch "+m+")")
	add("posix-dquote-cmdsubst", `"$(touch `+m+`)"`)
	add("posix-squote-cmdsubst", `'$(touch `+m+`)'`)
	add("posix-process-subst", "<(touch "+m+")")
	add("posix-fi", "'; fi; touch "+m+"; if true; then '")
	add("fish-cmdsubst", "(touch "+m+")")
	add("fish-dollar-cmdsubst", "$(touch "+m+")")
	add("fish-break-single", `'; touch `+m+`; echo '`)
	add("fish-escaped-break", `\'; touch `+m+`; echo \'`)
	add("fish-end", "'; end; touch "+m+"; if true; '")
	add("elvish-cmdsubst", "(touch "+m+")")
	add("elvish-break-double", `"; touch `+m+`; echo "`)
	add("elvish-escaped-break", `\"; touch `+m+`; echo \"`)
	add("elvish-brace", `" } touch `+m+` { "`)
	add("elvish-lambda", `{ touch `+m+` }`)
	add("pwsh-subexpr", "$(New-Item -ItemType File -Path "+m+")")
	add("pwsh-array-subexpr", "@(New-Item -ItemType File -Path "+m+")")
	add("pwsh-break-single", "'; New-Item -ItemType File -Path "+m+"; '")
	add("pwsh-break-curly", "\u2018; New-Item -ItemType File -Path "+m+"; \u2019")
	add("pwsh-break-low", "\u201a; New-Item -ItemType File -Path "+m+"; \u201b")
	add("pwsh-break-double", `"; New-Item -ItemType File -Path `+m+`; "`)
	add("pwsh-dquote-subexpr", `"$(New-Item -ItemType File -Path `+m+`)"`)
	add("pwsh-call", "& touch "+m)
	add("pwsh-backtick-newline", "`\nNew-Item -ItemType File -Path "+m)
	add("nu-subexpr", "(touch "+m+")")
	add("nu-interp", `$"(touch `+m+`)"`)
	add("json-break", `","X":"`+m+`"}`)
	add("dotenv-break", "\"\nX=1\n$(touch "+m+")")

	// Variable references that must stay literal.
	add("dollar-var", "$HOME")
	add("dollar-brace", "${HOME}")
	add("dollar-brace-default", "${UNSET_KAGE_VAR:-$(touch "+m+")}")
	add("dollar-specials", "$0 $1 $@ $* $# $$ $? $! $-")
	add("dollar-alone", "$")
	add("dollar-trailing", "abc$")
	add("fish-var", "$PWD")
	add("elvish-env", "$E:HOME")
	add("pwsh-env", "$env:PATH")
	add("cmd-percent", "%PATH%")
	add("nu-env", "$env.PATH")

	// Backslashes.
	add("backslash", `\`)
	add("two-backslashes", `\\`)
	add("trailing-backslash", `abc\`)
	add("backslash-n", `\n`)
	add("backslash-x", `\x41\X41\u0041\U00000041\101`)
	add("backslash-quote", `\"`)
	add("backslash-dollar", `\$HOME`)
	add("backslash-backquote", "\\`")
	add("backslash-space", `\ `)
	add("windows-path", `C:\Users\me\new\table`)

	// Line ends and whitespace.
	add("lf", "\n")
	add("cr", "\r")
	add("crlf", "\r\n")
	add("tab", "\t")
	add("leading-newline", "\nabc")
	add("trailing-newlines", "abc\n\n")
	add("pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n")
	add("del", "\x7f")
	add("esc-sequence", "\x1b[31mred\x1b[0m")
	add("osc-title", "\x1b]0;pwned\x07")

	// Glob, history and other shell syntax.
	add("star", "*")
	add("glob-mix", "* ? [a] [!a] ~ ~root */..")
	add("brace-expansion", "{a,b}{1..3}")
	add("bang", "!")
	add("bang-bang", "!!")
	add("history-mix", "!$ !-1 ^a^b !#")
	add("hash", "#not a comment")
	add("operators", "; & | && || > < >> 2>&1 ( ) { } [ ]")
	add("equals", "A=B C=D")
	add("tilde", "~")
	add("caret", "^")
	add("percent", "%")

	// Values that look like options.
	add("dash-e", "-e")
	add("dash-n", "-n")
	add("double-dash", "--")
	add("dash-long", "--help")
	add("dash-word", "-x foo")

	// Unicode.
	add("latin", "é ñ ü ß")
	add("cjk", "日本語の秘密")
	add("emoji", "🔑🗝️👨‍👩‍👧")
	add("rtl-override-u202e", "abc\u202edef")
	add("zero-width-space-u200b", "a\u200bb")
	add("zero-width-joiner-u200d", "a\u200db")
	add("bom-ufeff", "\ufeffabc")
	add("line-separator-u2028", "a\u2028b\u2029c")
	add("nel-u0085", "a\u0085b")
	add("c1-controls", "\u0080\u009b\u009f")
	add("fish-private-use-uf600", "\uf600\uf6ff")
	add("replacement-ufffd", "\ufffd")
	add("noncharacter-uffff", "\uffff\ufffe")
	add("max-rune", "\U0010ffff")
	add("combining", "e\u0301")
	add("fullwidth-dollar", "\uff04(touch "+m+")")

	// Invalid UTF-8.
	add("invalid-ff", "\xff")
	add("invalid-fe", "\xfe")
	add("invalid-continuation", "\x80")
	add("invalid-truncated-2", "\xc3")
	add("invalid-truncated-3", "\xe2\x82")
	add("invalid-truncated-4", "\xf0\x9f\x94")
	add("invalid-overlong-slash", "\xc0\xaf")
	add("invalid-overlong-3", "\xe0\x80\xaf")
	add("invalid-overlong-nul", "\xc0\x80")
	add("invalid-surrogate", "\xed\xa0\x80")
	add("invalid-above-max", "\xf4\x90\x80\x80")
	add("invalid-inside", "a\xffb")
	add("invalid-after-quote", "'\xff'")
	add("invalid-before-newline", "\xe2\n\x82")
	add("invalid-latin1", "caf\xe9")
	return vs
}

// big returns a value of exactly n bytes that repeats quotes, backslashes,
// newlines, an injection payload and, if invalid, a byte that is not UTF-8;
// without it the value is valid UTF-8, so the shells that refuse invalid
// UTF-8 get a long value too.
func big(n int, m string, invalid bool) string {
	unit := "'\"\\\n$(touch " + m + ")`x`\u2018 ab\t"
	if invalid {
		unit += "\xff"
	}
	s := strings.Repeat(unit, n/len(unit)+1)
	s = s[:n]
	// Cut back to a whole rune and pad with ASCII to keep the length.
	for !utf8.ValidString(s) && !invalid {
		s = s[:len(s)-1]
	}
	return s + strings.Repeat("a", n-len(s))
}
