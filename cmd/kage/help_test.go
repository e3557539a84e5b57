package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// TestEveryCommandHasExamples walks the command tree: each command a user
// can see must show at least one example line in its --help.
func TestEveryCommandHasExamples(t *testing.T) {
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	var walk func(c *cli.Command, path string)
	walk = func(c *cli.Command, path string) {
		if c.Hidden {
			return
		}
		name := strings.TrimSpace(path + " " + c.Name)
		if path == "" {
			name = c.Name
		}
		var example bool
		for _, line := range strings.Split(c.Description, "\n") {
			// Examples are indented; prose is not.
			if strings.HasPrefix(line, "   ") && strings.Contains(line, "kage ") {
				example = true
			}
		}
		if !example {
			t.Errorf("%q has no example in its --help (add lines like \"   kage …\" to its Description)", name)
		}
		for _, sub := range c.Commands {
			walk(sub, name)
		}
	}
	walk(newApp(e, nil), "")

	// And the help really shows them.
	var out bytes.Buffer
	e.stdout = &out
	if err := newApp(e, nil).Run(t.Context(), []string{"kage", "secret", "set", "--help"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "kage secret set DB_PASSWORD --scope namespace:backend") {
		t.Fatalf("secret set --help lacks its examples:\n%s", out.String())
	}
}
