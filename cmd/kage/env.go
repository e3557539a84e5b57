package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/hookstamp"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/shellenv"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

func dirFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "dir", Aliases: []string{"C"}, Usage: "resolve for `DIR` instead of the current directory"}
}

func envCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "env",
		Usage: "print shell code that exports the secrets for this directory",
		Description: `Resolves every name in the chain (repo, then namespace, then global) and
prints code that exports each winner, sorted by name. Nothing is printed
unless the whole resolution succeeded, so eval never runs half of it.
On a terminal the values are masked.

   eval "$(kage env)"                                   # bash, zsh, sh
   kage env --shell fish | source                       # fish
   kage env --shell pwsh | Out-String | Invoke-Expression
   kage env --shell nu | from json | load-env           # nushell
   eval (kage env --shell elvish | slurp)               # elvish
   kage env --shell dotenv > /dev/null                  # also: json
   kage env --explain                                   # where each came from
   kage env --subscription personal                     # that key, this run only
   kage env --only 'GITHUB_TOKEN,AWS_*' --except AWS_SECRET_ACCESS_KEY

Shells: ` + strings.Join(shellenv.Names(), ", ") + `. Without --shell, the shell is
detected from the parent process, then $SHELL.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "shell", Usage: "write for `SHELL` (" + strings.Join(shellenv.Names(), ", ") + ")"},
			dirFlag(),
			&cli.BoolFlag{Name: "explain", Usage: "say on stderr which scope each name came from"},
			subscriptionFlag(),
		}, selectionFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error { return envAction(ctx, e, cmd) },
	}
}

// pickShell is the shell named by --shell, or the detected one. A guess
// from $SHELL is said on stderr: the login shell need not be the one that
// reads the output (fish -c '… | source' from a bash login).
func pickShell(e *env, name string) (shellenv.Shell, error) {
	if name == "" {
		var guessed bool
		if name, guessed = shellenv.DetectFrom(e.getenv); name == "" {
			return nil, usagef("kage env --shell bash (or zsh, fish, pwsh, …)", "cannot tell which shell will read the output")
		}
		if guessed {
			fmt.Fprintf(e.stderr, "kage: warning: the parent process is not a shell; writing for %s from $SHELL — pass --shell to be sure\n", name)
		}
	}
	sh, err := shellenv.Get(name)
	if err != nil {
		return nil, usagef("", "%s", err)
	}
	return sh, nil
}

func subscriptionFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "subscription", Usage: "export subscription `NAME`'s key for this run, whatever is bound here"}
}

// emptySubscription refuses --subscription "": an unset variable in
// `kage exec --subscription "$SUB"` must not quietly run with whatever key
// is bound here.
func emptySubscription(cmd *cli.Command) error {
	if cmd.IsSet("subscription") && cmd.String("subscription") == "" {
		return usagef("name one: --subscription NAME (kage subscription list shows them)", "--subscription is empty")
	}
	return nil
}

// resolveAt resolves the names of the chain of --dir, or of the current
// directory, that sel gives, with subscription forced ("" for none); strict
// as in lookup. The store starts connecting first, so the keychain
// handshake overlaps scope detection.
func (e *env) resolveAt(ctx context.Context, cmd *cli.Command, dir, forced string, sel resolve.Selection, strict bool) (*scope.Context, *resolve.Result, error) {
	if forced != "" {
		var err error
		if forced, err = subscriptionArg(forced); err != nil {
			return nil, nil, err
		}
	}
	store, err := e.secretsPrepared()
	if err != nil {
		return nil, nil, err
	}
	c, err := e.contextFor(cmd, dir)
	if err != nil {
		return nil, nil, err
	}
	l, err := e.lookup(c, forced)
	if err != nil {
		return nil, nil, err
	}
	l.Selection, l.Strict = sel, strict
	r, err := resolveAll(ctx, store, l, e.stderr)
	return c, r, err
}

// warnUnmatched says which names the Only list asked for apply nowhere
// here: the program runs without them.
func warnUnmatched(e *env, sel resolve.Selection, r *resolve.Result) {
	if len(r.Unmatched) > 0 {
		say(e.stderr, "kage: warning: %s %s: no such secret applies here; nothing is given for it (kage env --explain shows what does)", sel.OnlyFrom, strings.Join(r.Unmatched, ", "))
	}
}

// flagSelection is the Selection --only and --except make, and whether
// either was given.
func flagSelection(cmd *cli.Command) (resolve.Selection, bool, error) {
	if cmd == nil || !cmd.IsSet("only") && !cmd.IsSet("except") {
		return resolve.Selection{}, false, nil
	}
	sel := resolve.Selection{OnlyFrom: "--only", ExceptFrom: "--except"}
	for _, f := range []struct {
		name string
		to   *[]string
	}{{"only", &sel.Only}, {"except", &sel.Except}} {
		if !cmd.IsSet(f.name) {
			continue
		}
		*f.to = []string{}
		for _, v := range cmd.StringSlice(f.name) {
			names, err := envname.ParseList(v)
			if err != nil {
				return sel, false, usagef("give names or globs, comma-separated or repeated: --"+f.name+" GITHUB_TOKEN,AWS_*", "--%s: %s", f.name, err)
			}
			*f.to = append(*f.to, names...)
		}
	}
	return sel, true, nil
}

// selectionFlags are --only and --except, for env and exec.
func selectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "only", Usage: "give only `NAMES` (comma-separated or repeated; globs like AWS_*)"},
		&cli.StringSliceFlag{Name: "except", Usage: "hold back `NAMES` (comma-separated or repeated; globs like AWS_*)"},
	}
}

// envOptions are kage env's flags.
type envOptions struct {
	shell, dir, subscription string
	explain                  bool
}

func envAction(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	if err := emptySubscription(cmd); err != nil {
		return err
	}
	return envMain(ctx, e, cmd, envOptions{shell: cmd.String("shell"), dir: cmd.String("dir"), subscription: cmd.String("subscription"), explain: cmd.Bool("explain")})
}

// envFlags reads kage env's flags when they are the plain ones; ok is
// false for anything else (--help, a typo, --namespace), which the full
// command line parser then handles, errors and all. kage env runs in
// shells' start-up and agents' spawn paths, and building the command tree
// costs about a third of a millisecond there.
func envFlags(args []string) (o envOptions, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--explain":
			if hasVal {
				return o, false
			}
			o.explain = true
		case "--shell", "--dir", "-C", "--subscription":
			if !hasVal {
				if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
					return o, false
				}
				i++
				val = args[i]
			}
			if val == "" {
				return o, false
			}
			switch name {
			case "--shell":
				o.shell = val
			case "--subscription":
				o.subscription = val
			default:
				o.dir = val
			}
		default:
			return o, false
		}
	}
	return o, true
}

// envMain prints the exports; cmd supplies --namespace and may be nil.
func envMain(ctx context.Context, e *env, cmd *cli.Command, o envOptions) error {
	sh, err := pickShell(e, o.shell)
	if err != nil {
		return err
	}
	sel, strict, err := flagSelection(cmd)
	if err != nil {
		return err
	}
	c, r, err := e.resolveAt(ctx, cmd, o.dir, o.subscription, sel, strict)
	if err != nil {
		return err
	}
	warnUnmatched(e, sel, r)
	res := r.Vars
	warnExpired(e, res)
	if o.explain {
		explain(e, c, r)
	}
	if isTerminal(e.stdout) {
		how := "load them with: " + sh.EvalLine()
		if sh.EvalLine() == "" {
			// dotenv and json are read by programs, not by this shell.
			how = fmt.Sprintf("redirect or pipe kage env --shell %s to the program that reads it", sh.Name())
		}
		return printMasked(e, res, how)
	}
	vars := make([]shellenv.Var, len(res))
	for i, r := range res {
		vars[i] = shellenv.Var{Name: r.Name, Value: r.Value}
	}
	out, err := sh.Render(shellenv.Plan{Set: vars})
	if err != nil {
		return err
	}
	if _, err = e.stdout.Write(out); err != nil {
		return err
	}
	logAccess(ctx, e, "env", c.Dir, "", logged(res))
	return nil
}

// printMasked shows the names of res with their values masked, for a
// standard output that is a terminal — scrollback, screen sharing and
// recordings — and says on stderr what to do instead (how).
func printMasked(e *env, res []resolved, how string) error {
	var b strings.Builder
	for _, r := range res {
		fmt.Fprintf(&b, "%s=********\n", r.Name)
	}
	if _, err := fmt.Fprint(e.stdout, b.String()); err != nil {
		return err
	}
	say(e.stderr, "kage: values hidden on a terminal; %s", how)
	return nil
}

// explain says where each name came from, on stderr. Scopes name repository
// paths, which say keeps free of control characters.
func explain(e *env, c *scope.Context, rs *resolve.Result) {
	say(e.stderr, "kage: chain %s", chainString(c.Chain()))
	if len(rs.Vars) == 0 && len(rs.Held) == 0 {
		say(e.stderr, "kage: no secrets in this chain")
	}
	for _, r := range rs.Vars {
		shadows := ""
		if len(r.Shadows) > 0 {
			names := make([]string, len(r.Shadows))
			for i, s := range r.Shadows {
				names[i] = s.String()
			}
			shadows = fmt.Sprintf(" (shadows %s)", strings.Join(names, ", "))
		}
		say(e.stderr, "kage: %s ← %s%s", r.Name, r.From, shadows)
	}
	for _, h := range rs.Held {
		say(e.stderr, "kage: %s held back (%s; it would come from %s)", h.Name, h.Why, h.From)
	}
}

func chainString(chain []scope.Scope) string {
	names := make([]string, len(chain))
	for i, s := range chain {
		names[i] = s.Display()
	}
	return strings.Join(names, " → ")
}

func execCommand(e *env) *cli.Command {
	stop := 1
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a program with the secrets for this directory in its environment",
		ArgsUsage: "[--] COMMAND [ARGS...]",
		Description: `Runs COMMAND with the resolved secrets added to its environment. No shell
is involved and no secret is ever in a command line. COMMAND gets none of
kage's own variables (KAGE_PASSPHRASE, KAGE_AGE_IDENTITY, …; KAGE_HOME,
KAGE_BACKEND and KAGE_NAMESPACE stay) and none of what the prompt hook
loaded in this shell.

--only and --except choose what COMMAND gets (names or globs such as AWS_*,
comma-separated or repeated); an [exec.PROGRAM] table in config.toml does
the same for a program by its name, and flags win over it:

   [exec.claude]
   only = ["ANTHROPIC_API_KEY", "GITHUB_TOKEN"]

When stdout or stderr is neither a terminal nor /dev/null (a pipe, a file,
an agent's transcript), kage runs COMMAND as its child and writes its
output there with every value it was given, raw, base64, percent- or
JSON-encoded, replaced by <kage:NAME>. Values shorter than 8 bytes are not
masked; --explain says which. Signals pass on to COMMAND and kage ends as
COMMAND ended. With terminals only, or --no-mask (mask = false in
[exec.PROGRAM]), kage replaces itself with COMMAND on Unix.

   kage exec -- claude
   kage exec --only GITHUB_TOKEN -- gh pr list
   kage exec --except 'AWS_*' --explain -- aider
   kage exec --subscription personal -- claude
   kage exec --dir ~/code/api -- npm run deploy`,
		Flags: append([]cli.Flag{dirFlag(), subscriptionFlag(),
			&cli.BoolFlag{Name: "explain", Usage: "say on stderr which names the program gets, which are held back and which are masked"},
			&cli.BoolFlag{Name: "no-mask", Usage: "let the program's output through as it is"},
		}, selectionFlags()...),
		StopOnNthArg: &stop,
		Action:       func(ctx context.Context, cmd *cli.Command) error { return execAction(ctx, e, cmd) },
	}
}

// programName is the name [exec.PROGRAM] knows a command by: its base
// name, as typed (a wrapper such as env or npx is a program of its own).
// On Windows and macOS, whose file names ignore case, it is lower-cased,
// and on Windows it loses the extension that made it runnable (.exe,
// .cmd, .bat, .com, .ps1).
func programName(arg string) string {
	name := filepath.Base(arg)
	switch runtime.GOOS {
	case "windows":
		name = strings.ToLower(name)
		for _, ext := range []string{".exe", ".cmd", ".bat", ".com", ".ps1"} {
			if n, ok := strings.CutSuffix(name, ext); ok && n != "" {
				return n
			}
		}
	case "darwin":
		name = strings.ToLower(name)
	}
	return name
}

// execTable is config.toml's table for prog, found as programName finds
// the program: without regard to case where file names ignore it.
func execTable(cfg *config.Config, prog string) config.Exec {
	if x, ok := cfg.Exec[prog]; ok || runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		return x
	}
	for name, x := range cfg.Exec {
		if strings.EqualFold(name, prog) {
			return x
		}
	}
	return config.Exec{}
}

// execSelection is what kage exec gives prog: --only and --except when
// either is given, else [exec.PROGRAM]; and whether its output is masked
// (--no-mask, then mask in [exec.PROGRAM]), with why not when it is not.
func (e *env) execSelection(cmd *cli.Command, prog string) (sel resolve.Selection, strict, mask bool, why string, err error) {
	sel, strict, err = flagSelection(cmd)
	if err != nil {
		return sel, false, false, "", err
	}
	table := fmt.Sprintf("[exec.%s]", prog)
	cfg, err := e.config()
	var ce *config.Error
	if errors.As(err, &ce) && strings.HasPrefix(ce.Key, "exec.") {
		// What kage exec was asked to do is unclear: a usage error.
		return sel, false, false, "", &exitError{code: 2, err: err}
	}
	if err != nil {
		return sel, false, false, "", err
	}
	x := execTable(cfg, prog)
	if !strict && (x.Only != nil || len(x.Except) > 0) {
		sel = resolve.Selection{Only: x.Only, Except: x.Except, OnlyFrom: table + " only", ExceptFrom: table + " except"}
	}
	if strict && sel.Only == nil && x.Only != nil {
		// A wrapper that adds --except must not quietly drop the list
		// that kept the program to a few names.
		say(e.stderr, "kage: warning: --except replaces %s in config.toml, and its only list no longer applies; add --only to keep the program to a few names", table)
	}
	switch {
	case cmd.Bool("no-mask"):
		return sel, strict, false, "--no-mask", nil
	case x.Mask != nil && !*x.Mask:
		return sel, strict, false, "mask = false in " + table, nil
	}
	return sel, strict, true, "", nil
}

func execAction(ctx context.Context, e *env, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return usagef("usage: kage exec [--dir DIR] [--only NAMES] [--except NAMES] -- COMMAND [ARGS...]", "kage exec needs a command to run")
	}
	if err := emptySubscription(cmd); err != nil {
		return err
	}
	sel, strict, mask, noMask, err := e.execSelection(cmd, programName(args[0]))
	if err != nil {
		return err
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return lookPathError(args[0], err)
	}
	c, r, err := e.resolveAt(ctx, cmd, cmd.String("dir"), cmd.String("subscription"), sel, strict)
	if err != nil {
		return err
	}
	warnUnmatched(e, sel, r)
	warnExpired(e, r.Vars)
	secrets := r.Secrets()
	maskOut, maskErr := maskedStreams()
	masked, short := resolve.Maskable(secrets)
	switch {
	case !mask:
	case !maskOut && !maskErr:
		mask, noMask = false, "stdout and stderr are terminals (or the null device)"
	case len(masked) == 0:
		mask, noMask = false, "nothing to mask"
	}
	if cmd.Bool("explain") {
		explain(e, c, r)
		if mask {
			say(e.stderr, "kage: output masked for %s", strings.Join(masked, ", "))
			if len(short) > 0 {
				say(e.stderr, "kage: not masked (shorter than %d bytes): %s", resolve.MinMaskLen, strings.Join(short, ", "))
			}
		} else if len(r.Vars) > 0 {
			say(e.stderr, "kage: output not masked: %s", noMask)
		}
	}
	env := resolve.Environ(os.Environ(), r)
	logAccess(ctx, e, "exec", c.Dir, args[0], logged(r.Vars))
	if mask {
		return runMasked(path, args, env, secrets, maskOut, maskErr)
	}
	return runReplacing(path, args, env)
}

// lookPathError is exec's failure to find name, with the shell's exit
// codes: 126 for a file that is there but cannot be run, 127 for none.
func lookPathError(name string, err error) error {
	if strings.Contains(name, "/") {
		if fi, serr := os.Stat(name); serr == nil && fi.IsDir() {
			return &exitError{code: 126, err: withHint(fmt.Errorf("cannot run %q: it is a directory", name), "name a program in it")}
		}
	}
	if errors.Is(err, fs.ErrPermission) {
		return &exitError{code: 126, err: withHint(fmt.Errorf("cannot run %q: it is not executable", name), "name a program, or make the file executable (chmod +x) if it is one")}
	}
	if strings.Contains(name, "/") {
		return &exitError{code: 127, err: fmt.Errorf("cannot run %q: no such file", name)}
	}
	return &exitError{code: 127, err: withHint(fmt.Errorf("command %q not found", name), "check the name, or give its path; kage looks it up in $PATH as a shell does")}
}

func hookCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "hook",
		Usage:     "print the prompt hook for your shell's rc file",
		ArgsUsage: "bash|zsh|fish|pwsh|nu|elvish",
		Description: `The hook loads the secrets of the directory you are in at each prompt, and
unloads them when you leave, restoring what a variable held before. When
nothing changed it returns without touching the keychain.

   eval "$(kage hook bash)"                  # in ~/.bashrc
   eval "$(kage hook zsh)"                   # in ~/.zshrc
   kage hook fish | source                   # in ~/.config/fish/config.fish
   kage hook pwsh | Out-String | Invoke-Expression   # in $PROFILE
   kage hook nu | save -f ~/.config/nushell/kage.nu  # then: source kage.nu in config.nu
   eval (kage hook elvish | slurp)           # in ~/.config/elvish/rc.elv`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usagef(`usage: kage hook SHELL, e.g. eval "$(kage hook bash)" in ~/.bashrc (kage hook --help shows every shell's line)`,
					"kage hook needs the name of your shell: one of bash, zsh, fish, pwsh, nu, elvish")
			}
			if err := wantArgs(cmd, 1, "SHELL"); err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("cannot find the kage binary: %w", err)
			}
			if p, err := filepath.EvalSymlinks(self); err == nil {
				self = p
			}
			code, err := shellenv.Hook(cmd.Args().First(), self, lightHook(self))
			if err != nil {
				return usagef("", "%s", err)
			}
			_, err = fmt.Fprint(e.stdout, code)
			return err
		},
	}
}

// lightHook is the kage-hook program installed beside kage (self, links
// resolved), which the hook then runs first, or "" to run kage alone. It
// runs at every prompt, so it must be as much the user's as kage is: a
// regular executable file, owned by kage's owner, writable by no one else.
func lightHook(self string) string {
	p := filepath.Join(filepath.Dir(self), "kage-hook")
	if runtime.GOOS == "windows" {
		return ""
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || fi.Mode().Perm()&0o100 == 0 {
		return ""
	}
	ki, err := os.Stat(self)
	if err != nil || !sameOwner(fi, ki) {
		return ""
	}
	return p
}

// State variables of the prompt hook. They hold paths, modification times
// and names — never a value, nor a hash of one.
const (
	stateVar  = "KAGE_STATE"
	loadedVar = "KAGE_LOADED"
)

func hookEnvCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "hook-env",
		Usage:     "the prompt hook's worker (prints code for the hook to evaluate)",
		ArgsUsage: "SHELL",
		Hidden:    true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 1, "SHELL"); err != nil {
				return err
			}
			return hookEnvMain(ctx, e, cmd.Args().First())
		},
	}
}

// hookEnvMain runs at every prompt. When the fingerprint of what decides
// the secrets (repo, namespace, data folder, config, index and bindings
// modification) is the one the shell holds, it prints nothing and touches
// nothing else.
func hookEnvMain(ctx context.Context, e *env, shell string) error {
	sh, err := shellenv.Get(shell)
	if err != nil {
		return usagef("", "%s", err)
	}
	c, cerr := e.contextFor(nil, "")
	watching := e.getenv(watchingVar) == "1"
	var snap hookstamp.Snapshot
	if watching && cerr == nil {
		// kage-hook ran first and found a change in what the last watch
		// list named. The new list is stamped before anything on it is
		// read again, config.toml included: a change from here on shows
		// at the next prompt. A second look that reads other files than
		// the first (something moved meanwhile) is not watched.
		paths := watchPaths(e.paths, c, e.customSecretsFile())
		snap = hookstamp.Take(paths)
		e.cfg = nil
		c2, err2 := e.contextFor(nil, "")
		if err2 != nil || !slices.Equal(watchPaths(e.paths, c2, e.customSecretsFile()), paths) {
			snap = hookstamp.Snapshot{}
		}
		c, cerr = c2, err2
	}
	fp := fingerprint(e.paths, c, cerr, e.customSecretsFile())
	if fp == e.getenv(stateVar) {
		if !watching {
			return nil
		}
		// Nothing kage hands out changed (a git command touched HEAD, a
		// file was saved as it was): only the watch list is renewed.
		w := watchValue(snap, e.getenv)
		if w == e.getenv(hookstamp.Var) || isTerminal(e.stdout) {
			return nil
		}
		out, err := sh.Render(shellenv.Plan{State: []shellenv.Var{{Name: hookstamp.Var, Value: []byte(w)}}})
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(out)
		return err
	}
	// main leaves Ctrl-C to this point (isHookEnv): from here on, a
	// keychain read gives up cleanly rather than die mid-way.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	e.scopeNotice(c)
	var res []resolved
	err = cerr
	if err == nil {
		var store keyring.Store
		var l lookup
		if store, err = e.secretsPrepared(); err == nil {
			if l, err = e.lookup(c, ""); err == nil {
				var r *resolve.Result
				if r, err = resolveAll(ctx, store, l, e.stderr); err == nil {
					res = r.Vars
				}
			}
		}
	}
	if err != nil {
		// Unload rather than keep another directory's secrets, and record
		// the fingerprint so the next prompt does not try again.
		if errors.Is(err, context.Canceled) {
			// Ctrl-C at the passphrase prompt: the fingerprint is
			// recorded below, so the prompt does not come back at the
			// next prompt either.
			say(e.stderr, "kage: cancelled; secrets unloaded (kage asks again when the directory, config or secrets change)")
		} else {
			say(e.stderr, "kage: %s (secrets unloaded; kage tries again when the directory, config or secrets change)", err)
		}
		res = nil
	}
	if isTerminal(e.stdout) {
		// The hook reads a pipe; a terminal is someone running it by hand.
		return printMasked(e, res, "kage hook-env is the prompt hook's worker; put the hook in your shell's rc file instead (kage hook --help)")
	}
	loaded := resolve.LoadedNames(e.getenv(loadedVar))
	plan := func(res []resolved) shellenv.Plan {
		p := hookPlan(loaded, res, fp)
		if watching {
			// Summed with the state this plan leaves in the shell.
			after := map[string]string{}
			for _, v := range p.State {
				after[v.Name] = string(v.Value)
			}
			w := watchValue(snap, func(k string) string {
				if v, ok := after[k]; ok {
					return v
				}
				return e.getenv(k)
			})
			p.State = append(p.State, shellenv.Var{Name: hookstamp.Var, Value: []byte(w)})
		}
		return p
	}
	out, rerr := sh.Render(plan(res))
	if rerr != nil {
		// One value this shell cannot hold: unload everything rather than
		// keep what the shell has.
		var uerr error
		if out, uerr = sh.Render(plan(nil)); uerr != nil {
			if uerr.Error() == rerr.Error() {
				return rerr
			}
			say(e.stderr, "kage: %s", rerr)
			return uerr
		}
		say(e.stderr, "kage: %s", rerr)
		res = nil
	}
	if _, werr := e.stdout.Write(out); werr != nil {
		return werr
	}
	if fresh := handedOut(e, loaded, res); len(fresh) > 0 {
		// The whole set the shell now holds, though only fresh changed.
		logAccess(ctx, e, "hook", c.Dir, "", logged(res))
		warnExpired(e, res)
	}
	if line := hookNotice(e, c, loaded, res); line != "" && !hookQuiet(e) {
		say(e.stderr, "%s", line)
	}
	return nil
}

// hookNotice is the line the hook prints when the names it holds change,
// as direnv's "export +A -B" does: "kage: loaded repo:~/code/api: +A ~B
// -C", where + is a name it added, ~ one that replaced a variable the shell
// had set itself, and - one it took away; "kage: unloaded: -C" when nothing
// is left. Names only, never values; "" when no name came or went (a value
// that changed is not news worth a line at every prompt).
func hookNotice(e *env, c *scope.Context, loaded []string, res []resolved) string {
	was := make(map[string]bool, len(loaded))
	for _, n := range loaded {
		was[n] = true
	}
	var b strings.Builder
	now := make(map[string]bool, len(res))
	for _, r := range res {
		now[r.Name] = true
		if was[r.Name] {
			continue
		}
		mark := " +"
		if e.getenv(r.Name) != "" {
			mark = " ~"
		}
		b.WriteString(mark + r.Name)
	}
	// loaded holds only names the hook may have loaded (loadedNames), once
	// each: nothing else from KAGE_LOADED reaches the terminal.
	gone := make([]string, 0, len(loaded))
	for _, n := range loaded {
		if !now[n] {
			gone = append(gone, n)
		}
	}
	slices.Sort(gone)
	for _, n := range gone {
		b.WriteString(" -" + n)
	}
	if b.Len() == 0 {
		return ""
	}
	if len(res) == 0 {
		return "kage: unloaded:" + b.String()
	}
	where := "here"
	if c != nil {
		if chain := c.Chain(); len(chain) > 0 {
			where = chain[0].Display()
		}
	}
	return "kage: loaded " + where + ":" + b.String()
}

// hookQuiet reports whether the hook's line is turned off: KAGE_QUIET in
// this shell, or [hook] quiet in config.toml.
func hookQuiet(e *env) bool {
	switch e.getenv("KAGE_QUIET") {
	case "", "0", "false", "no":
	default:
		return true
	}
	c, err := e.config()
	return err == nil && c.Hook.Quiet
}

// hookPlan moves the shell from the names it has loaded (loadedNames) to
// res.
func hookPlan(loaded []string, res []resolved, fp string) shellenv.Plan {
	was := map[string]bool{}
	for _, n := range loaded {
		was[n] = true
	}
	var p shellenv.Plan
	now := map[string]bool{}
	names := make([]string, 0, len(res))
	for _, r := range res {
		now[r.Name] = true
		names = append(names, r.Name)
		if !was[r.Name] {
			p.Save = append(p.Save, r.Name)
		}
		p.Set = append(p.Set, shellenv.Var{Name: r.Name, Value: r.Value})
	}
	for n := range was {
		if !now[n] {
			p.Restore = append(p.Restore, n)
		}
	}
	sort.Strings(p.Restore)
	p.State = []shellenv.Var{
		{Name: loadedVar, Value: []byte(strings.Join(names, ":"))},
		{Name: stateVar, Value: []byte(fp)},
	}
	return p
}

// fingerprint sums up what decides the secrets of a directory. It is
// compared at every prompt, so it costs a few stat calls and no keychain.
func fingerprint(p config.Paths, c *scope.Context, cerr error, file string) string {
	var b bytes.Buffer
	b.WriteString("kage-1\x00")
	if cerr != nil {
		// The context itself failed (a broken config.toml): key on where we
		// are and on the files that can fix it.
		wd, _ := os.Getwd()
		fmt.Fprintf(&b, "error\x00%s\x00", wd)
	} else {
		fmt.Fprintf(&b, "%s\x00%s\x00%s\x00", c.Repo, c.Namespace, c.Ignored)
	}
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%s\x00", p.Data, stamp(p.ConfigFile()), stamp(filepath.Join(p.Data, keyring.IndexFile)), stamp(filepath.Join(p.Data, subscription.File)))
	// The file backend's secrets (at its default place: a custom one is
	// named in config.toml, whose stamp is above, and watched below).
	fmt.Fprintf(&b, "%s\x00", stamp(filepath.Join(p.Data, secretsFileName)))
	fmt.Fprintf(&b, "%s\x00", stamp(filepath.Join(p.Data, envname.ForcedFile)))
	if file != "" {
		fmt.Fprintf(&b, "%s\x00", stamp(file))
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:16])
}

// watchingVar is what kage-hook sets for the kage hook-env it hands over
// to: keep the watch list (hookstamp) up to date. Without kage-hook the
// list would cost every prompt a second look and never be read.
const watchingVar = "KAGE_WATCHING"

// watchPaths lists what the hook's answer in c was read from: c's Inputs,
// kage's folders and every file fingerprint stamps.
func watchPaths(p config.Paths, c *scope.Context, file string) []string {
	paths := []string{p.Config, p.Data, p.ConfigFile(),
		filepath.Join(p.Data, keyring.IndexFile), filepath.Join(p.Data, subscription.File),
		filepath.Join(p.Data, secretsFileName), filepath.Join(p.Data, envname.ForcedFile)}
	if file != "" {
		paths = append(paths, file)
	}
	if c != nil {
		for _, in := range c.Inputs {
			if q, ok := strings.CutPrefix(in, scope.KindOnly); ok {
				in = hookstamp.KindOnly + q
			}
			paths = append(paths, in)
		}
	}
	// Once each, in order: a .git is both looked for and read.
	seen := make(map[string]bool, len(paths))
	out := paths[:0]
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// watchValue is KAGE_WATCH for snap, "" when snap cannot be watched (then
// kage-hook hands every prompt to kage hook-env, as without kage-hook).
func watchValue(snap hookstamp.Snapshot, getenv func(string) string) string {
	wd, err := hookstamp.Wd()
	if err != nil {
		return ""
	}
	w, ok := snap.Encode(wd, getenv)
	if !ok {
		return ""
	}
	return w
}

// stamp identifies a file's version by modification time and size.
func stamp(path string) string {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "-"
	}
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d.%d", fi.ModTime().UnixNano(), fi.Size())
}
