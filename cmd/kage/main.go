// Command kage keeps credentials in the operating system's keychain and
// hands them to shells and agents as environment variables.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	harden()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
