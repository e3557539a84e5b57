// Command onebyone reads secrets one at a time with go-keyring, as kage
// did before its batch reader, and prints them as NAME=VALUE lines: the
// baseline the batch is measured against.
//
//	onebyone SCOPE NAME [SCOPE NAME ...]
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	gokeyring "github.com/zalando/go-keyring"
)

func main() {
	args := os.Args[1:]
	if len(args)%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: onebyone SCOPE NAME [SCOPE NAME ...]")
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; i < len(args); i += 2 {
		v, err := gokeyring.Get("kage-"+args[i], args[i+1])
		if errors.Is(err, gokeyring.ErrNotFound) {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "onebyone:", err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "%s=%s\n", args[i+1], v)
	}
	if err := w.Flush(); err != nil {
		os.Exit(1)
	}
}
