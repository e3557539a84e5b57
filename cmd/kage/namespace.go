package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/scope"
	"github.com/urfave/cli/v3"
)

func namespaceCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "namespace",
		Usage: "put the current repository in a namespace",
		Description: `kage records a repository's namespace in its own data folder
(` + scope.MembershipFile + `, keyed by the repository's path), never in the repository
or its .git: a cloned repository, a downloaded archive or another user's
folder cannot put itself into namespace:production. Repositories can also
join a namespace by path in config.toml's [namespaces] table.

   kage namespace set backend
   kage namespace show
   kage namespace unset`,
		Action: groupAction,
		Commands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "put this repository in namespace NAME",
				ArgsUsage: "NAME",
				Description: `Records in kage's data folder (` + scope.MembershipFile + `) that this repository,
and every linked worktree of it, is in namespace NAME. Names are
lower-cased. Earlier versions kept this in .git/config (kage.namespace),
which kage no longer reads: run this once to keep such a namespace.

   cd ~/code/api && kage namespace set backend`,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 1, "NAME"); err != nil {
						return err
					}
					name, err := namespaceArg(cmd.Args().First(), "")
					if err != nil {
						return err
					}
					repo, err := currentRepo(e, cmd)
					if err != nil {
						return err
					}
					old, err := scope.SetMembership(ctx, e.paths.Data, repo, name, e.now())
					if err != nil {
						return err
					}
					switch old {
					case name:
						fmt.Fprintf(e.stderr, "kage: %s is already in namespace:%s\n", display.Path(repo), name)
					case "":
						fmt.Fprintf(e.stderr, "kage: %s is now in namespace:%s\n", display.Path(repo), name)
					default:
						fmt.Fprintf(e.stderr, "kage: %s is now in namespace:%s (was namespace:%s)\n", display.Path(repo), name, old)
					}
					return nil
				},
			},
			{
				Name:  "unset",
				Usage: "take this repository out of its namespace",
				Description: `Removes this repository's namespace from kage's data folder. A namespace
from --namespace, KAGE_NAMESPACE or config.toml still applies.

   kage namespace unset`,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0, "no arguments"); err != nil {
						return err
					}
					repo, err := currentRepo(e, cmd)
					if err != nil {
						return err
					}
					old, err := scope.UnsetMembership(ctx, e.paths.Data, repo)
					if err != nil {
						return err
					}
					if old == "" {
						// Already as asked: a note, not a failure, so that a
						// script can run it whatever the state.
						say(e.stderr, "kage: %s has no namespace of its own; nothing to do (kage namespace show says where a namespace comes from)", display.Path(repo))
						return nil
					}
					fmt.Fprintf(e.stderr, "kage: %s left namespace:%s\n", display.Path(repo), old)
					return nil
				},
			},
			{
				Name:  "show",
				Usage: "print the namespace of the current directory and where it comes from",
				Description: `Prints the namespace on stdout and where it comes from on stderr
(--namespace, KAGE_NAMESPACE, kage namespace set or a config.toml glob).

   kage namespace show
   NS="$(kage namespace show 2>/dev/null)"`,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0, "no arguments"); err != nil {
						return err
					}
					c, err := e.context(cmd)
					if err != nil {
						return err
					}
					warnGitNamespace(e, c)
					if c.Namespace == "" {
						fmt.Fprintln(e.stderr, "kage: no namespace here; set one with: kage namespace set NAME")
						return nil
					}
					if _, err := fmt.Fprintln(e.stdout, c.Namespace); err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "kage: from %s\n", c.NamespaceFrom)
					return nil
				},
			},
		},
	}
}

// gitNamespaceNotice is what status, namespace show and doctor say about a
// kage.namespace left in the repository's git config by an earlier kage,
// or "" when there is none or it is the namespace in effect anyway.
func gitNamespaceNotice(c *scope.Context) (notice, fix string, err error) {
	v, _, err := scope.IgnoredGitNamespace(c)
	if err != nil || v == "" {
		return "", "", err
	}
	word := scope.NamespaceWord(v)
	n, err := namespaceArg(v, "")
	if err == nil && n == c.Namespace {
		return "", "", nil
	}
	if err != nil {
		return fmt.Sprintf("this repository's git config names namespace %s, which kage no longer reads (and is not a valid name)", word),
			"git config --local --unset kage.namespace", nil
	}
	return fmt.Sprintf("this repository's git config names namespace %s, which kage no longer reads; accept it with kage namespace set %s", word, n),
		"kage namespace set " + n, nil
}

// warnGitNamespace prints gitNamespaceNotice as a warning; a config that
// cannot be read is only worth a warning here too.
func warnGitNamespace(e *env, c *scope.Context) {
	n, _, err := gitNamespaceNotice(c)
	if err != nil {
		n = err.Error()
	}
	if n != "" {
		fmt.Fprintf(e.stderr, "kage: warning: %s\n", display.OneLine(n))
	}
}

// namespaceArg validates and lower-cases a namespace name a user typed.
func namespaceArg(name, from string) (string, error) {
	sc, err := scope.Parse("namespace:"+name, nil)
	if err != nil {
		if from != "" {
			err = fmt.Errorf("%s: %w", from, err)
		}
		return "", usagef("namespace names look like backend, prod-eu or team.api", "%s", err)
	}
	return sc.Name, nil
}

// currentRepo is the repository of the current directory, or an error
// saying how to get one.
func currentRepo(e *env, cmd *cli.Command) (string, error) {
	c, err := e.detect(cmd, "")
	if err != nil {
		return "", err
	}
	if c.Ignored != "" {
		return "", errors.New(c.Ignored)
	}
	if c.Repo == "" {
		return "", withHint(errors.New("not inside a git repository"),
			"cd into the repository first, or map paths to namespaces in config.toml's [namespaces] table")
	}
	return c.Repo, nil
}
