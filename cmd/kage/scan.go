package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/internal/safefile"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/leakscan"
	"github.com/kage-cli/kage/subscription"
	"github.com/urfave/cli/v3"
)

func scanCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "scan",
		Usage:     "search files, agent transcripts and git history for the values kage holds",
		ArgsUsage: "[PATH...]",
		Description: `Reads every value kage holds, in one batch, and searches files for them:
as they are, in base64 and base64url at every alignment, percent-encoded,
and escaped for JSON and for the shell. It prints where each was found,
"path:line: NAME (scope)", never the value nor any part of it, and exits 1
when it found one (rotate it: kage secret set NAME --scope S), 0 when
everything is clean.

With no PATH it searches the current repository's work tree and the
folders where coding agents keep transcripts and histories, those that
exist: ~/.claude/projects and ~/.claude/history.jsonl (or under
$CLAUDE_CONFIG_DIR), ~/.codex/sessions and ~/.codex/history.jsonl (or under
$CODEX_HOME), ~/.gemini/tmp, and Aider's ~/.aider.chat.history.md and
~/.aider.input.history (Aider's files in a repository are in its work
tree). --git adds every blob and commit message in the repository's
history.

Files over 64 MiB (--max-size) and binary files (--binary) are skipped,
and counted. Links inside a folder are not followed, .git folders are left
to --git, and a FIFO or a device is never opened. Values shorter than 8
bytes are not searched: they turn up by chance everywhere.

   kage scan
   kage scan --git
   kage scan ~/logs build/output.txt --json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "git", Usage: "also search the current repository's history (every blob, every commit message)"},
			&cli.StringFlag{Name: "max-size", Usage: "skip files larger than `SIZE` (bytes, or with K, M, G: 10M)", Value: "64M"},
			&cli.BoolFlag{Name: "binary", Usage: "search binary files too"},
			&cli.BoolFlag{Name: "json", Usage: "print the findings and what was skipped as JSON"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error { return scanMain(ctx, e, cmd) },
	}
}

func scanMain(ctx context.Context, e *env, cmd *cli.Command) error {
	maxSize, err := parseSize(cmd.String("max-size"))
	if err != nil {
		return usagef("give a size in bytes, or with K, M or G: 10M", "--max-size: %s", err)
	}
	roots := cmd.Args().Slice()
	for _, p := range roots {
		if _, err := os.Lstat(p); err != nil {
			return usagef("give files or folders that exist", "cannot scan %s: %s", display.Path(p), safefile.Describe(err))
		}
	}
	var repo string
	if len(roots) == 0 || cmd.Bool("git") {
		c, err := e.context(cmd)
		if err != nil {
			return err
		}
		repo = c.Repo
	}
	if cmd.Bool("git") && repo == "" {
		return usagef("cd into the repository whose history to search", "--git: not inside a git repository")
	}
	if len(roots) == 0 {
		if repo != "" {
			roots = append(roots, repo)
		}
		roots = append(roots, agentFolders(e.getenv)...)
		if len(roots) == 0 && !cmd.Bool("git") {
			return usagef("give a PATH to scan, or cd into a repository", "nothing to scan: not inside a git repository, and no agent transcripts were found")
		}
	}

	scanner, names, err := loadScanner(ctx, e)
	if err != nil {
		return err
	}
	if len(names.short) > 0 {
		say(e.stderr, "kage: not searched (shorter than %d bytes): %s", leakscan.MinLen, strings.Join(names.short, ", "))
	}
	if scanner.Empty() {
		say(e.stderr, "kage: nothing to search for: kage holds no value of %d bytes or more", leakscan.MinLen)
		return nil
	}
	opts := leakscan.Options{MaxSize: maxSize, Binary: cmd.Bool("binary")}
	raw := e.stderr
	if m, ok := raw.(messageWriter); ok {
		raw = m.w
	}
	showProgress := isTerminal(raw) && !cmd.Bool("json")
	if showProgress {
		opts.Progress = func(files int, n int64) {
			fmt.Fprintf(raw, "\rkage: searched %d files, %s\x1b[K", files, safefile.Size(n&^(1<<20-1)))
		}
	}
	res, err := scanner.Walk(ctx, roots, opts)
	if err == nil && cmd.Bool("git") {
		var hist leakscan.Result
		hist, err = scanner.Git(ctx, repo, opts)
		res.Findings = append(res.Findings, hist.Findings...)
		res.Skipped = append(res.Skipped, hist.Skipped...)
		res.Files += hist.Files
		res.Bytes += hist.Bytes
	}
	if showProgress {
		fmt.Fprint(raw, "\r\x1b[K")
	}
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		if err := scanJSON(e.stdout, res, names.short); err != nil {
			return err
		}
	} else if err := scanReport(e, res); err != nil {
		return err
	}
	if len(res.Findings) > 0 {
		return &exitError{code: exitFailure}
	}
	return nil
}

// scanNames are the secrets a scan left out.
type scanNames struct{ short []string }

// loadScanner reads every value kage holds, in one batch, into a
// Scanner; the values stay in this process.
func loadScanner(ctx context.Context, e *env) (*leakscan.Scanner, scanNames, error) {
	store, err := e.secretsPrepared()
	if err != nil {
		return nil, scanNames{}, err
	}
	entries, err := store.List(ctx)
	if err != nil {
		return nil, scanNames{}, err
	}
	refs := make([]keyring.Ref, len(entries))
	for i, en := range entries {
		refs[i] = keyring.Ref{Scope: en.Scope, Name: en.Name}
	}
	got, err := store.GetMany(ctx, refs)
	if err != nil {
		return nil, scanNames{}, err
	}
	var secrets []leakscan.Secret
	for _, r := range refs {
		if v, ok := got[r]; ok {
			secrets = append(secrets, leakscan.Secret{Name: r.Name, Scope: r.Scope, Value: v})
		}
	}
	s, short := leakscan.New(secrets)
	return s, scanNames{short: short}, nil
}

// scanReport prints the findings, one line each, what was skipped, and
// how to rotate what was found.
func scanReport(e *env, res leakscan.Result) error {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s:%d: %s (%s)\n", findingPlace(f), f.Line, f.Name, scanScope(f.Scope))
	}
	if _, err := io.WriteString(e.stdout, b.String()); err != nil {
		return err
	}
	var large, binary int
	var odd []leakscan.Skip
	for _, s := range res.Skipped {
		switch s.Reason {
		case leakscan.SkipTooLarge:
			large++
		case leakscan.SkipBinary:
			binary++
		default:
			odd = append(odd, s)
		}
	}
	const listed = 20
	for i, s := range odd {
		if i == listed {
			warn(e.stderr, "and %d more files skipped", len(odd)-listed)
			break
		}
		warn(e.stderr, "skipped %s: %s", display.Path(s.Path), strings.TrimPrefix(s.Detail, "is "))
	}
	if large > 0 || binary > 0 {
		say(e.stderr, "kage: skipped %s over the size bound (--max-size) and %s that look binary (--binary)", countFiles(large), countFiles(binary))
	}
	if len(res.Findings) == 0 {
		say(e.stderr, "kage: no value found in %s (%s)", countFiles(res.Files), safefile.Size(res.Bytes))
		return nil
	}
	type key struct{ name, scope string }
	var order []key
	seen := map[key]bool{}
	history := ""
	for _, f := range res.Findings {
		k := key{f.Name, f.Scope}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
		if f.Blob != "" && history == "" {
			history = f.Blob
		}
	}
	say(e.stderr, "kage: found %s holding %s, in %s searched; rotate each:", count(len(res.Findings), "place"), count(len(order), "secret"), countFiles(res.Files))
	for _, k := range order {
		say(e.stderr, "kage:   %s", rotateFix(k.name, k.scope))
	}
	if history != "" {
		say(e.stderr, "kage: a value in the history stays there after it is deleted; git log --all --find-object=%s shows the commits that hold one", history[:12])
	}
	return nil
}

// findingPlace is where a finding is: the file, or for the history the
// object and the path it had.
func findingPlace(f leakscan.Finding) string {
	if f.Blob == "" {
		return display.Path(f.Path)
	}
	if f.Path == "" {
		return "git:" + f.Blob[:12]
	}
	return "git:" + f.Blob[:12] + ":" + display.Safe(f.Path)
}

// scanScope shows a stored scope, a subscription's key as one.
func scanScope(s string) string {
	if sub, ok := subscription.FromScope(s); ok {
		return "subscription " + sub
	}
	return display.Scope(s)
}

// rotateFix is the command that replaces a found value.
func rotateFix(name, sc string) string {
	if sub, ok := subscription.FromScope(sc); ok {
		return fmt.Sprintf("kage subscription add --name %s --overwrite", display.ShellWord(sub))
	}
	return fmt.Sprintf("kage secret set %s --scope %s", name, display.ShellWord(display.Scope(sc)))
}

func scanJSON(w io.Writer, res leakscan.Result, short []string) error {
	out := struct {
		Findings []leakscan.Finding `json:"findings"`
		Skipped  []leakscan.Skip    `json:"skipped"`
		Short    []string           `json:"not_searched"`
		Files    int                `json:"files"`
		Bytes    int64              `json:"bytes"`
	}{res.Findings, res.Skipped, short, res.Files, res.Bytes}
	if out.Findings == nil {
		out.Findings = []leakscan.Finding{}
	}
	if out.Skipped == nil {
		out.Skipped = []leakscan.Skip{}
	}
	if out.Short == nil {
		out.Short = []string{}
	}
	return display.JSON(w, out)
}

func countFiles(n int) string { return count(n, "file") }

// parseSize reads a size in bytes, with an optional K, M or G (powers of
// 1024, an "iB" or "B" after it allowed).
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}

// agentFolders are the transcript and history folders and files of the
// coding agents that exist here.
func agentFolders(getenv func(string) string) []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	claude := filepath.Join(home, ".claude")
	if d := getenv("CLAUDE_CONFIG_DIR"); filepath.IsAbs(d) {
		claude = d
	}
	codex := filepath.Join(home, ".codex")
	if d := getenv("CODEX_HOME"); filepath.IsAbs(d) {
		codex = d
	}
	var out []string
	for _, p := range []string{
		filepath.Join(claude, "projects"), filepath.Join(claude, "history.jsonl"),
		filepath.Join(codex, "sessions"), filepath.Join(codex, "history.jsonl"),
		filepath.Join(home, ".gemini", "tmp"),
		filepath.Join(home, ".aider.chat.history.md"), filepath.Join(home, ".aider.input.history"),
	} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			out = append(out, p)
		}
	}
	return out
}
