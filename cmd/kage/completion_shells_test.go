//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/completions"
	"github.com/kage-cli/kage/shellenv"
	"github.com/urfave/cli/v3"
)

// A completer asks a real shell to complete each line, as if TAB were
// pressed at its end, and returns the candidates of each: the whole word
// each would leave on the line ("--scope=global" when completing after
// "--scope="), as the shell would insert it.
type completer func(t *testing.T, fx *complFixture, dir string, lines []string) [][]string

var complShells = []struct {
	name, prog string
	run        completer
	// optional shells are tested only where installed, even in CI.
	optional bool
}{
	{name: "bash", prog: "bash", run: bashComplete},
	{name: "zsh", prog: "zsh", run: zshCompleter(false)},
	{name: "zsh-source", prog: "zsh", run: zshCompleter(true)},
	{name: "fish", prog: "fish", run: fishComplete},
	{name: "pwsh", prog: "pwsh", run: pwshComplete, optional: true},
}

// forEachShell runs f for each shell that is installed; a missing one
// fails the test where KAGE_REQUIRE_SHELLS=1, but pwsh only skips.
func forEachShell(t *testing.T, f func(t *testing.T, name string, run completer)) {
	for _, sh := range complShells {
		t.Run(sh.name, func(t *testing.T) {
			if _, err := exec.LookPath(sh.prog); err != nil {
				if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" && !sh.optional {
					t.Fatalf("%s is not installed", sh.prog)
				}
				t.Skipf("%s is not installed", sh.prog)
			}
			f(t, sh.name, sh.run)
		})
	}
}

// completionScript is what `kage completion SHELL` prints, in a file.
func completionScript(t *testing.T, fx *complFixture, shell, dir, name string) string {
	t.Helper()
	out, errOut, code := fx.kage(t, fx.home, "completion", shell)
	if code != 0 || errOut != "" {
		t.Fatalf("kage completion %s: exit %d: %s", shell, code, errOut)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runShell runs argv in dir with the fixture's environment and returns its
// output cut at each "<<Q>>" line: one block of lines per query.
func runShell(t *testing.T, fx *complFixture, dir string, n int, argv ...string) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = fx.env, dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), err, out, stderr.String())
	}
	blocks := strings.Split(string(out), "<<Q>>\n")
	if len(blocks) != n+1 || blocks[n] != "" {
		t.Fatalf("%s: want %d answers, got output:\n%s\nstderr:\n%s", argv[0], n, out, stderr.String())
	}
	res := make([][]string, n)
	for i, b := range blocks[:n] {
		for _, l := range strings.Split(b, "\n") {
			if l != "" {
				res[i] = append(res[i], l)
			}
		}
	}
	return res
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// bashWordbreaks is bash's default COMP_WORDBREAKS.
const bashWordbreaks = " \t\n\"'><=;|&(:"

// bashWords splits a line into COMP_WORDS as bash does: at blanks, and
// each run of the other COMP_WORDBREAKS characters is a word of its own.
func bashWords(line string) []string {
	brk := func(r rune) bool {
		return strings.ContainsRune(bashWordbreaks, r) && r != ' ' && r != '\t' && r != '\n'
	}
	var words []string
	cur, curBrk := "", false
	flush := func() {
		if cur != "" {
			words = append(words, cur)
		}
		cur = ""
	}
	for _, r := range line {
		switch {
		case r == ' ':
			flush()
		case brk(r) != curBrk || cur == "":
			flush()
			cur, curBrk = string(r), brk(r)
		default:
			cur += string(r)
		}
	}
	if strings.HasSuffix(line, " ") || line == "" {
		words = append(words, "")
	} else {
		flush()
	}
	return words
}

// bashComplete sources the script and calls the function `complete -p kage`
// names with COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as bash
// sets them for a TAB at the end of the line.
func bashComplete(t *testing.T, fx *complFixture, dir string, lines []string) [][]string {
	tmp := t.TempDir()
	script := completionScript(t, fx, "bash", tmp, "kage.bash")
	var b strings.Builder
	fmt.Fprintf(&b, "source %s\n", shQuote(script))
	b.WriteString(`read -r -a spec <<<"$(complete -p kage)"
for ((i = 0; i < ${#spec[@]}; i++)); do [[ ${spec[i]} == -F ]] && fn=${spec[i+1]}; done
`)
	fmt.Fprintf(&b, "COMP_WORDBREAKS=%s\n", shQuote(bashWordbreaks))
	for _, l := range lines {
		words := bashWords(l)
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = shQuote(w)
		}
		fmt.Fprintf(&b, "COMP_LINE=%s COMP_POINT=%d COMP_CWORD=%d COMP_TYPE=9 COMP_KEY=9\n", shQuote(l), len(l), len(words)-1)
		fmt.Fprintf(&b, "COMP_WORDS=(%s)\n", strings.Join(q, " "))
		b.WriteString(`COMPREPLY=()
"$fn" kage "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
echo '<<Q>>'
`)
	}
	drive := filepath.Join(tmp, "drive.bash")
	if err := os.WriteFile(drive, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runShell(t, fx, dir, len(lines), "bash", "--norc", "--noprofile", drive)
	// Readline replaces only the text after the word's last break
	// character: put back what it keeps, to get the whole word.
	for i, l := range lines {
		last := l[strings.LastIndex(l, " ")+1:]
		keep := last[:strings.LastIndexAny(last, ":=")+1]
		for j := range res[i] {
			res[i][j] = keep + res[i][j]
		}
	}
	return res
}

// zshInit runs in the interactive zsh: it loads compinit, wraps compadd in
// a function that also prints each match that fits the word (compadd -A
// does the matching), and binds TAB to a widget that completes between two
// markers and then empties the line. The matches are really added, so the
// completion system stops where it would (a folder found means no fallback
// to all files); auto_list is off so that zsh never stops to ask whether to
// list them.
const zshInit = `PROMPT='> '
unsetopt auto_list
setopt no_beep
@LOAD@
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a __hits
  builtin compadd -A __hits "$@"
  local __h
  for __h in $__hits; do print -r -- "<<C>>$IPREFIX$__h"; done
  builtin compadd "$@"
}
kage-capture() {
  print -r -- '<<BEGIN>>'
  zle complete-word
  print -r -- '<<END>>'
  BUFFER=
}
zle -N kage-capture
bindkey '^I' kage-capture
print -r -- 'READY'
`

// zshDrive starts zsh in a pseudo-terminal (zsh/zpty), types each line of
// the file $2 followed by TAB, and prints the matches the capture printed.
const zshDrive = `zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "source ${(q)1}"
local line q
while zpty -r z line; do [[ $line == *READY* ]] && break; done
while IFS= read -r q; do
  zpty -wn z "$q"$'\t'
  while zpty -r z line; do
    line=${line//[$'\r\n']/}
    [[ $line == *'<<END>>'* ]] && break
    [[ $line == *'<<C>>'* ]] && print -r -- "${line#*<<C>>}"
  done
  print -r -- '<<Q>>'
done < $2
zpty -d z
`

// zshCompleter presses TAB in an interactive zsh with compinit, the script
// installed as _kage on $fpath — or, with source, sourced after compinit.
func zshCompleter(source bool) completer {
	return func(t *testing.T, fx *complFixture, dir string, lines []string) [][]string {
		tmp := t.TempDir()
		fdir := filepath.Join(tmp, "zfunc")
		if err := os.Mkdir(fdir, 0o700); err != nil {
			t.Fatal(err)
		}
		script := completionScript(t, fx, "zsh", fdir, "_kage")
		load := fmt.Sprintf("fpath=(%s $fpath)\nautoload -Uz compinit && compinit -u -D", shQuote(fdir))
		if source {
			load = fmt.Sprintf("autoload -Uz compinit && compinit -u -D\nsource %s", shQuote(script))
		}
		files := map[string]string{
			"init.zsh":  strings.Replace(zshInit, "@LOAD@", load, 1),
			"drive.zsh": zshDrive,
			"lines.txt": strings.Join(lines, "\n") + "\n",
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(tmp, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return runShell(t, fx, dir, len(lines), "zsh", "-f", filepath.Join(tmp, "drive.zsh"),
			filepath.Join(tmp, "init.zsh"), filepath.Join(tmp, "lines.txt"))
	}
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// fishComplete sources the script and asks fish itself: complete -C LINE.
func fishComplete(t *testing.T, fx *complFixture, dir string, lines []string) [][]string {
	tmp := t.TempDir()
	script := completionScript(t, fx, "fish", tmp, "kage.fish")
	var b strings.Builder
	fmt.Fprintf(&b, "source %s\n", fishQuote(script))
	for _, l := range lines {
		fmt.Fprintf(&b, "complete -C %s\necho '<<Q>>'\n", fishQuote(l))
	}
	drive := filepath.Join(tmp, "drive.fish")
	if err := os.WriteFile(drive, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runShell(t, fx, dir, len(lines), "fish", "--no-config", drive)
	for i := range res {
		for j, c := range res[i] {
			res[i][j], _, _ = strings.Cut(c, "\t") // the description
		}
	}
	return res
}

func pwshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// pwshComplete loads the script as the README says and asks PowerShell's
// TabExpansion2, which is what TAB runs.
func pwshComplete(t *testing.T, fx *complFixture, dir string, lines []string) [][]string {
	tmp := t.TempDir()
	script := completionScript(t, fx, "pwsh", tmp, "kage.ps1")
	var b strings.Builder
	fmt.Fprintf(&b, "Get-Content -Raw %s | Invoke-Expression\n", pwshQuote(script))
	for _, l := range lines {
		fmt.Fprintf(&b, "$l = %s\n(TabExpansion2 -inputScript $l -cursorColumn $l.Length).CompletionMatches | ForEach-Object { $_.CompletionText }\n'<<Q>>'\n", pwshQuote(l))
	}
	drive := filepath.Join(tmp, "drive.ps1")
	if err := os.WriteFile(drive, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return runShell(t, fx, dir, len(lines), "pwsh", "-NoProfile", "-NonInteractive", "-File", drive)
}

// normal sorts candidates, drops duplicates and the / shells add to
// folders.
func normal(c []string) []string {
	out := make([]string, 0, len(c))
	for _, s := range c {
		if s != "/" {
			s = strings.TrimSuffix(s, "/")
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestCompletionShells presses TAB in each real shell after the lines a user
// types, in a repository and outside one. The secrets are only in the index
// and the D-Bus address leads nowhere: completion never needs the keychain.
func TestCompletionShells(t *testing.T) {
	type query struct {
		dir  string // "" is the repository
		line string
		want []string
		// pwshDefault: PowerShell offers file names where the completer
		// gives nothing, so the case says nothing about kage there.
		pwshDefault bool
	}
	all := []string{"DB_PASSWORD", "DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED"}
	scopesHere := []string{"global", "namespace", "namespace:backend", "namespace:frontend", "repo", "repo:~/code/api", "repo:~/gone"}
	queries := []query{
		{line: "kage ", want: []string{"completion", "doctor", "env", "exec", "help", "hook", "init", "log", "namespace", "scan", "secret", "status", "subscription", "version"}},
		{line: "kage se", want: []string{"secret"}},
		{line: "kage secret ", want: []string{"delete", "get", "import", "list", "set"}},
		{line: "kage secret get ", want: all},
		{line: "kage secret get D", want: []string{"DB_PASSWORD", "DEPLOY_TOKEN"}},
		{line: "kage secret get GLOBAL_ONE ", pwshDefault: true},
		{line: "kage secret delete ", want: all},
		{line: "kage secret rm ", want: all},
		{line: "kage secret get --reveal ", want: all},
		{line: "kage secret get --scope ", want: scopesHere},
		{line: "kage secret get -s namespace:", want: []string{"namespace:backend", "namespace:frontend"}},
		{line: "kage secret get --scope=", want: []string{"--scope=global", "--scope=namespace", "--scope=namespace:backend", "--scope=namespace:frontend", "--scope=repo", "--scope=repo:~/code/api", "--scope=repo:~/gone"}},
		{line: "kage secret get --scope=namespace:f", want: []string{"--scope=namespace:frontend"}},
		{line: "kage secret get --scope repo:~/", want: []string{"repo:~/code/api", "repo:~/gone"}},
		{line: "kage secret get --scope global ", want: []string{"GLOBAL_ONE", "SHARED"}},
		{line: "kage secret delete --scope namespace:backend ", want: []string{"DB_PASSWORD", "SHARED"}},
		{line: "kage secret delete --scope=namespace:backend S", want: []string{"SHARED"}},
		{line: "kage secret rm -s repo ", want: []string{"DEPLOY_TOKEN"}},
		{line: "kage secret delete --scope repo:~/gone ", want: []string{"OLD_TOKEN"}},
		{line: "kage secret get --scope namespace ", want: []string{"DB_PASSWORD", "SHARED"}},
		{line: "kage --namespace frontend secret get ", want: []string{"DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED"}},
		{line: "kage secret get --namespace frontend ", want: []string{"DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED"}},
		{line: "kage secret get --namespace=frontend --scope namespace ", pwshDefault: true},
		{line: "kage --namespace ", want: []string{"backend", "frontend"}},
		{line: "kage namespace set ", want: []string{"backend", "frontend"}},
		{line: "kage env --shell ", want: shellenv.Names()},
		{line: "kage env --shell f", want: []string{"fish"}},
		{line: "kage su", want: []string{"subscription"}},
		{line: "kage subscription ", want: []string{"add", "key", "list", "remove", "unuse", "use"}},
		{line: "kage subscription use ", want: complSubscriptions},
		{line: "kage subscription use w", want: []string{"work"}},
		{line: "kage subscription use work ", pwshDefault: true},
		{line: "kage subscription unuse --scope global ", want: complSubscriptions},
		{line: "kage subscription unuse -s=namespace:backend ", want: complSubscriptions},
		{line: "kage sub rm ", want: complSubscriptions},
		{line: "kage subscription remove --force p", want: []string{"personal"}},
		{line: "kage subscription use --scope n", want: []string{"namespace", "namespace:backend", "namespace:frontend"}},
		{line: "kage subscription add --name ", pwshDefault: true},
		{line: "kage env --subscription ", want: complSubscriptions},
		{line: "kage env --subscription=", want: []string{"--subscription=only-bound", "--subscription=personal", "--subscription=work"}},
		{line: "kage env --subscription o", want: []string{"only-bound"}},
		{line: "kage exec --subscription ", want: complSubscriptions},
		{line: "kage exec -C subdir --subscription=w", want: []string{"--subscription=work"}},
		{line: "kage hook ", want: hookableShells()},
		{line: "kage completion ", want: normal(completions.Shells())},
		{dir: "home", line: "kage secret get ", want: []string{"GLOBAL_ONE", "SHARED"}},
		{dir: "home", line: "kage secret get --scope ", want: []string{"global", "namespace:backend", "namespace:frontend", "repo:~/code/api", "repo:~/gone"}},
	}
	forEachShell(t, func(t *testing.T, name string, run completer) {
		fx := newComplFixture(t)
		got := map[string][][]string{}
		for _, d := range []string{"", "home"} {
			var lines []string
			for _, q := range queries {
				if q.dir == d {
					lines = append(lines, q.line)
				}
			}
			dir := fx.api
			if d == "home" {
				dir = fx.home
			}
			got[d] = run(t, fx, dir, lines)
		}
		next := map[string]int{}
		for _, q := range queries {
			g := got[q.dir][next[q.dir]]
			next[q.dir]++
			if name == "pwsh" && q.pwshDefault {
				continue
			}
			if len(q.want) == 0 {
				// With no argument left, zsh offers the flags.
				g = slices.DeleteFunc(slices.Clone(g), func(c string) bool { return strings.HasPrefix(c, "-") })
			}
			if !slices.Equal(normal(g), normal(q.want)) {
				t.Errorf("%s: %q in %s:\n got %q\nwant %q", name, q.line, pick(q.dir == "", "the repository", "home"), normal(g), normal(q.want))
			}
		}
	})
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// hookableShells are the shells kage hook accepts.
func hookableShells() []string {
	var out []string
	for _, n := range shellenv.Names() {
		if _, err := shellenv.Hook(n, "kage", ""); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// cmdSpec is one command of kage's tree as a user reaches it.
type cmdSpec struct {
	path    string // "secret get"; "" is kage itself
	cmd     *cli.Command
	subs    []string          // visible subcommands
	known   []string          // every subcommand a script may offer
	aliases map[string]string // alias → subcommand
	flags   []cli.Flag        // its own flags and kage's persistent ones
}

// commandSpecs walks the command tree kage runs, as urfave/cli completes it
// (help flags and the help command added).
func commandSpecs(t *testing.T) []cmdSpec {
	t.Helper()
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, now: time.Now}
	root := newApp(e, nil)
	if err := root.Run(context.Background(), []string{"kage", "--help"}); err != nil {
		t.Fatal(err)
	}
	var persistent []cli.Flag
	for _, f := range root.Flags {
		if l, ok := f.(cli.LocalFlag); !ok || !l.IsLocal() {
			persistent = append(persistent, f)
		}
	}
	var specs []cmdSpec
	var walk func(c *cli.Command, path string)
	walk = func(c *cli.Command, path string) {
		s := cmdSpec{path: path, cmd: c, aliases: map[string]string{}, flags: c.Flags}
		if c != root {
			s.flags = append(slices.Clone(c.Flags), persistent...)
		}
		var children []*cli.Command
		for _, sub := range c.Commands {
			// urfave/cli gives every command a help subcommand; only
			// kage's own is listed in help.
			if sub.Name == "help" && c != root || sub.Name == "hook-env" || strings.HasPrefix(sub.Name, "__") {
				continue
			}
			s.known = append(s.known, sub.Name)
			if sub.Hidden {
				continue
			}
			s.subs = append(s.subs, sub.Name)
			for _, a := range sub.Aliases {
				s.aliases[a] = sub.Name
			}
			children = append(children, sub)
		}
		specs = append(specs, s)
		for _, sub := range children {
			walk(sub, strings.TrimSpace(path+" "+sub.Name))
		}
	}
	walk(root, "")
	return specs
}

func flagWords(f cli.Flag) []string {
	var out []string
	for _, n := range f.Names() {
		out = append(out, pick(len(n) == 1, "-", "--")+n)
	}
	return out
}

func takesValue(f cli.Flag) bool {
	v, ok := f.(cli.DocGenerationFlag)
	return ok && v.TakesValue()
}

// valueKinds says what each flag that takes a value completes. A new flag
// that takes a value must be added here and to every script.
var valueKinds = map[string]string{
	"scope":     "scopes",
	"namespace": "namespaces",
	"shell":     "shells",
	"dir":       "dirs",
	"from-file": "files",
	"backend":   "backends",
	// subscription add: a new name and a variable, nothing to offer.
	"name":         "none",
	"env":          "none",
	"subscription": "subscriptions",
	"only":         "names",
	"except":       "names",
	// kage log --since, --expires, secret list's filters: a span or a date.
	"since":      "none",
	"expires":    "none",
	"expiring":   "none",
	"older-than": "none",
	// kage scan --max-size: a size.
	"max-size": "none",
}

// argKinds says what the first argument of each command completes. A new
// command that takes arguments must be added here and to every script.
var argKinds = map[string]string{
	"secret set":    "none",
	"secret get":    "names",
	"secret delete": "names",
	"secret import": "files",
	"scan":          "files",
	"namespace set": "namespaces",
	"hook":          "hookshells",
	"completion":    "completionshells",
	"exec":          "programs",
	"help":          "commands",
	// unuse takes [NAME]: the one to unbind when several are bound.
	"subscription remove": "subscriptions",
	"subscription use":    "subscriptions",
	"subscription unuse":  "subscriptions",
	"subscription key":    "subscriptions",
}

// TestCompletionCoversCommands walks kage's command tree and checks every
// command, alias and flag in each real shell: a new command or flag cannot
// silently lack completion, nor a removed one linger in a script.
func TestCompletionCoversCommands(t *testing.T) {
	specs := commandSpecs(t)
	samples := map[string]string{"scopes": "global", "namespaces": "backend", "shells": "bash", "dirs": "subdir", "files": "afile.txt", "backends": "file", "subscriptions": "work", "names": "SHARED", "none": "SOME_VALUE"}
	// kindOK checks candidates c against a kind; "" means fine.
	kindOK := func(shell, kind string, c []string) string {
		has := func(want ...string) string {
			for _, w := range want {
				if !slices.Contains(c, w) {
					return fmt.Sprintf("lacks %q", w)
				}
			}
			return ""
		}
		equal := func(want []string) string {
			if !slices.Equal(c, normal(want)) {
				return fmt.Sprintf("want exactly %q", normal(want))
			}
			return ""
		}
		if shell == "pwsh" && (kind == "dirs" || kind == "files" || kind == "programs" || kind == "none") {
			return "" // PowerShell's own path completion answers these
		}
		switch kind {
		case "scopes":
			return has("global", "namespace:backend", "repo:~/code/api")
		case "namespaces":
			return equal([]string{"backend", "frontend"})
		case "shells":
			return equal(shellenv.Names())
		case "backends":
			return equal([]string{"file", "keyring"})
		case "hookshells":
			return equal(hookableShells())
		case "completionshells":
			return equal(completions.Shells())
		case "names":
			return equal([]string{"DB_PASSWORD", "DEPLOY_TOKEN", "GLOBAL_ONE", "SHARED"})
		case "subscriptions":
			return equal(complSubscriptions)
		case "dirs":
			if slices.Contains(c, "afile.txt") {
				return "offers a file"
			}
			return has("subdir")
		case "files":
			return has("afile.txt")
		case "programs":
			return has("git")
		case "commands":
			return has("secret", "env")
		case "none":
			return equal(nil)
		}
		return "unknown kind " + kind
	}

	type check func(shell string, c []string, ans func(string) []string) string
	var lines []string
	var checks []check
	ask := func(line string, f check) {
		lines = append(lines, line)
		checks = append(checks, f)
	}
	for _, s := range specs {
		p := strings.TrimSpace("kage " + s.path)
		var all []string
		for _, f := range s.flags {
			all = append(all, flagWords(f)...)
		}
		ask(p+" -", func(_ string, c []string, _ func(string) []string) string {
			for _, w := range all {
				if !slices.Contains(c, w) {
					return fmt.Sprintf("lacks the flag %s", w)
				}
			}
			for _, w := range c {
				if len(w) > 1 && w[0] == '-' && strings.Trim(w, "-") != "" && !slices.Contains(all, w) {
					return fmt.Sprintf("offers %s, which kage %s does not have", w, s.path)
				}
			}
			return ""
		})
		if len(s.subs) > 0 {
			ask(p+" ", func(_ string, c []string, _ func(string) []string) string {
				for _, w := range s.subs {
					if !slices.Contains(c, w) {
						return fmt.Sprintf("lacks the command %s", w)
					}
				}
				for _, w := range c {
					if !slices.Contains(s.known, w) {
						return fmt.Sprintf("offers %s, which is not a command of kage %s", w, s.path)
					}
				}
				return ""
			})
			for a, name := range s.aliases {
				ask(p+" "+a+" -", func(_ string, c []string, ans func(string) []string) string {
					if want := ans(p + " " + name + " -"); !slices.Equal(c, want) || len(c) == 0 {
						return fmt.Sprintf("alias %s completes %q, %s completes %q", a, c, name, want)
					}
					return ""
				})
			}
			continue
		}
		kind, ok := argKinds[s.path]
		if !ok && s.cmd.ArgsUsage != "" {
			t.Errorf("kage %s takes %s: add it to argKinds and complete it in every script", s.path, s.cmd.ArgsUsage)
		}
		if ok {
			ask(p+" ", func(sh string, c []string, _ func(string) []string) string { return kindOK(sh, kind, c) })
		}
		hasArgs := kind != "" && kind != "none" && kind != "programs"
		for _, f := range s.flags {
			if !takesValue(f) {
				if n := f.Names()[0]; hasArgs && n != "help" && n != "version" {
					// A flag without a value leaves the argument to
					// complete.
					for _, w := range flagWords(f) {
						ask(p+" "+w+" ", func(_ string, c []string, ans func(string) []string) string {
							if want := ans(p + " "); !slices.Equal(c, want) {
								return fmt.Sprintf("after %s: %q, want what the argument completes: %q", w, c, want)
							}
							return ""
						})
					}
				}
				continue
			}
			vk, ok := valueKinds[f.Names()[0]]
			if !ok {
				t.Errorf("--%s of kage %s takes a value: add it to valueKinds and complete it in every script", f.Names()[0], s.path)
				continue
			}
			for _, w := range flagWords(f) {
				ask(p+" "+w+" ", func(sh string, c []string, _ func(string) []string) string { return kindOK(sh, vk, c) })
				if hasArgs {
					// The value is the flag's, not the first argument.
					ask(p+" "+w+" "+samples[vk]+" ", func(sh string, c []string, _ func(string) []string) string {
						if len(c) == 0 && !(sh == "pwsh" && kind == "files") {
							return fmt.Sprintf("after %s %s: nothing, want the argument", w, samples[vk])
						}
						return ""
					})
				}
			}
		}
	}

	forEachShell(t, func(t *testing.T, name string, run completer) {
		fx := newComplFixture(t)
		res := run(t, fx, fx.api, lines)
		byLine := map[string][]string{}
		for i, l := range lines {
			byLine[l] = normal(res[i])
		}
		ans := func(l string) []string { return byLine[l] }
		for i, l := range lines {
			if msg := checks[i](name, byLine[l], ans); msg != "" {
				t.Errorf("%s: %q: %s (got %q)", name, l, msg, byLine[l])
			}
		}
	})
}
