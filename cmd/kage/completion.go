package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kage-cli/kage/completions"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

const completionHelp = `Prints the completion script for SHELL. It completes commands and flags,
--scope values, --shell values, the names of stored secrets for get and
delete, and subscription names. Names, scopes, namespaces and subscriptions
come from kage's index, config and subscription bindings only, never from
the keychain, so a TAB never raises a keychain prompt.

bash — a file bash-completion loads on demand:
   kage completion bash > ~/.local/share/bash-completion/completions/kage
   kage completion bash | sudo tee /usr/share/bash-completion/completions/kage
 or in ~/.bashrc:
   eval "$(kage completion bash)"

zsh — a file named _kage in a folder on $fpath, before compinit runs:
   mkdir -p ~/.zfunc && kage completion zsh > ~/.zfunc/_kage
   # in ~/.zshrc, before compinit:  fpath=(~/.zfunc $fpath)
 or in ~/.zshrc, after compinit:
   source <(kage completion zsh)

fish:
   kage completion fish > ~/.config/fish/completions/kage.fish

PowerShell — in $PROFILE:
   kage completion pwsh | Out-String | Invoke-Expression`

// completionCommand prints a completion script.
func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "completion",
		Usage:       "print the completion script for your shell",
		ArgsUsage:   strings.Join(completions.Shells(), "|"),
		Description: completionHelp,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 1, "SHELL"); err != nil {
				return err
			}
			script, err := completions.Script(cmd.Args().First())
			if err != nil {
				return usagef("kage completion --help says how to install each", "%s", err)
			}
			_, err = e.stdout.Write(script)
			return err
		},
	}
}

// completeCommand answers the completion scripts:
//
//	kage __complete scopes [--namespace NS]
//	kage __complete names [--scope S] [--namespace NS]
//	kage __complete namespaces
//	kage __complete subscriptions
//
// It prints one candidate a line and nothing else: any error means no
// candidates, and the exit code is 0, because a completion that writes to
// the terminal or fails would garble the command line being edited. It reads
// config.toml, the index and the subscription bindings only — never the
// keychain, which could prompt or stall a TAB for seconds.
func completeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:   "__complete",
		Hidden: true,
		// Its arguments are parsed here, so a malformed one is ignored
		// instead of becoming a usage error on the user's terminal.
		SkipFlagParsing: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			completeMain(e, cmd.Args().Slice())
			return nil
		},
	}
}

// completeMain prints the candidates for args (KIND, then flags). It needs
// no command tree, so run may call it directly, as it does hook-env.
func completeMain(e *env, args []string) int {
	for _, c := range completeCandidates(e, args) {
		fmt.Fprintln(e.stdout, c)
	}
	return exitOK
}

// completeCandidates returns the candidates for args, KIND then flags.
func completeCandidates(e *env, args []string) []string {
	if len(args) == 0 {
		return nil
	}
	kind, flags := args[0], completeFlags(args[1:])
	c := completeData(e, flags["namespace"])
	var out []string
	switch kind {
	case "scopes":
		out = c.scopes()
	case "names":
		out = c.names(flags["scope"])
	case "namespaces":
		out = c.namespaces()
	case "subscriptions":
		// A broken bindings file costs only the names bound and not
		// stored; the stored ones still complete.
		bs, _ := subscription.Open(e.paths.Data).Load()
		out = c.subscriptions(bs)
	}
	// A line is one candidate: a value that would break that is left out.
	clean := out[:0]
	for _, s := range out {
		if s != "" && !strings.ContainsAny(s, "\n\r\x00") {
			clean = append(clean, s)
		}
	}
	return clean
}

// completeFlags reads --scope, -s and --namespace, as NAME VALUE or
// NAME=VALUE; anything else is ignored.
func completeFlags(args []string) map[string]string {
	flags := map[string]string{}
	names := map[string]string{"--scope": "scope", "-s": "scope", "--namespace": "namespace"}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		key, ok := names[name]
		if !ok {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		flags[key] = value
	}
	return flags
}

// completion is what the candidates are made of: the current directory's
// context (nil when it cannot be detected), the config's namespaces and
// the index.
type completion struct {
	ctx     *scope.Context
	cfgNS   []string
	entries []keyring.Entry
}

// completeData loads what completion needs, skipping what fails to load:
// a broken config still lets the index complete names, and the other way
// round. ns is --namespace as typed on the command line.
func completeData(e *env, ns string) *completion {
	c := &completion{}
	cfg, err := e.config()
	if err != nil {
		cfg = nil
	}
	if cfg != nil {
		for k := range cfg.Namespaces {
			if s, err := scope.Parse("namespace:"+k, nil); err == nil {
				c.cfgNS = append(c.cfgNS, s.Name)
			}
		}
	}
	opts := scope.Options{Config: cfg, Data: e.paths.Data}
	if ns == "" {
		ns, opts.NamespaceFrom = e.getenv("KAGE_NAMESPACE"), "KAGE_NAMESPACE"
	}
	if ns != "" {
		if s, err := scope.Parse("namespace:"+ns, nil); err == nil {
			opts.Namespace = s.Name
		}
	}
	if ctx, err := scope.Detect("", opts); err == nil {
		c.ctx = ctx
	} else if cfg != nil {
		// A malformed [namespaces] glob fails detection; the repository
		// can still be found without the config.
		opts.Config = nil
		c.ctx, _ = scope.Detect("", opts)
	}
	c.entries = e.completionEntries(cfg)
	return c
}

// scopes lists global, the bare repo and namespace forms where they apply
// here, every known namespace and every known repository, the current one
// included. Repositories are written as people read them, with ~.
func (c *completion) scopes() []string {
	out := []string{"global"}
	if _, ok := c.ctx.RepoScope(); ok {
		out = append(out, "repo")
	}
	if _, ok := c.ctx.NamespaceScope(); ok {
		out = append(out, "namespace")
	}
	for _, n := range c.namespaces() {
		out = append(out, "namespace:"+n)
	}
	repos := map[string]bool{}
	if s, ok := c.ctx.RepoScope(); ok {
		repos[s.Display()] = true
	}
	for _, en := range c.entries {
		if s, err := scope.FromCanonical(en.Scope); err == nil && s.Kind == scope.Repo {
			repos[s.Display()] = true
		}
	}
	return append(out, sortedKeys(repos)...)
}

// namespaces lists the namespaces the index, config.toml and the current
// directory know.
func (c *completion) namespaces() []string {
	set := map[string]bool{}
	for _, n := range c.cfgNS {
		set[n] = true
	}
	if s, ok := c.ctx.NamespaceScope(); ok {
		set[s.Name] = true
	}
	for _, en := range c.entries {
		if s, err := scope.FromCanonical(en.Scope); err == nil && s.Kind == scope.Namespace {
			set[s.Name] = true
		}
	}
	return sortedKeys(set)
}

// names lists the names stored in the scope s as typed after --scope, or,
// when s is empty, in the current directory's chain.
func (c *completion) names(s string) []string {
	want := map[string]bool{}
	if s == "" {
		// Without a context (the folder is gone) the chain is global.
		for _, sc := range c.ctx.Chain() {
			want[sc.String()] = true
		}
	} else {
		sc, err := scope.Parse(s, c.ctx)
		switch {
		case err == nil:
			want[sc.String()] = true
		case strings.HasPrefix(s, "repo:"):
			// Parse needs the folder to exist, but a moved or deleted
			// repository's secrets still need deleting: take the path as
			// it is written.
			if p, err := scope.ExpandHome(strings.TrimPrefix(s, "repo:")); err == nil && filepath.IsAbs(p) {
				want["repo:"+filepath.Clean(p)] = true
			}
		}
	}
	set := map[string]bool{}
	for _, en := range c.entries {
		if want[en.Scope] {
			set[en.Name] = true
		}
	}
	return sortedKeys(set)
}

// subscriptions lists the subscriptions the index holds a key of and those
// bound in bs: one bound but not stored still needs naming, to unuse or
// remove it.
func (c *completion) subscriptions(bs []subscription.Binding) []string {
	set := map[string]bool{}
	for _, en := range c.entries {
		if n, ok := subscription.FromScope(en.Scope); ok {
			set[n] = true
		}
	}
	for _, b := range bs {
		set[b.Subscription] = true
	}
	return sortedKeys(set)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
