package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"github.com/kage-cli/kage/resolve"
)

// maskedStreams says which of kage's outputs a child's output is masked
// on its way to: those that are neither a terminal nor the null device. An
// interactive agent keeps its terminal; a transcript, a log or a pipe gets
// the markers; what goes nowhere needs none.
func maskedStreams() (stdout, stderr bool) {
	null, _ := os.Stat(os.DevNull)
	masks := func(f *os.File) bool {
		if isTerminal(f) {
			return false
		}
		fi, err := f.Stat()
		return err != nil || null == nil || !os.SameFile(fi, null)
	}
	return masks(os.Stdout), masks(os.Stderr)
}

// runMasked runs the program as kage's child with its stdout (when
// maskOut) and stderr (when maskErr) through a resolve.Masker, and ends
// as the child ended: its exit code, or its death by the same signal.
// Stdin is the child's own, unread by kage. The signals a user or a
// supervisor sends kage are passed on (shouldForward).
func runMasked(path string, args, env []string, secrets []resolve.Secret, maskOut, maskErr bool) error {
	settle()
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	var copies sync.WaitGroup
	var maskers []*resolve.Masker
	var readers, writers, streams []*os.File
	pipe := func(to *os.File) (*os.File, error) {
		r, w, err := blockingPipe()
		if err != nil {
			return nil, err
		}
		m := resolve.NewMasker(to, secrets)
		maskers, streams = append(maskers, m), append(streams, to)
		readers, writers = append(readers, r), append(writers, w)
		copies.Add(1)
		go func() {
			defer copies.Done()
			// Only an io.Reader: *os.File's WriteTo would copy through
			// a buffer of its own, of 32 KiB, twice the reads and writes.
			buf := make([]byte, 128<<10)
			if _, err := io.CopyBuffer(m, struct{ io.Reader }{r}, buf); err != nil {
				// kage's own output is gone: closing the pipe gives the
				// child the EPIPE it would have had writing there itself.
				r.Close()
			}
		}()
		return w, nil
	}
	closeAll := func() {
		for _, f := range append(readers, writers...) {
			f.Close()
		}
	}
	var err error
	if maskOut {
		if cmd.Stdout, err = pipe(os.Stdout); err != nil {
			closeAll()
			return fmt.Errorf("cannot run %s: %w", path, err)
		}
	}
	if maskErr {
		if cmd.Stderr, err = pipe(os.Stderr); err != nil {
			closeAll()
			return fmt.Errorf("cannot run %s: %w", path, err)
		}
	}
	sigs := make(chan os.Signal, 8)
	if len(forwarded) > 0 {
		// Notify with no signals would take every one.
		signal.Notify(sigs, forwarded...)
	}
	defer signal.Stop(sigs)
	unharden()
	err = cmd.Start()
	harden()
	// Only the child writes to the pipes now: their ends here would keep
	// the copies from ever seeing the end of its output.
	for _, w := range writers {
		w.Close()
	}
	if err != nil {
		for _, r := range readers {
			r.Close()
		}
		return fmt.Errorf("cannot run %s: %w", path, err)
	}
	exited, finished := make(chan struct{}), make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				select {
				case <-exited:
					// The child is gone, and what keeps kage is output
					// from whatever it left running: a signal now is
					// for kage, which ends as it would without masking.
					for _, r := range readers {
						r.Close()
					}
					closeMaskers(maskers)
					dieBy(s.(syscall.Signal))
				default:
				}
				if shouldForward(s) {
					_ = cmd.Process.Signal(s)
				}
			case <-finished:
				return
			}
		}
	}()
	werr := cmd.Wait()
	close(exited)
	// The child's output ends when every process holding the pipes (the
	// child and whatever it left running) is done with them.
	copies.Wait()
	signal.Stop(sigs)
	close(finished)
	closeMaskers(maskers)
	noteMasked(maskers, streams)
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if sig, ok := killedBy(ee.ProcessState); ok {
			dieBy(sig)
		}
		return &exitError{code: ee.ExitCode()}
	}
	if werr != nil {
		return fmt.Errorf("cannot run %s: %w", path, werr)
	}
	return nil
}

func closeMaskers(ms []*resolve.Masker) {
	for _, m := range ms {
		_ = m.Close()
	}
}

// noteMasked says on stderr when values were masked in the program's
// standard output going to a regular file: a dump, an archive or a state
// file written there is then not what the program wrote. (Its stderr
// going to a file is a log, where the markers are what is wanted.)
func noteMasked(ms []*resolve.Masker, to []*os.File) {
	for i, m := range ms {
		n := m.Masked()
		if to[i] != os.Stdout || n == 0 {
			continue
		}
		if fi, err := to[i].Stat(); err == nil && fi.Mode().IsRegular() {
			say(os.Stderr, "kage: masked %d %s in the program's stdout, which goes to a file; kage exec --no-mask writes them as they are", n, plural(n, "value", "values"))
		}
	}
}
