package leakscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// gitSafe are the settings every git Git runs gets, whatever the
// repository's own config says: the repository may be someone else's,
// and none of these commands needs a hook, a filesystem monitor, a pager
// or a transport, each of which git would run as a program. A partial
// clone's missing object would otherwise be fetched, through whatever
// core.sshCommand the repository names: protocol.allow=never and
// GIT_NO_LAZY_FETCH (gitEnv) forbid it.
var gitSafe = []string{
	"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
	"-c", "protocol.allow=never", "-c", "core.sshCommand=false",
	"--no-pager", "--no-replace-objects",
}

// Git searches every blob in the history of the repository whose work
// tree is dir, on every branch and tag (git rev-list --all --objects),
// and every commit's and tag's message: a value committed once and
// deleted since is still in the history. A finding names the object (in
// Blob) and, for a blob, the first path git gives for it. Blobs over
// the size bound and binary ones are skipped, as files are. It needs git
// on $PATH.
func (s *Scanner) Git(ctx context.Context, dir string, o Options) (Result, error) {
	var res Result
	if s.Empty() {
		return res, nil
	}
	git, err := exec.LookPath("git")
	if err != nil {
		return res, errors.New("git is not installed: --git reads the history with it")
	}
	list := exec.CommandContext(ctx, git, append(append([]string{"-C", dir}, gitSafe...), "rev-list", "--all", "--objects")...)
	list.Env = gitEnv()
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err := list.StdoutPipe()
	if err != nil {
		return res, err
	}
	cat := exec.CommandContext(ctx, git, append(append([]string{"-C", dir}, gitSafe...), "cat-file", "--batch")...)
	cat.Env = list.Env
	cat.Stderr = &stderr
	in, err := cat.StdinPipe()
	if err != nil {
		return res, err
	}
	blobs, err := cat.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := list.Start(); err != nil {
		return res, err
	}
	if err := cat.Start(); err != nil {
		list.Process.Kill()
		list.Wait()
		return res, err
	}
	// rev-list's objects go to cat-file as they come; their paths wait
	// here, in the same order, for cat-file's answers.
	names := make(chan string, 1024)
	fed := make(chan error, 1)
	go func() {
		defer close(names)
		defer in.Close()
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if id, path, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " "); ok || id != "" {
				if _, werr := io.WriteString(in, id+"\n"); werr != nil {
					fed <- werr
					return
				}
				names <- path
			}
			if err != nil {
				fed <- nil
				return
			}
		}
	}()
	var p progress
	stop := p.report(o.Progress)
	rerr := s.readBatch(bufio.NewReaderSize(blobs, 1<<16), names, o, &p, &res)
	stop()
	if rerr != nil {
		cat.Process.Kill()
		list.Process.Kill()
	}
	for range names {
	}
	ferr := <-fed
	lerr, cerr := list.Wait(), cat.Wait()
	if err := errors.Join(rerr, ferr, lerr, cerr); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return res, fmt.Errorf("git could not read the history: %s", firstLine(msg))
		}
		return res, fmt.Errorf("git could not read the history: %w", err)
	}
	res.sort()
	return res, nil
}

// readBatch reads cat-file --batch's answers, one per name, and searches
// the blobs among them.
func (s *Scanner) readBatch(r *bufio.Reader, names <-chan string, o Options, p *progress, res *Result) error {
	max := o.maxSize()
	for path := range names {
		head, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("cat-file: %w", err)
		}
		f := strings.Fields(head)
		if len(f) == 2 && f[1] == "missing" {
			continue
		}
		if len(f) != 3 {
			return fmt.Errorf("cat-file said %q", head)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("cat-file said %q", head)
		}
		body := io.LimitReader(r, size)
		switch {
		case f[1] != "blob" && f[1] != "commit" && f[1] != "tag":
			// A tree holds names and ids, and is binary.
		case max > 0 && size > max:
			res.Skipped = append(res.Skipped, Skip{Path: path, Reason: SkipTooLarge, Detail: f[0]})
		default:
			found, err := s.Reader(body, path, o.Binary)
			if errors.Is(err, ErrBinary) {
				res.Skipped = append(res.Skipped, Skip{Path: path, Reason: SkipBinary, Detail: f[0]})
			} else if err != nil {
				return err
			}
			for i := range found {
				found[i].Blob = f[0]
			}
			res.Findings = append(res.Findings, found...)
			res.Files++
			res.Bytes += size
			p.files.Add(1)
			p.bytes.Add(size)
		}
		// What the search left of the blob, and the newline after it.
		if _, err := io.Copy(io.Discard, body); err != nil {
			return err
		}
		if _, err := r.Discard(1); err != nil {
			return err
		}
	}
	return nil
}

// gitEnv is the environment git runs in: the caller's, without what
// would point it at another repository or config, and without a prompt.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
			"GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS":
			continue
		}
		if strings.HasPrefix(k, "GIT_CONFIG_KEY_") || strings.HasPrefix(k, "GIT_CONFIG_VALUE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "GIT_NO_LAZY_FETCH=1")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
