package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"
)

// doctorCommand checks kage's set-up. (Being written.)
func doctorCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:   "doctor",
		Usage:  "check the keychain, config, index and hook, and say how to fix what is wrong",
		Hidden: true,
		Action: func(context.Context, *cli.Command) error { return errors.New("not implemented yet") },
	}
}
