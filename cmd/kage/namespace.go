package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/kage-cli/kage/scope"
	"github.com/urfave/cli/v3"
)

func namespaceCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "namespace",
		Usage: "put the current repository in a namespace",
		Description: `A repository's namespace is kept in its local git config (kage.namespace),
never in a file tracked by the repository, so a cloned repository cannot
put itself into namespace:production. Repositories can also join a
namespace by path in config.toml's [namespaces] table.

   kage namespace set backend
   kage namespace show
   kage namespace unset`,
		Action: groupAction,
		Commands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "put this repository in namespace NAME",
				ArgsUsage: "NAME",
				Description: `Writes kage.namespace in this repository's local git config (.git/config,
shared by its linked worktrees). Names are lower-cased.

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
					if err := scope.SetGitNamespace(repo, name); err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "kage: %s is now in namespace:%s\n", displayPath(repo), name)
					return nil
				},
			},
			{
				Name:  "unset",
				Usage: "take this repository out of its namespace",
				Description: `Removes kage.namespace from this repository's local git config. A
namespace from KAGE_NAMESPACE or config.toml still applies.

   kage namespace unset`,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0, "no arguments"); err != nil {
						return err
					}
					repo, err := currentRepo(e, cmd)
					if err != nil {
						return err
					}
					old, err := scope.GitNamespace(repo)
					if err != nil {
						return err
					}
					if old == "" {
						return withHint(fmt.Errorf("%s has no namespace in its git config", displayPath(repo)), "kage namespace show says where a namespace comes from")
					}
					if err := scope.UnsetGitNamespace(repo); err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "kage: %s left namespace:%s\n", displayPath(repo), old)
					return nil
				},
			},
			{
				Name:  "show",
				Usage: "print the namespace of the current directory and where it comes from",
				Description: `Prints the namespace on stdout and where it comes from on stderr
(--namespace, KAGE_NAMESPACE, git config or a config.toml glob).

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
	c, err := e.context(cmd)
	if err != nil {
		return "", err
	}
	if c.Repo == "" {
		return "", withHint(errors.New("not inside a git repository"),
			"cd into the repository first, or map paths to namespaces in config.toml's [namespaces] table")
	}
	return c.Repo, nil
}

// displayPath shows p with ~ for the home folder, as scopes are shown.
func displayPath(p string) string {
	return scope.Scope{Kind: scope.Repo, Path: p}.Display()[len("repo:"):]
}
