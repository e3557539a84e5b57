package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kage-cli/kage/internal/display"
	"github.com/urfave/cli/v3"
)

func statusCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the current directory's repo, namespace and the secrets that apply",
		Description: `Shows the scope chain for the current directory, most specific first, with
the names each scope holds or gets from a subscription bound to it; * marks
the scope whose value is used. Read from the index and the bindings only:
the keychain is not touched.

   kage status
   kage --namespace staging status
   kage status --json`,
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error { return status(ctx, e, cmd) },
	}
}

type statusSecret struct {
	Name string `json:"name"`
	// Subscription is set when a subscription bound to the scope supplies
	// the name.
	Subscription string `json:"subscription,omitempty"`
	Used         bool   `json:"used"`
	ShadowedBy   string `json:"shadowed_by,omitempty"`
}

type statusScope struct {
	Scope   string         `json:"scope"`
	Secrets []statusSecret `json:"secrets"`
	display string
}

func status(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0, "no arguments"); err != nil {
		return err
	}
	c, err := e.context(cmd)
	if err != nil {
		return err
	}
	warnGitNamespace(e, c)
	store, err := e.secrets()
	if err != nil {
		return err
	}
	l, err := e.lookup(c, "")
	if err != nil {
		return err
	}
	entries, err := store.List(ctx)
	if err != nil {
		return err
	}
	cands, err := candidates(l, entries, e.stderr)
	if err != nil {
		return err
	}
	var chain []statusScope
	for _, s := range c.Chain() {
		ss := statusScope{Scope: s.String(), display: s.Display(), Secrets: []statusSecret{}}
		for _, name := range slices.Sorted(maps.Keys(cands)) {
			for i, src := range cands[name] {
				if src.Forced || src.Scope != s {
					continue
				}
				sec := statusSecret{Name: name, Subscription: src.Sub, Used: i == 0}
				if !sec.Used {
					sec.ShadowedBy = cands[name][0].String()
				}
				ss.Secrets = append(ss.Secrets, sec)
			}
		}
		chain = append(chain, ss)
	}
	if cmd.Bool("json") {
		return display.JSON(e.stdout, struct {
			Dir           string        `json:"dir"`
			Repo          string        `json:"repo"`
			Namespace     string        `json:"namespace"`
			NamespaceFrom string        `json:"namespace_from,omitempty"`
			Ignored       string        `json:"ignored,omitempty"`
			Chain         []statusScope `json:"chain"`
		}{c.Dir, c.Repo, c.Namespace, c.NamespaceFrom, c.Ignored, chain})
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Directory  %s\n", display.Path(c.Dir))
	if c.Repo != "" {
		fmt.Fprintf(&b, "Repo       %s\n", display.Path(c.Repo))
	} else if c.Ignored != "" {
		b.WriteString("Repo       (none: see the warning above)\n")
	} else {
		b.WriteString("Repo       (none: not inside a git repository)\n")
	}
	if c.Namespace != "" {
		fmt.Fprintf(&b, "Namespace  %s (from %s)\n", c.Namespace, c.NamespaceFrom)
	} else {
		b.WriteString("Namespace  (none: set one with kage namespace set NAME)\n")
	}
	b.WriteString("\nChain, most specific first (* = the value used here):\n")
	for _, ss := range chain {
		fmt.Fprintf(&b, "  %s\n", ss.display)
		if len(ss.Secrets) == 0 {
			b.WriteString("      (no secrets)\n")
		}
		for _, sec := range ss.Secrets {
			mark, from := "      ", ""
			if sec.Used {
				mark = "    * "
			}
			if sec.Subscription != "" {
				from = fmt.Sprintf(" ← subscription %s (bound at %s)", sec.Subscription, ss.display)
			}
			if !sec.Used {
				from += fmt.Sprintf(" (shadowed by %s)", sec.ShadowedBy)
			}
			fmt.Fprintf(&b, "%s%s%s\n", mark, sec.Name, from)
		}
	}
	// Paths, scopes and names here come from the file system and the
	// store: each line goes out with its control characters escaped.
	var out strings.Builder
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		text, nl := strings.CutSuffix(line, "\n")
		out.WriteString(sanitize(text))
		if nl {
			out.WriteString("\n")
		}
	}
	_, err = fmt.Fprint(e.stdout, out.String())
	return err
}
