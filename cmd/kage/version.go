package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v3"
)

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print kage's version",
		Description: `Prints the version set at build time (make build uses git describe), or
the module version go install recorded, with the Go version and platform.

   kage version
   kage --version`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0, "no arguments"); err != nil {
				return err
			}
			_, err := fmt.Fprintf(e.stdout, "kage %s (%s, %s/%s)\n", kageVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
