// Command fanout runs N copies of a program at once, as agents started
// together do, waits for all of them and prints their outputs one after
// another. It fails when any copy fails.
//
//	fanout N PROGRAM [ARGS...]
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: fanout N PROGRAM [ARGS...]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("the count must be a positive number, not %q", args[0])
	}
	outs := make([]bytes.Buffer, n)
	errs := make([]error, n)
	stderrs := make([]bytes.Buffer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command(args[1], args[2:]...)
			cmd.Stdout, cmd.Stderr = &outs[i], &stderrs[i]
			errs[i] = cmd.Run()
		})
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			if failed == 0 {
				fmt.Fprintf(os.Stderr, "fanout: copy %d: %v: %s", i, err, stderrs[i].Bytes())
			}
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d copies failed", failed, n)
	}
	for i := range outs {
		if _, err := os.Stdout.Write(outs[i].Bytes()); err != nil {
			return err
		}
	}
	return nil
}
