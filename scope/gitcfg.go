package scope

import (
	"bytes"
	"fmt"
	"strings"
)

// This file reads git's config syntax. kage used go-git's decoder before,
// but it pulls in github.com/go-git/gcfg and, through it, encoding/gob,
// whose package init alone cost a quarter of kage's start-up, paid at every
// shell prompt. It also disagreed with git: it rejected keys on a header's
// line and the old [section.subsection] headers, and read a valueless
// boolean as false.
//
// The parser follows the syntax git-config(1) documents and the behaviour
// of git itself, checked in gitcfg_test.go against `git config --file` on
// about 120 files, so that kage sees the entries git sees, rejects the
// files git rejects and reports the same line number. Keep it that way: a
// config that kage and git read differently is a core.bare or a
// safe.directory that kage and the user disagree on.
//
// kage reads three things with it: core.bare of a linked worktree's
// repository, safe.directory from the user's system and global configs,
// and a kage.namespace left by earlier versions, which is only reported.
// include.path and includeIf.*.path are read as plain entries and never
// followed: an include may point into a work tree, whose content is
// whatever the last checkout put there.

// gitConfig is the content of one git config file.
type gitConfig struct {
	entries []gitEntry // in file order
}

// gitEntry is one variable as git hands it to its callbacks.
type gitEntry struct {
	// name is the full name as git spells it: section and key lower-cased,
	// a subsection kept as written ("remote.origin.url"), except that the
	// old [section.subsection] syntax lower-cases the whole header.
	name string
	// value is the parsed value; hasValue is false for a key written
	// without "=", which git reads as boolean true.
	value    string
	hasValue bool
}

// gitSyntaxError is a config file git would refuse to read. line is counted
// the way git counts it, so it agrees with git's "bad config line N".
type gitSyntaxError struct {
	line int
	msg  string
}

func (e *gitSyntaxError) Error() string {
	return fmt.Sprintf("line %d: %s", e.line, e.msg)
}

// get returns the last value of the variable name (git's canonical
// spelling, such as "kage.namespace"): like git, the last one wins.
func (c *gitConfig) get(name string) (e gitEntry, ok bool) {
	if c == nil {
		return gitEntry{}, false
	}
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].name == name {
			return c.entries[i], true
		}
	}
	return gitEntry{}, false
}

// bool reads the variable name as git's --type=bool does. A missing
// variable, and a value git would die on ("maybe"), are false: kage only
// uses core.bare to decide where a worktree's root is, and a config git
// itself cannot use is not worth refusing to run over.
func (c *gitConfig) bool(name string) bool {
	e, ok := c.get(name)
	if !ok {
		return false
	}
	if !e.hasValue {
		return true
	}
	b, _ := parseGitBool(e.value)
	return b
}

// parseGitBool is git_parse_maybe_bool: "true", "yes", "on" and any
// non-zero integer git_parse_int accepts (so "2", "0x10" and "1k" too) are
// true; "", "false", "no", "off" and zero are false. ok is false for
// anything else, which git rejects.
func parseGitBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true, true
	case "", "false", "no", "off":
		return false, true
	}
	n, ok := parseGitInt(v)
	return n != 0, ok
}

// parseGitInt is git_parse_int: a C strtoimax in base 0 (decimal, 0x hex
// or 0 octal, after optional C white space and sign), then an optional
// k, m or g unit, and the result must fit in a 32-bit int.
func parseGitInt(v string) (int64, bool) {
	const maxInt = 1<<31 - 1
	i := 0
	for i < len(v) && strings.IndexByte(" \t\n\v\f\r", v[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		neg = v[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+2 < len(v) && v[i] == '0' && (v[i+1] == 'x' || v[i+1] == 'X') && digitValue(v[i+2]) < 16:
		base, i = 16, i+2
	case i < len(v) && v[i] == '0':
		// Octal; a bare "0x" is this too: strtoimax reads the 0 and
		// leaves "x", which is then no unit.
		base = 8
	}
	start := i
	var n uint64
	overflow := false
	for ; i < len(v) && digitValue(v[i]) < base; i++ {
		if n > (1<<63)/base {
			overflow = true
		}
		n = n*base + digitValue(v[i])
	}
	if i == start {
		return 0, false
	}
	// strtoimax clamps and sets ERANGE beyond the int64 range; git gives up.
	if overflow || n > 1<<63 || (n == 1<<63 && !neg) {
		return 0, false
	}
	var factor uint64
	switch strings.ToLower(v[i:]) {
	case "":
		factor = 1
	case "k":
		factor = 1 << 10
	case "m":
		factor = 1 << 20
	case "g":
		factor = 1 << 30
	default:
		return 0, false
	}
	// git allows -maxInt to maxInt, not math.MinInt32.
	if n > maxInt/factor {
		return 0, false
	}
	r := int64(n * factor)
	if neg {
		r = -r
	}
	return r, true
}

// digitValue is c's value as a digit in bases up to 16, or 16 if none.
func digitValue(c byte) uint64 {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0')
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 16
}

// parseGitConfig reads the content of a git config file.
func parseGitConfig(data []byte) (*gitConfig, error) {
	p := &cfgParser{data: data, line: 1}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return &p.cfg, nil
}

// cfgParser mirrors git's struct config_source: the input, the position,
// git's line counter and its end-of-file flag.
type cfgParser struct {
	data []byte
	pos  int
	line int
	eof  bool
	cfg  gitConfig
}

// next is get_next_char: it turns CRLF into LF and, at the end, returns
// '\n' (every time) with eof set. Each '\n' and each read past the end
// counts a line, which is why git reports line N+1 for an error at the end
// of an N-line file that lacks a final newline.
func (p *cfgParser) next() byte {
	if p.pos >= len(p.data) {
		p.eof = true
		p.line++
		return '\n'
	}
	c := p.data[p.pos]
	p.pos++
	if c == '\r' && p.pos < len(p.data) && p.data[p.pos] == '\n' {
		c = '\n'
		p.pos++
	}
	if c == '\n' {
		p.line++
	}
	return c
}

func (p *cfgParser) fail(format string, args ...any) error {
	return &gitSyntaxError{line: p.line, msg: fmt.Sprintf(format, args...)}
}

// utf8BOM is skipped at the start of the file, as git does for files saved
// by Windows editors; a partial one is an error.
const utf8BOM = "\xef\xbb\xbf"

// parse reads a whole file the way git does.
func (p *cfgParser) parse() error {
	var name []byte // the section prefix ("core.") and then the full name
	baseLen := 0    // the prefix's length
	comment := false
	bom := 0 // how much of the BOM has been seen; -1 once past it
	for {
		c := p.next()
		if bom >= 0 {
			if bom < len(utf8BOM) && c == utf8BOM[bom] {
				bom++
				continue
			}
			if bom > 0 && bom < len(utf8BOM) {
				return p.fail("the file starts with an incomplete UTF-8 byte order mark")
			}
			bom = -1
		}
		switch {
		case c == '\n':
			if p.eof {
				return nil
			}
			comment = false
			continue
		case comment, isGitSpace(c):
			continue
		case c == '#' || c == ';':
			comment = true
			continue
		case c == '[':
			var err error
			if name, err = p.sectionHeader(name[:0]); err != nil {
				return err
			}
			name = append(name, '.')
			baseLen = len(name)
			continue
		case !isAlpha(c):
			return p.fail("%s cannot start a line: expected [section], a variable name (starting with a letter) or a comment", quoteByte(c))
		}
		// A variable: the text after a header on the same line, such as
		// "[kage] namespace = x", is one too.
		name = append(name[:baseLen], toLower(c))
		if err := p.variable(name); err != nil {
			return err
		}
	}
}

// sectionHeader is get_base_var: it reads a header after its '[' into
// name, lower-cased. The old "[section.subsection]" form is read the same
// way, so its subsection is lower-cased too.
func (p *cfgParser) sectionHeader(name []byte) ([]byte, error) {
	for {
		c := p.next()
		switch {
		case p.eof:
			return nil, p.fail("the section header is not closed with ]")
		case c == ']':
			if len(name) == 0 {
				return nil, p.fail("the section name is empty")
			}
			return name, nil
		case isGitSpace(c):
			return p.subsection(name, c)
		case !isKeyChar(c) && c != '.':
			return nil, p.fail("%s is not allowed in a section name: use letters, digits, '-' and '.'", quoteByte(c))
		}
		name = append(name, toLower(c))
	}
}

// subsection is get_extended_base_var: after the section name and white
// space c comes a quoted, case-sensitive subsection where a backslash
// escapes any character (so \" and \\, while \t is just t), then ']'.
// A subsection does not end at a newline, which git reports on the
// header's own line.
func (p *cfgParser) subsection(name []byte, c byte) ([]byte, error) {
	for {
		if c == '\n' {
			p.line--
			return nil, p.fail("the section header is not closed with ]")
		}
		if c = p.next(); !isGitSpace(c) {
			break
		}
	}
	if c != '"' {
		return nil, p.fail(`a section name cannot contain white space; a subsection is written [section "subsection"]`)
	}
	name = append(name, '.')
	for {
		c := p.next()
		if c == '\\' {
			c = p.next()
		} else if c == '"' {
			break
		}
		if c == '\n' {
			p.line--
			return nil, p.fail(`the subsection name is not closed with "`)
		}
		name = append(name, c)
	}
	if p.next() != ']' {
		return nil, p.fail(`the section header must end with ] right after the subsection's closing "`)
	}
	return name, nil
}

// variable is get_value: it reads the rest of a variable's name, which
// starts in name, and its value if there is an '='.
func (p *cfgParser) variable(name []byte) error {
	var c byte
	for {
		c = p.next()
		if p.eof || !isKeyChar(c) {
			break
		}
		name = append(name, toLower(c))
	}
	for c == ' ' || c == '\t' {
		c = p.next()
	}
	e := gitEntry{name: cString(name)}
	if c != '\n' {
		// Even a comment: git rejects "flag # note" on a valueless key.
		if c != '=' {
			return p.fail("%s after the variable name %q: expected = or the end of the line (a variable name has only letters, digits and '-')", quoteByte(c), name[bytes.LastIndexByte(name, '.')+1:])
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		e.value, e.hasValue = cString(v), true
	}
	p.cfg.entries = append(p.cfg.entries, e)
	return nil
}

// value is parse_value: it reads a value up to the end of its line.
// Unquoted white space at either end is dropped and kept verbatim inside
// (git before 2.45 turned each inner tab into a space); a '#' or ';'
// outside double quotes starts a comment; the escapes are \n, \t, \b, \\,
// \" and a backslash-newline, which joins the next line.
func (p *cfgParser) value() ([]byte, error) {
	var v []byte
	quote, comment := false, false
	trimLen := 0 // where unquoted trailing white space starts, if not 0
	for {
		c := p.next()
		if c == '\n' {
			if quote {
				p.line--
				return nil, p.fail(`a double quote in the value is not closed on its line (end the line with \ to continue it)`)
			}
			if trimLen > 0 {
				v = v[:trimLen]
			}
			return v, nil
		}
		if comment {
			continue
		}
		if isGitSpace(c) && !quote {
			if trimLen == 0 {
				trimLen = len(v)
			}
			if len(v) > 0 {
				v = append(v, c)
			}
			continue
		}
		if !quote && (c == ';' || c == '#') {
			comment = true
			continue
		}
		trimLen = 0
		switch c {
		case '\\':
			switch c = p.next(); c {
			case '\n':
				continue
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'n':
				c = '\n'
			case '\\', '"':
			default:
				return nil, p.fail(`unknown escape: a backslash followed by %s; in a value only \n, \t, \b, \\, \" and a backslash at the end of a line are allowed`, quoteByte(c))
			}
		case '"':
			quote = !quote
			continue
		}
		v = append(v, c)
	}
}

// cString cuts b at its first NUL byte: git hands names and values to its
// callbacks as C strings, so for git a subsection "namespace\0x" of [kage]
// makes its keys kage.namespace, and "a\0b" is the value "a".
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// isGitSpace is git's isspace, which unlike C's does not include \v and \f.
func isGitSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// isKeyChar is git's iskeychar: ASCII letters, digits and '-'.
func isKeyChar(c byte) bool { return isAlpha(c) || '0' <= c && c <= '9' || c == '-' }

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// quoteByte names c in an error message.
func quoteByte(c byte) string {
	return fmt.Sprintf("%q", string([]byte{c}))
}
