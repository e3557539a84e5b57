package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func kageVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// env is what a command may touch of the outside world; tests give their
// own.
type env struct {
	// ctx is the run's context, for prompts deep in a store.
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time

	paths config.Paths
	cfg   *config.Config
	store keyring.Store

	// hook is set in the prompt hook, which reports an ignored .git only
	// when it reloads; noticed once it has been reported.
	hook, noticed bool
}

// config loads config.toml once.
func (e *env) config() (*config.Config, error) {
	if e.cfg != nil {
		return e.cfg, nil
	}
	c, err := config.Load(e.paths)
	if err != nil {
		return nil, withHint(err, "fix the file or move it aside; kage runs with defaults without it")
	}
	e.cfg = c
	return c, nil
}

// secrets returns the store the configuration chooses (backend.go).
func (e *env) secrets() (keyring.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	c, err := e.config()
	if err != nil {
		return nil, err
	}
	if e.store, err = e.openBackend(c); err != nil {
		return nil, err
	}
	return e.store, nil
}

// secretsPrepared returns the store and lets it start connecting while the
// caller does other work, for commands that will read values.
func (e *env) secretsPrepared() (keyring.Store, error) {
	s, err := e.secrets()
	if p, ok := s.(interface{ Prepare() }); ok {
		p.Prepare()
	}
	return s, err
}

// context detects the scope context of the current directory.
func (e *env) context(cmd *cli.Command) (*scope.Context, error) {
	return e.contextFor(cmd, "")
}

// contextFor detects the scope context of dir ("" is the current one);
// cmd supplies --namespace and may be nil. Why a .git was ignored is said
// once on stderr, except in the prompt hook, which says it only when it
// reloads (scopeNotice).
func (e *env) contextFor(cmd *cli.Command, dir string) (*scope.Context, error) {
	c, err := e.detect(cmd, dir)
	if err == nil && !e.hook {
		e.scopeNotice(c)
	}
	return c, err
}

// scopeNotice prints, once per run, why a .git was not taken as a
// repository.
func (e *env) scopeNotice(c *scope.Context) {
	if c != nil && c.Ignored != "" && !e.noticed {
		e.noticed = true
		fmt.Fprintf(e.stderr, "kage: warning: %s\n", display.OneLine(c.Ignored))
	}
}

// detect is contextFor without a word to the user.
func (e *env) detect(cmd *cli.Command, dir string) (*scope.Context, error) {
	c, err := e.config()
	if err != nil {
		return nil, err
	}
	opts := scope.Options{Config: c, Data: e.paths.Data}
	flagNS := ""
	if cmd != nil {
		flagNS = cmd.String("namespace")
	}
	if ns := flagNS; ns != "" {
		opts.NamespaceFrom = "--namespace"
		if opts.Namespace, err = namespaceArg(ns, opts.NamespaceFrom); err != nil {
			return nil, err
		}
	} else if ns := e.getenv("KAGE_NAMESPACE"); ns != "" {
		opts.NamespaceFrom = "KAGE_NAMESPACE"
		if opts.Namespace, err = namespaceArg(ns, opts.NamespaceFrom); err != nil {
			return nil, err
		}
	}
	return scope.Detect(dir, opts)
}

// scopeFlag parses --scope; def is used when the flag is absent.
func (e *env) scopeFlag(cmd *cli.Command, def string) (scope.Scope, bool, error) {
	s := cmd.String("scope")
	if s == "" && cmd.IsSet("scope") {
		// --scope "$S" with S unset must not mean the default scope.
		return scope.Scope{}, false, usagef("scopes are global, namespace:<name>, repo:<path>, or repo and namespace for the current ones", "--scope is empty")
	}
	if s == "" {
		if def == "" {
			return scope.Scope{}, false, nil
		}
		s = def
	}
	if strings.HasPrefix(s, subscription.ScopePrefix) {
		return scope.Scope{}, false, usagef("kage subscription add, list and remove manage subscription keys; kage subscription use binds one to a scope",
			"%q is a subscription, not a scope", s)
	}
	var ctx *scope.Context
	if s == "repo" || s == "namespace" {
		var err error
		if ctx, err = e.context(cmd); err != nil {
			return scope.Scope{}, false, err
		}
	}
	sc, err := scope.Parse(s, ctx)
	if err != nil {
		return scope.Scope{}, false, usagef("scopes are global, namespace:<name>, repo:<path>, or repo and namespace for the current ones", "%s", err)
	}
	return sc, true, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	paths, err := config.DefaultPaths()
	if err != nil {
		return report(stderr, err)
	}
	// Commands print through messageWriter (no control characters);
	// report gets the raw stream, for its colours.
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: messageWriter{stderr}, getenv: os.Getenv, now: time.Now, paths: paths}
	if isHookEnv(args) {
		// The prompt hook runs this at every prompt: skip building the
		// command tree, which costs more than the work when nothing changed.
		e.hook = true
		return report(stderr, hookEnvMain(ctx, e, args[2]))
	}
	if len(args) >= 2 && args[1] == "env" {
		if o, ok := envFlags(args[2:]); ok {
			return report(stderr, envMain(ctx, e, nil, o))
		}
	}
	if len(args) >= 2 && args[1] == "__complete" {
		// The same for every TAB press.
		return completeMain(e, args[2:])
	}
	return report(stderr, newApp(e, args).Run(ctx, args))
}

const rootHelp = `kage keeps credentials in your OS keychain, scoped global, namespace:<name>
or repo:<path>, and resolves each name most specific first: repo, then
namespace, then global.

   kage secret set API_KEY                       # hidden prompt, global
   kage secret set DB_PASSWORD --scope namespace:backend
   eval "$(kage env)"                            # export what applies here
   kage exec -- claude                           # run one program with them
   kage subscription use work --scope namespace:production   # an API key per scope
   eval "$(kage hook bash)"                      # in ~/.bashrc: load on cd
   kage status                                   # what applies here, and why

Exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted.`

// newApp builds the command tree. When args name a command, the tree holds
// only that one: urfave/cli sets up every command it holds before running
// one, and kage env runs in shells' start-up and agents' spawn paths.
func newApp(e *env, args []string) *cli.Command {
	commands := []*cli.Command{
		secretCommand(e),
		namespaceCommand(e),
		subscriptionCommand(e),
		statusCommand(e),
		envCommand(e),
		execCommand(e),
		hookCommand(e),
		hookEnvCommand(e),
		completionCommand(e),
		completeCommand(e),
		doctorCommand(e),
		logCommand(e),
		scanCommand(e),
		initCommand(e),
		versionCommand(e),
	}
	if len(args) > 1 {
		for _, c := range commands {
			if c.HasName(args[1]) {
				commands = []*cli.Command{c}
				break
			}
		}
	}
	root := &cli.Command{
		Name:        "kage",
		Usage:       "scoped secrets from your OS keychain, for shells and agents",
		Description: rootHelp,
		Version:     kageVersion(),
		Reader:      e.stdin,
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		// Errors come back from Run and are printed once, by report.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "namespace", Usage: "use namespace `NAME` here instead of the detected one (also KAGE_NAMESPACE)"},
		},
		Commands: commands,
		Action:   groupAction,
	}
	setUsageErrors(root)
	return root
}

// groupAction runs for a command that only holds subcommands: with no
// argument it shows help, with an unknown one it is a usage error.
func groupAction(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Present() {
		word := cmd.Args().First()
		hint := fmt.Sprintf("run '%s --help' for the commands", cmd.FullName())
		var names []string
		for _, sub := range cmd.Commands {
			if !sub.Hidden {
				names = append(names, sub.Names()...)
			}
		}
		if s := closest(word, names); s != "" {
			hint = fmt.Sprintf("did you mean '%s %s'? (%s)", cmd.FullName(), s, hint)
		}
		return usagef(hint, "unknown command %q for %s", word, cmd.FullName())
	}
	return cli.ShowSubcommandHelp(cmd)
}

// setUsageErrors makes flag errors of every command usage errors (exit 2)
// with kage's error format instead of the library's help dump.
func setUsageErrors(cmd *cli.Command) {
	cmd.OnUsageError = func(_ context.Context, c *cli.Command, err error, _ bool) error {
		hint := fmt.Sprintf("run '%s --help'", c.FullName())
		if bad, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
			var names []string
			for _, f := range c.VisibleFlags() {
				for _, n := range f.Names() {
					if len(n) > 1 {
						names = append(names, "--"+n)
					}
				}
			}
			if s := closest("--"+strings.TrimLeft(bad, "-"), names); s != "" {
				hint = fmt.Sprintf("did you mean %s? (%s)", s, hint)
			}
		}
		return usagef(hint, "%s", err)
	}
	for _, sub := range cmd.Commands {
		setUsageErrors(sub)
	}
}

// closest is the candidate nearest to word, "" when none is near enough to
// be what was meant: at most one edit (a letter added, dropped, changed or
// two swapped) for a short word, one for every three letters of a longer
// one.
func closest(word string, candidates []string) string {
	best, bestD := "", max(1, len(word)/3)+1
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein with swaps of neighbours), over bytes: names are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Nothing that long is a misspelt command.
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// wantArgs checks the number of positional arguments.
func wantArgs(cmd *cli.Command, n int, names string) error {
	if cmd.NArg() == n {
		return nil
	}
	// The arguments are counted, never shown: one may be a value pasted
	// in the wrong place.
	got := fmt.Sprintf("%d arguments", cmd.NArg())
	if cmd.NArg() == 1 {
		got = "1 argument"
	}
	if n == 0 {
		return usagef("usage: "+cmd.FullName(), "%s takes no arguments, got %s", cmd.FullName(), got)
	}
	hint := fmt.Sprintf("usage: %s %s", cmd.FullName(), names)
	if cmd.NArg() < n {
		return usagef(hint, "%s needs %s", cmd.FullName(), names)
	}
	return usagef(hint, "%s takes %s, got %s", cmd.FullName(), names, got)
}
