package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/internal/display"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/scope"
	"github.com/kage-cli/kage/shellenv"
	"github.com/urfave/cli/v3"
)

// maxShownProblems bounds the lines printed for a bad file: a binary file
// given by mistake would otherwise print one per line.
const maxShownProblems = 20

// importCommand stores the variables of a .env file.
func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "store every variable of a .env file",
		ArgsUsage: "FILE",
		Description: `Reads FILE as a .env file and stores each variable in one scope. The whole
file is checked first, every line, name and size, and nothing is stored
unless all of it is valid. Names that already exist in the scope need
--overwrite. FILE is left in place: delete it once you have checked.

   kage secret import .env
   kage secret import .env --scope repo --dry-run     # names only, nothing stored
   kage secret import prod.env --scope namespace:prod --overwrite

The syntax, as docker compose and the dotenv libraries read it where they
agree: NAME=value, optionally after "export "; # comments; 'single quotes'
literal; "double quotes" with \\ \" \$ ` + "\\`" + ` \n \r \t \xHH and real line breaks.
No blanks around "=", no $ or ` + "`" + ` unescaped (kage expands nothing), no empty
values. kage env --shell dotenv writes this syntax, so a file it wrote
imports back exactly.`,
		Flags: []cli.Flag{
			scopeFlag("store in `SCOPE`: global (default), namespace:<name>, repo:<path>, repo or namespace"),
			&cli.BoolFlag{Name: "overwrite", Usage: "replace secrets that already exist in the scope"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the file and print the names it would store; store nothing"},
			&cli.BoolFlag{Name: "force", Usage: "store names kage refuses (PATH, LD_PRELOAD, …), recorded as forced so that they are exported"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error { return secretImport(ctx, e, cmd) },
	}
}

// importItem is one variable to store and whether it replaces a stored one.
type importItem struct {
	shellenv.DotenvEntry
	replace bool
}

func secretImport(ctx context.Context, e *env, cmd *cli.Command) error {
	if err := wantArgs(cmd, 1, "FILE"); err != nil {
		return err
	}
	file := cmd.Args().First()
	sc, _, err := e.scopeFlag(cmd, "global")
	if err != nil {
		return err
	}
	store, err := e.secrets()
	if err != nil {
		return err
	}
	data, regular, err := readImportFile(file)
	if err != nil {
		return err
	}
	items, err := checkImport(ctx, e, store, file, data, sc, cmd.Bool("force"), cmd.Bool("overwrite"))
	if err != nil {
		return err
	}
	if cmd.Bool("dry-run") {
		return printDryRun(e, items, sc)
	}
	if err := storeImport(ctx, e, store, items, sc); err != nil {
		return err
	}
	if cmd.Bool("force") {
		var forced []string
		for _, it := range items {
			if r, refused := envname.Refused(it.Name); refused && r.Forceable() {
				forced = append(forced, it.Name)
			}
		}
		if len(forced) > 0 {
			if err := recordForced(ctx, e, sc, forced); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "kage: recorded as forced, so that kage exports them: %s\n", strings.Join(forced, ", "))
		}
	}
	if regular {
		q := shellQuote(file)
		fmt.Fprintf(e.stderr, "kage: imported %s into %s; %s still holds %s in plain text — delete it (e.g. shred -u %s) once you have checked\n",
			count(len(items), "secret"), sc.Display(), q, plural(len(items), "it", "them"), q)
	} else {
		// A pipe or a device (kage secret import <(op inject …)) leaves
		// nothing behind to delete.
		fmt.Fprintf(e.stderr, "kage: imported %s into %s\n", count(len(items), "secret"), sc.Display())
	}
	if sc.Kind == scope.Repo {
		if c, err := scope.Detect(sc.Path, scope.Options{}); err == nil && c.Repo != sc.Path {
			fmt.Fprintf(e.stderr, "kage: note: %s is not a git repository; its secrets apply once it is one\n", display.Path(sc.Path))
		}
	}
	return nil
}

// readImportFile reads FILE whole, refusing a directory and anything over
// keyring.MaxInput. regular tells whether it is a plain file that stays on
// disk after the import.
func readImportFile(path string) (data []byte, regular bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err))
	}
	if fi.IsDir() {
		return nil, false, withHint(fmt.Errorf("%s is a directory, not a .env file", path), "name the file: kage secret import path/to/.env")
	}
	// The limit holds for pipes too, whose size Stat does not know.
	data, err = io.ReadAll(io.LimitReader(f, keyring.MaxInput+1))
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err))
	}
	if len(data) > keyring.MaxInput {
		return nil, false, fmt.Errorf("%s holds more than %d bytes (1 MiB), the most kage reads; nothing was stored", path, keyring.MaxInput)
	}
	return data, fi.Mode().IsRegular(), nil
}

// checkImport validates everything before anything is stored: the syntax
// of every line, every name as `kage secret set` checks it, every size, and
// which names already exist in the scope. It prints every problem with its
// line number and returns one error, or the items to store in file order.
func checkImport(ctx context.Context, e *env, store keyring.Store, file string, data []byte, sc scope.Scope, force, overwrite bool) ([]importItem, error) {
	entries, perr := shellenv.ParseDotenvEntries(data)
	var problems []shellenv.DotenvLineError
	var de *shellenv.DotenvError
	if errors.As(perr, &de) {
		problems = append(problems, de.Lines...)
	} else if perr != nil {
		return nil, perr
	}
	refused := false
	for _, en := range entries {
		msg := ""
		if err := checkName(en.Name, force); err != nil {
			msg = err.Error()
			r, no := envname.Refused(en.Name)
			refused = refused || envname.Valid(en.Name) && no && r.Forceable()
		} else if limit := store.MaxValue(sc.String(), en.Name); len(en.Value) > limit {
			msg = fmt.Sprintf("the value of %s is %d bytes; this store holds at most %d", en.Name, len(en.Value), limit)
		}
		if msg != "" {
			problems = append(problems, shellenv.DotenvLineError{Line: en.Line, Msg: msg})
		}
	}
	sortProblems(problems)

	stored, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	inScope := map[string]bool{}
	for _, s := range stored {
		if s.Scope == sc.String() {
			inScope[s.Name] = true
		}
	}
	var items []importItem
	var existing []string
	for _, en := range entries {
		exists := inScope[en.Name]
		if exists && !overwrite {
			existing = append(existing, en.Name)
		}
		items = append(items, importItem{DotenvEntry: en, replace: exists})
	}

	if len(problems) > 0 {
		for i, p := range problems {
			if i == maxShownProblems {
				fmt.Fprintf(e.stderr, "kage: %s: … and %d more %s\n", file, len(problems)-i, plural(len(problems)-i, "invalid line", "invalid lines"))
				break
			}
			fmt.Fprintf(e.stderr, "kage: %s: %s\n", file, p.Error())
		}
		if len(existing) > 0 {
			fmt.Fprintf(e.stderr, "kage: %s: already in %s (--overwrite replaces them): %s\n", file, sc.Display(), strings.Join(existing, ", "))
		}
		hint := "fix the lines above and run the import again"
		if refused {
			hint += "; --force stores names kage refuses, recorded as forced"
		}
		return nil, withHint(fmt.Errorf("%s has %s; nothing was stored", file, count(len(problems), "invalid line")), hint)
	}
	if len(existing) > 0 {
		return nil, withHint(fmt.Errorf("%s already %s in %s: %s; nothing was stored", count(len(existing), "secret"),
			plural(len(existing), "exists", "exist"), sc.Display(), strings.Join(existing, ", ")),
			"pass --overwrite to replace them")
	}
	if len(items) == 0 {
		return nil, withHint(fmt.Errorf("%s holds no variables; nothing was stored", file), "write one NAME=value a line")
	}
	return items, nil
}

// sortProblems orders problems by line; the parser's come sorted, the
// name and size checks are merged in.
func sortProblems(ps []shellenv.DotenvLineError) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Line < ps[j-1].Line; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// printDryRun lists the names, never the values, on stdout.
func printDryRun(e *env, items []importItem, sc scope.Scope) error {
	width := 0
	for _, it := range items {
		width = max(width, len(it.Name))
	}
	var b strings.Builder
	for _, it := range items {
		what := "new"
		if it.replace {
			what = "replace"
		}
		fmt.Fprintf(&b, "%-*s  %s\n", width, it.Name, what)
	}
	if _, err := fmt.Fprint(e.stdout, b.String()); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "kage: dry run: would import %s into %s; nothing was stored\n", count(len(items), "secret"), sc.Display())
	return nil
}

// storeImport stores the items in file order, each with one atomic Set.
// On a failure it stops and rolls nothing back: a keychain that just
// failed would most likely fail the deletes too, and a replaced value
// cannot be put back without having read it first. It says instead exactly
// which names were stored and which were not; running the same import
// again with --overwrite finishes the job, since it rewrites the stored
// ones with the same values.
func storeImport(ctx context.Context, e *env, store keyring.Store, items []importItem, sc scope.Scope) error {
	for i, it := range items {
		err := ctx.Err()
		if err == nil {
			err = store.Set(ctx, sc.String(), it.Name, it.Value)
		}
		if err == nil {
			continue
		}
		if i == 0 {
			return describe(err, sc)
		}
		names := func(its []importItem) string {
			n := make([]string, len(its))
			for j, x := range its {
				n[j] = x.Name
			}
			return strings.Join(n, ", ")
		}
		fmt.Fprintf(e.stderr, "kage: stored %d of %d secrets in %s before the failure: %s\n", i, len(items), sc.Display(), names(items[:i]))
		fmt.Fprintf(e.stderr, "kage: not stored: %s\n", names(items[i:]))
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(e.stderr, "kage: run the same import with --overwrite to store the rest\n")
			// Not context.Canceled itself: report would say nothing changed.
			return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
		}
		fmt.Fprintf(e.stderr, "kage: once the cause is fixed, run the same import with --overwrite to store the rest\n")
		return describe(err, sc)
	}
	return nil
}

// count writes "1 secret", "2 secrets".
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, plural(n, noun, noun+"s"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shellQuote quotes a path for the sh command line in the reminder, only
// when it needs it.
func shellQuote(s string) string {
	if strings.HasPrefix(s, "-") {
		s = "./" + s // not an option to shred
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+,:@%=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
