package shellenv

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// ParseDotenv reads a .env file for `kage secret import`: every line must be
// valid, or the result is nil and the error is a *DotenvError listing each
// bad line. It reads everything the dotenv writer produces back byte for
// byte, and the hand-written files docker compose and the dotenv libraries
// read, where they agree on a meaning; where readers disagree it refuses the
// line rather than guess:
//
//   - One variable a line: NAME=value, optionally after `export ` and
//     leading blanks. NAME matches [A-Za-z_][A-Za-z0-9_]*. No blank around
//     "=": `KEY = value` means something else to sh, so it is an error.
//   - Blank lines and lines starting with # are skipped. After a value,
//     blanks then # start a comment; a # inside a word is part of it.
//   - Unquoted values end at the end of the line or the comment, trailing
//     blanks removed; inner blanks are kept. They may not hold quotes, \, $
//     or ` (readers expand or unescape those differently): quote the value.
//   - 'single quotes' keep every byte as is, with no escapes, and may span
//     lines; a value cannot hold ' this way.
//   - "double quotes" know exactly the writer's escapes, \\ \" \$ \` \n \r
//     \t and \xHH (two hex digits, not 00), and may span lines (a PEM key
//     pasted as is). Any other escape, and a $ or ` not escaped, is an error:
//     kage expands no variables and runs no commands, and says so rather
//     than store a different secret than a compose user meant.
//   - After a closing quote only blanks and a comment may follow.
//   - Empty values are errors (kage stores no empty secret), as are NUL
//     bytes, control characters other than tab and newline (write \xHH in
//     double quotes), and a name set twice.
//   - CRLF line ends are read as LF, also inside quoted values; a UTF-8 byte
//     order mark at the start is skipped. Other bytes, invalid UTF-8
//     included, stand for themselves.
//
// Error messages name the line and what is wrong, never the text of a
// line, not even the text before "=": a secret an editor wrapped puts its
// next piece on a line of its own, where it may look like a name
// ("dGhpc2lz=" would otherwise be reported as "dGhpc2lz has an empty
// value").
func ParseDotenv(data []byte) ([]Var, error) {
	entries, err := ParseDotenvEntries(data)
	if err != nil {
		return nil, err
	}
	out := make([]Var, len(entries))
	for i, e := range entries {
		out[i] = e.Var
	}
	return out, nil
}

// DotenvEntry is one variable of a .env file and the line its name is on.
type DotenvEntry struct {
	Var
	Line int
}

// ParseDotenvEntries is ParseDotenv with line numbers. On error it also
// returns the entries of the valid lines, in file order, so that a caller
// can check them too and report every problem of a file at once; they are
// not a usable result on their own (a line that failed is missing, and
// after an unterminated quote the rest of the file is not read).
func ParseDotenvEntries(data []byte) ([]DotenvEntry, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// A CRLF is one line end, so line numbers stay those an editor shows.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	p := &dotenvParser{data: data, line: 1, errLines: map[int]bool{}}
	p.parse()
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return p.entries, &DotenvError{Lines: p.errs}
	}
	return p.entries, nil
}

// DotenvError lists every invalid line of a .env file, sorted by line.
type DotenvError struct {
	Lines []DotenvLineError
}

// Error lists the lines on one line, separated by semicolons.
func (e *DotenvError) Error() string {
	msgs := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		msgs[i] = l.Error()
	}
	return strings.Join(msgs, "; ")
}

// DotenvLineError is one invalid line: its number, from 1, and what is
// wrong, without the line's text.
type DotenvLineError struct {
	Line int
	Msg  string
}

// Error returns "line N: msg".
func (e DotenvLineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Messages of the parser, shared with the tests.
const (
	msgNoEquals       = `not a NAME=value line`
	msgNoName         = `no name before "="`
	msgSpaceAround    = `blank around "=": write NAME=value, with no blanks around "="`
	msgSpaceAfter     = `blank after "=": write NAME=value; quote a value that starts with a blank`
	msgBadNameHidden  = `the text before "=" is not a variable name: use letters, digits and _, not starting with a digit`
	msgEmpty          = `the value is empty: kage stores no empty secret; remove the line or give it a value`
	msgNUL            = `a NUL byte, which no environment variable can hold`
	msgControl        = `a control character: write it as \xHH inside double quotes`
	msgUnquotedQuote  = `a quote inside an unquoted value: quote the whole value`
	msgUnquotedBack   = `a \ in an unquoted value: readers disagree on what it means; put the value in single quotes`
	msgUnquotedDollar = `a $ in an unquoted value: kage expands no variables; put the value in single quotes`
	msgUnquotedTick   = "a ` in an unquoted value: put the value in single quotes"
	msgDQDollar       = `a $ in double quotes: kage expands no variables; write \$, or use single quotes`
	msgDQTick         = "a ` in double quotes: kage runs no commands; write \\`, or use single quotes"
	msgUnknownEscape  = `unknown escape: in double quotes kage reads only \\ \" \$ ` + "\\`" + ` \n \r \t and \xHH; write a backslash as \\`
	msgHexEscape      = `\x needs two hex digits, 01 to ff`
	msgUnterminatedDQ = `unterminated double quote`
	msgUnterminatedSQ = `unterminated single quote`
	msgAfterQuote     = `text after the closing quote: quote the whole value; a comment needs a blank before #`
)

type dotenvParser struct {
	data []byte
	pos  int
	line int

	entries []DotenvEntry
	first   map[string]int // line each name was first set on
	errs    []DotenvLineError
	// errLines keeps one error a line, the first found: later ones on the
	// same line are mostly its consequences.
	errLines map[int]bool
}

func (p *dotenvParser) fail(line int, msg string) {
	if p.errLines[line] {
		return
	}
	p.errLines[line] = true
	p.errs = append(p.errs, DotenvLineError{Line: line, Msg: msg})
}

// peek returns the current byte, or 0 at the end (NUL is never valid, and
// is checked for as a byte where it matters).
func (p *dotenvParser) peek() (byte, bool) {
	if p.pos >= len(p.data) {
		return 0, false
	}
	return p.data[p.pos], true
}

func (p *dotenvParser) skipBlanks() {
	for p.pos < len(p.data) && (p.data[p.pos] == ' ' || p.data[p.pos] == '\t') {
		p.pos++
	}
}

// skipLine moves past the end of the current line, checking what it skips
// for NUL (a comment with NUL is a binary file, not a .env file).
func (p *dotenvParser) skipLine() {
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		if c == '\n' {
			p.line++
			return
		}
		if c == 0 {
			p.fail(p.line, msgNUL)
		}
	}
}

func (p *dotenvParser) parse() {
	p.first = map[string]int{}
	for p.pos < len(p.data) {
		if !p.parseLine() {
			return
		}
	}
}

// parseLine reads one line, or one entry whose quoted value spans lines;
// false means the rest of the file cannot be read (an unterminated quote).
func (p *dotenvParser) parseLine() bool {
	p.skipBlanks()
	c, ok := p.peek()
	if !ok {
		return true
	}
	if c == '\n' || c == '#' {
		p.skipLine()
		return true
	}
	if p.hasExportPrefix() {
		p.pos += len("export")
		p.skipBlanks()
	}
	line := p.line
	start := p.pos
	for p.pos < len(p.data) && !isNameEnd(p.data[p.pos]) {
		p.pos++
	}
	name := string(p.data[start:p.pos])
	c, ok = p.peek()
	switch {
	case c == ' ' || c == '\t':
		p.skipBlanks()
		if c, _ := p.peek(); c == '=' && name != "" {
			p.fail(line, msgSpaceAround)
		} else {
			p.fail(line, msgNoEquals)
		}
		p.skipLine()
		return true
	case !ok || c != '=':
		p.fail(line, msgNoEquals)
		p.skipLine()
		return true
	case name == "":
		p.fail(line, msgNoName)
		p.skipLine()
		return true
	case !ValidName(name):
		p.fail(line, badNameMsg(name))
		p.skipLine()
		return true
	}
	p.pos++ // '='
	errsBefore := len(p.errs)
	value, more := p.parseValue(line)
	if !more {
		return false
	}
	if len(p.errs) > errsBefore {
		return true
	}
	if prev, dup := p.first[name]; dup {
		p.fail(line, fmt.Sprintf("the name on this line is set again (first on line %d): keep one", prev))
		return true
	}
	p.first[name] = line
	p.entries = append(p.entries, DotenvEntry{Var: Var{Name: name, Value: value}, Line: line})
	return true
}

// hasExportPrefix reports whether the line goes on with `export` and a
// blank; `export=1` sets a variable called export.
func (p *dotenvParser) hasExportPrefix() bool {
	rest := p.data[p.pos:]
	return bytes.HasPrefix(rest, []byte("export")) && len(rest) > len("export") &&
		(rest[len("export")] == ' ' || rest[len("export")] == '\t')
}

func isNameEnd(c byte) bool { return c == '=' || c == ' ' || c == '\t' || c == '\n' }

// badNameMsg says what is wrong with the text before "=" without showing
// any of it, not even the one character that is wrong (its position says
// where): a value an editor wrapped onto its own line puts a piece of a
// secret there (a token's tail with its "=" padding), and the line number
// is enough to find it.
func badNameMsg(name string) string {
	switch {
	case name == "":
		return msgBadNameHidden
	case '0' <= name[0] && name[0] <= '9':
		return `the text before "=" starts with a digit, so it is not a variable name: use letters, digits and _, not starting with a digit`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
			continue
		}
		return fmt.Sprintf(`the text before "=" is not a variable name (its character %d is not a letter, digit or _): use letters, digits and _, not starting with a digit`, i+1)
	}
	return msgBadNameHidden
}

// parseValue reads the value after "=" up to and including the line end.
// Errors are recorded; the value is only meaningful if none were. more is
// false after an unterminated quote.
func (p *dotenvParser) parseValue(line int) (value []byte, more bool) {
	c, ok := p.peek()
	switch {
	case !ok || c == '\n':
		p.fail(line, msgEmpty)
		p.skipLine()
		return nil, true
	case c == ' ' || c == '\t':
		p.skipBlanks()
		if c, ok := p.peek(); !ok || c == '\n' || c == '#' {
			p.fail(line, msgEmpty)
		} else {
			p.fail(line, msgSpaceAfter)
		}
		p.skipLine()
		return nil, true
	case c == '"' || c == '\'':
		errsBefore := len(p.errs)
		p.pos++
		var closed bool
		if c == '"' {
			value, closed = p.doubleQuoted()
		} else {
			value, closed = p.singleQuoted()
		}
		if !closed {
			// The rest of the file is inside the quote: what was found in
			// it is noise beside the one real mistake.
			for _, e := range p.errs[errsBefore:] {
				delete(p.errLines, e.Line)
			}
			p.errs = p.errs[:errsBefore]
			delete(p.errLines, line)
			if c == '"' {
				p.fail(line, msgUnterminatedDQ)
			} else {
				p.fail(line, msgUnterminatedSQ)
			}
			return nil, false
		}
		p.afterQuote()
		if len(p.errs) == errsBefore && len(value) == 0 {
			p.fail(line, msgEmpty)
		}
		return value, true
	}
	// Not empty: it starts with a byte that is not a blank or a line end,
	// and # starts a comment only after a blank.
	return p.unquoted(), true
}

// unquoted reads a bare value to the end of the line or a comment.
func (p *dotenvParser) unquoted() []byte {
	var v []byte
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '\n' {
			break
		}
		if c == '#' && len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
			p.skipLine()
			return bytes.TrimRight(v, " \t")
		}
		p.pos++
		switch c {
		case '"', '\'':
			p.fail(p.line, msgUnquotedQuote)
		case '\\':
			p.fail(p.line, msgUnquotedBack)
		case '$':
			p.fail(p.line, msgUnquotedDollar)
		case '`':
			p.fail(p.line, msgUnquotedTick)
		default:
			if !p.checkByte(c) {
				continue
			}
		}
		v = append(v, c)
	}
	p.skipLine()
	return bytes.TrimRight(v, " \t")
}

// checkByte refuses NUL and control characters but tab (and newline, which
// callers handle); it reports whether c is fine.
func (p *dotenvParser) checkByte(c byte) bool {
	switch {
	case c == 0:
		p.fail(p.line, msgNUL)
		return false
	case c < 0x20 && c != '\t' && c != '\n' || c == 0x7f:
		p.fail(p.line, msgControl)
		return false
	}
	return true
}

// singleQuoted reads up to the closing ': every byte is itself.
func (p *dotenvParser) singleQuoted() ([]byte, bool) {
	var v []byte
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch {
		case c == '\'':
			return v, true
		case c == '\n':
			p.line++
		case !p.checkByte(c):
			continue
		}
		v = append(v, c)
	}
	return nil, false
}

// doubleQuoted reads up to the closing ", decoding the writer's escapes.
func (p *dotenvParser) doubleQuoted() ([]byte, bool) {
	var v []byte
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch {
		case c == '"':
			return v, true
		case c == '\n':
			p.line++
		case c == '$':
			p.fail(p.line, msgDQDollar)
		case c == '`':
			p.fail(p.line, msgDQTick)
		case c == '\\':
			if p.pos >= len(p.data) {
				return nil, false
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case '\\', '"', '$', '`':
				c = e
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'x':
				b, ok := p.hexByte()
				if !ok {
					continue
				}
				c = b
			default:
				if e == '\n' {
					// The escaped newline still ends a line.
					p.fail(p.line, msgUnknownEscape)
					p.line++
					continue
				}
				p.fail(p.line, msgUnknownEscape)
				continue
			}
		case !p.checkByte(c):
			continue
		}
		v = append(v, c)
	}
	return nil, false
}

// hexByte reads the two hex digits after \x.
func (p *dotenvParser) hexByte() (byte, bool) {
	if p.pos+2 > len(p.data) {
		p.fail(p.line, msgHexEscape)
		return 0, false
	}
	h, ok1 := hexDigit(p.data[p.pos])
	l, ok2 := hexDigit(p.data[p.pos+1])
	if !ok1 || !ok2 {
		p.fail(p.line, msgHexEscape)
		return 0, false
	}
	p.pos += 2
	if b := h<<4 | l; b != 0 {
		return b, true
	}
	p.fail(p.line, msgNUL)
	return 0, false
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// afterQuote allows blanks and a comment after a closing quote, then the
// line end.
func (p *dotenvParser) afterQuote() {
	start := p.pos
	p.skipBlanks()
	c, ok := p.peek()
	switch {
	case !ok || c == '\n':
	case c == '#' && p.pos > start:
	default:
		p.fail(p.line, msgAfterQuote)
	}
	p.skipLine()
}
