package shellenv

// posix writes code for bash, zsh and POSIX sh (dash, ksh, mksh). The three
// share one quoting rule and differ only in name, eval hint and, for zsh,
// the guard around each statement of a hook plan.
//
// Quoting: a value is one word made of single-quoted runs, inside which no
// byte is special to any POSIX shell, and of the two bytes that cannot go
// there written in double quotes: ' as "'" and \ as "\\". Keeping the
// backslash out of the single quotes is what makes the word read the same
// in fish, whose single quotes know \' and \\ as escapes: were a value's
// `\'` written inside single quotes, fish would read the quote as escaped
// and then run what follows as code (a user whose `kage env` output was
// written for bash and read by fish). POSIX sh, bash, zsh, fish and elvish
// all read "'" and "\\" as ' and \, and no single-quoted run holds a quote
// or a backslash, so they agree on where every quote starts and ends. The
// typographic single quotes U+2018–U+201B also go in double quotes, since
// PowerShell ends a single-quoted string at them. Measured: that holds byte
// for byte in bash, zsh and dash, for newlines, controls, invalid UTF-8 and
// every byte 1–255, and also under zsh's RC_QUOTES, because a closing
// single quote is always followed by a double quote or the end of the
// word, never by another single quote. $'…' is not used: dash does not
// know it.
//
// Save records, in unexported shell variables, what NAME was before kage
// replaced it: its value in __kage_saved_NAME, or __kage_unset_NAME=1 if
// it was unset. Recording the unset case matters: were it not recorded, a
// second Save (a hook that lost track of what it loaded) would find kage's
// own secret in NAME and keep it as "the value before", and Restore would
// then leave the secret loaded. "${NAME+x}" expands to x when NAME is set
// (even to the empty string) without expanding the value, so it is safe for
// any value and does not trip `set -u`; zsh reads it the same way. Every
// expansion of a value is double-quoted, so zsh's GLOB_SUBST and
// GLOB_ASSIGN cannot glob or tilde-expand it. One caveat: under `set -a`
// (allexport) a plain assignment is exported, so the saved copy of the
// user's own earlier value is then visible to child processes too.
//
// A failed assignment aborts the rest of an eval in zsh (a secret named
// path, ARGC or status: "inconsistent type for assignment", "read-only
// variable"), which would leave what came before loaded and KAGE_LOADED
// not saying so. So in a hook plan (one with State, Save, Restore or Unset)
// each zsh statement runs as `{ …; } always { TRY_BLOCK_ERROR=0; } || :`:
// the always block clears the error so the eval goes on, and `|| :` keeps
// the failed status from ending the hook under ERR_RETURN or the shell
// under ERR_EXIT. bash reports such an assignment and goes on by itself. Plain `kage env` output stays unguarded, so that it is
// still POSIX sh that bash and dash can read.
//
// unset is written `unset -v`: plain `unset NAME` in bash removes a function
// called NAME when no such variable exists.
type posix struct {
	name string
	eval string
}

var (
	_ = register(posix{name: "bash", eval: `eval "$(kage env)"`})
	_ = register(posix{name: "zsh", eval: `eval "$(kage env)"`})
	_ = register(posix{name: "sh", eval: `eval "$(kage env --shell sh)"`})
)

// Name returns bash, zsh or sh.
func (s posix) Name() string { return s.name }

// EvalLine is the line that loads `kage env` output in this shell; the
// double quotes around $(…) matter: without them the shell would split and
// glob the code before eval sees it.
func (s posix) EvalLine() string { return s.eval }

// Render writes p as POSIX shell code, one command per line (a value with
// newlines spans several lines inside its quotes).
func (s posix) Render(p Plan) ([]byte, error) {
	if err := checkPlan(s.name, p); err != nil {
		return nil, err
	}
	// One buffer for the whole script, sized for the exports: a thousand
	// values grew it a dozen times, each a copy into fresh memory.
	size := 0
	for _, vars := range [][]Var{p.State, p.Set} {
		for _, v := range vars {
			size += len("export =''\n") + len(v.Name) + len(v.Value)
		}
	}
	b := make([]byte, 0, size+256*(len(p.Restore)+len(p.Save))+16*len(p.Unset))
	guard := s.name == "zsh" && isHookPlan(p)
	// open starts a statement and end ends it: zsh's hook wraps each in
	// an always block, so that one that fails does not stop the rest.
	end := func() {
		if guard {
			b = append(b, "; } always { TRY_BLOCK_ERROR=0; } || :\n"...)
			return
		}
		b = append(b, '\n')
	}
	open := func() {
		if guard {
			b = append(b, "{ "...)
		}
	}
	for _, n := range p.Restore {
		sv, uv := savedVar(n), unsetVar(n)
		open()
		b = append(b, `if [ -n "${`+sv+`+x}" ]; then export `+n+`="$`+sv+`"; unset -v `+sv+
			`; else unset -v `+n+`; fi; unset -v `+uv...)
		end()
	}
	for _, n := range p.Save {
		sv, uv := savedVar(n), unsetVar(n)
		open()
		b = append(b, `if [ -z "${`+sv+`+x}" ] && [ -z "${`+uv+`+x}" ]; then if [ -n "${`+n+`+x}" ]; then `+
			sv+`="$`+n+`"; else `+uv+"=1; fi; fi"...)
		end()
	}
	// The state goes before the first variable is set: should anything
	// stop the eval half-way, KAGE_LOADED already names every variable
	// this plan sets, and the next plan unloads them.
	for _, vars := range [][]Var{p.State, p.Set} {
		for _, v := range vars {
			open()
			b = appendPosixExport(b, v)
			end()
		}
	}
	for _, n := range p.Unset {
		open()
		b = append(b, "unset -v "+n...)
		end()
	}
	return b, nil
}

// appendPosixExport appends the export statement of v to b.
func appendPosixExport(b []byte, v Var) []byte {
	b = append(b, "export "...)
	b = append(b, v.Name...)
	b = append(b, '=')
	return appendPosixWord(b, v.Value)
}

// posixWord returns v as one shell word; see the type comment for the rule.
func posixWord(v []byte) []byte { return appendPosixWord(make([]byte, 0, len(v)+2), v) }

// appendPosixWord appends v to out as one shell word.
func appendPosixWord(out, v []byte) []byte {
	if len(v) == 0 {
		return append(out, "''"...)
	}
	// 0: outside any quote, 1: inside '…', 2: inside "…".
	state := 0
	for i := 0; i < len(v); {
		c, size := v[i], 1
		dq := ""
		switch {
		case c == '\'':
			dq = "'"
		case c == '\\':
			dq = `\\`
		case c == 0xe2 && isSingleCurly(v[i:]):
			dq, size = string(v[i:i+3]), 3
		}
		if dq != "" {
			if state == 1 {
				out = append(out, '\'')
			}
			if state != 2 {
				out = append(out, '"')
			}
			state = 2
			out = append(out, dq...)
		} else {
			if state == 2 {
				out = append(out, '"')
			}
			if state != 1 {
				out = append(out, '\'')
			}
			state = 1
			out = append(out, c)
		}
		i += size
	}
	if state == 1 {
		return append(out, '\'')
	}
	return append(out, '"')
}

// isSingleCurly reports whether b starts with U+2018–U+201B, the quotes
// PowerShell counts as single quotes.
func isSingleCurly(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xe2 && b[1] == 0x80 && b[2] >= 0x98 && b[2] <= 0x9b
}

// isDoubleCurly reports whether b starts with U+201C–U+201E, the quotes
// PowerShell counts as double quotes.
func isDoubleCurly(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xe2 && b[1] == 0x80 && b[2] >= 0x9c && b[2] <= 0x9e
}
