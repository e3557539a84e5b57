package leakscan

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kage-cli/kage/internal/safefile"
)

// Why a file was left out.
const (
	SkipTooLarge   = "too large"
	SkipBinary     = "binary"
	SkipNotRegular = "not a regular file"
	SkipUnreadable = "unreadable"
)

// Skip is a file left out of a scan, and why: one of the Skip* reasons,
// and the detail ("a FIFO", "permission denied").
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Options say what a scan reads.
type Options struct {
	// MaxSize is the size past which a file is skipped; 0 is
	// DefaultMaxSize, below 0 no bound.
	MaxSize int64
	// Binary searches files that look binary too.
	Binary bool
	// Progress, when set, is called about ten times a second from one
	// goroutine with what has been read so far, and once at the end.
	Progress func(files int, bytes int64)
}

func (o Options) maxSize() int64 {
	switch {
	case o.MaxSize == 0:
		return DefaultMaxSize
	case o.MaxSize < 0:
		return 0
	}
	return o.MaxSize
}

// Result is what a scan found and what it read.
type Result struct {
	Findings []Finding
	Files    int
	Bytes    int64
	Skipped  []Skip
}

// add takes r's findings and counts into res.
func (res *Result) add(r Result) {
	res.Findings = append(res.Findings, r.Findings...)
	res.Skipped = append(res.Skipped, r.Skipped...)
	res.Files += r.Files
	res.Bytes += r.Bytes
}

// sort puts findings in path, blob, line and name order, skips by path.
func (res *Result) sort() {
	slices.SortFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Blob, b.Blob), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Scope, b.Scope))
	})
	slices.SortFunc(res.Skipped, func(a, b Skip) int { return cmp.Compare(a.Path, b.Path) })
}

// progress counts what workers have read, for Options.Progress.
type progress struct {
	files atomic.Int64
	bytes atomic.Int64
}

// report calls fn every 100 ms until stop is called, then once more.
func (p *progress) report(fn func(int, int64)) (stop func()) {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fn(int(p.files.Load()), p.bytes.Load())
				return
			case <-t.C:
				fn(int(p.files.Load()), p.bytes.Load())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// Walk searches every file under roots (a root may be a file). It does
// not follow symbolic links inside a root (a root that is one is
// followed: the caller named it), does not descend into .git folders
// (Git searches a repository's history), and skips, with the reason,
// files over the size bound, binary files, and whatever is not a regular
// file: a FIFO is never opened for reading. Files are read by as many
// goroutines as there are CPUs.
func (s *Scanner) Walk(ctx context.Context, roots []string, o Options) (Result, error) {
	var res Result
	if s.Empty() {
		return res, nil
	}
	var p progress
	defer p.report(o.Progress)()
	paths := make(chan walked, 256)
	results := make(chan Result, 256)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for w := range paths {
				results <- s.file(w, o, &p)
			}
		})
	}
	collected := make(chan struct{})
	go func() {
		for r := range results {
			res.add(r)
		}
		close(collected)
	}()
	var werr error
	for _, root := range roots {
		if werr = walkRoot(ctx, root, paths, results); werr != nil {
			break
		}
	}
	close(paths)
	wg.Wait()
	close(results)
	<-collected
	res.sort()
	return res, werr
}

// walked is a file to search: the path to open, and the one to report
// (under a root given as a link, the link's).
type walked struct{ open, shown string }

// walkRoot sends the regular files under root to paths and what it
// leaves out to results.
func walkRoot(ctx context.Context, root string, paths chan<- walked, results chan<- Result) error {
	skip := func(path, reason, detail string) {
		results <- Result{Skipped: []Skip{{Path: path, Reason: reason, Detail: detail}}}
	}
	fi, err := os.Stat(root)
	if err != nil {
		skip(root, SkipUnreadable, safefile.Describe(err))
		return nil
	}
	// A root given as a link is walked at its target and reported under
	// the name it was given.
	walk := root
	if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if walk, err = filepath.EvalSymlinks(root); err != nil {
			skip(root, SkipUnreadable, safefile.Describe(err))
			return nil
		}
	}
	if !fi.IsDir() {
		if fi.Mode().IsRegular() {
			paths <- walked{walk, root}
		} else {
			skip(root, SkipNotRegular, kindOf(fi.Mode()))
		}
		return nil
	}
	return filepath.WalkDir(walk, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		shown := root + strings.TrimPrefix(path, walk)
		if err != nil {
			skip(shown, SkipUnreadable, safefile.Describe(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case d.IsDir():
			if d.Name() == ".git" && path != walk {
				return fs.SkipDir
			}
		case t&fs.ModeSymlink != 0:
			// Not followed: a link may lead anywhere, /dev/zero included.
		case t.IsRegular():
			paths <- walked{path, shown}
		default:
			skip(shown, SkipNotRegular, kindOf(t))
		}
		return nil
	})
}

// file searches one file.
func (s *Scanner) file(w walked, o Options, p *progress) Result {
	path := w.shown
	f, fi, err := safefile.Open(w.open, safefile.Options{Max: o.maxSize()})
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		return Result{Skipped: []Skip{{Path: path, Reason: SkipTooLarge, Detail: safefile.Describe(err)}}}
	case errors.Is(err, safefile.ErrNotRegular):
		return Result{Skipped: []Skip{{Path: path, Reason: SkipNotRegular, Detail: safefile.Describe(err)}}}
	case err != nil:
		return Result{Skipped: []Skip{{Path: path, Reason: SkipUnreadable, Detail: safefile.Describe(err)}}}
	}
	defer f.Close()
	found, err := s.Reader(f, path, o.Binary)
	p.files.Add(1)
	p.bytes.Add(fi.Size())
	switch {
	case errors.Is(err, ErrBinary):
		return Result{Files: 1, Skipped: []Skip{{Path: path, Reason: SkipBinary}}}
	case err != nil:
		return Result{Files: 1, Findings: found, Skipped: []Skip{{Path: path, Reason: SkipUnreadable, Detail: safefile.Describe(err)}}}
	}
	return Result{Files: 1, Bytes: fi.Size(), Findings: found}
}

// kindOf names a file type that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
