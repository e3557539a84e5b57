package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"
)

// importCommand stores the variables of a .env file. (Being written.)
func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:   "import",
		Usage:  "store every variable of a .env file",
		Hidden: true,
		Action: func(context.Context, *cli.Command) error { return errors.New("not implemented yet") },
	}
}
