package shellenv

import "bytes"

// posix writes code for bash, zsh and POSIX sh (dash, ksh, mksh). The three
// share one quoting rule and differ only in name and eval hint.
//
// Quoting: every value is one single-quoted word; inside single quotes no
// byte is special except the quote itself, which is written as
//
//	'\''
//
// (close, escaped quote, reopen). Measured: that holds byte for byte in
// bash, zsh and dash, for newlines, controls, invalid UTF-8 and every byte
// 1–255, and also under zsh's RC_QUOTES, because a closing quote is always
// followed by a backslash or the end of the word, never by another quote.
// $'…' is not used: dash does not know it.
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
	var b bytes.Buffer
	for _, n := range p.Restore {
		sv, uv := savedVar(n), unsetVar(n)
		b.WriteString(`if [ -n "${` + sv + `+x}" ]; then export ` + n + `="$` + sv + `"; unset -v ` + sv +
			`; else unset -v ` + n + `; fi; unset -v ` + uv + "\n")
	}
	for _, n := range p.Save {
		sv, uv := savedVar(n), unsetVar(n)
		b.WriteString(`if [ -z "${` + sv + `+x}" ] && [ -z "${` + uv + `+x}" ]; then if [ -n "${` + n + `+x}" ]; then ` +
			sv + `="$` + n + `"; else ` + uv + "=1; fi; fi\n")
	}
	for _, v := range p.Set {
		writePosixExport(&b, v)
	}
	for _, n := range p.Unset {
		b.WriteString("unset -v " + n + "\n")
	}
	for _, v := range p.State {
		writePosixExport(&b, v)
	}
	return b.Bytes(), nil
}

func writePosixExport(b *bytes.Buffer, v Var) {
	b.WriteString("export " + v.Name + "=")
	b.Write(posixWord(v.Value))
	b.WriteByte('\n')
}

// posixWord returns v as one single-quoted shell word.
func posixWord(v []byte) []byte {
	out := make([]byte, 0, len(v)+2)
	out = append(out, '\'')
	for _, c := range v {
		if c == '\'' {
			out = append(out, `'\''`...)
			continue
		}
		out = append(out, c)
	}
	return append(out, '\'')
}
