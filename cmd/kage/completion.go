package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"
)

// completionCommand prints a completion script. (Being written.)
func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:   "completion",
		Usage:  "print the completion script for your shell",
		Hidden: true,
		Action: func(context.Context, *cli.Command) error { return errors.New("not implemented yet") },
	}
}

// completeCommand answers the completion scripts. (Being written.)
func completeCommand(e *env) *cli.Command {
	return &cli.Command{Name: "__complete", Hidden: true,
		Action: func(context.Context, *cli.Command) error { return errors.New("not implemented yet") }}
}
