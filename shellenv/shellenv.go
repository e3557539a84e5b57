// Package shellenv writes the code each shell evaluates to set and unset
// environment variables, one file per shell, each with its own quoting
// rule. Output is deterministic (the caller sorts) and either complete or
// an error: a value a shell cannot hold safely is refused, never mangled.
package shellenv

import (
	"fmt"
	"sort"
	"strings"
)

// Var is one environment variable and its value, any bytes but NUL.
type Var struct {
	Name  string
	Value []byte
}

// Plan is what one evaluation must do, in this order: restore, save, state,
// set, then unset. `kage env` fills only Set; the prompt hook uses all of
// it. The state comes before the first variable is set, so that a set the
// shell refuses (zsh aborts an eval at `path=…`), or any stop half-way,
// leaves KAGE_LOADED naming every variable the plan sets: the next plan
// then unloads them all.
type Plan struct {
	// Restore lists variables kage had loaded and now drops: each gets back
	// the value it had before kage replaced it (kept by Save in a
	// shell-local, unexported variable), or is unset if it had none.
	Restore []string
	// Save lists variables kage is about to replace for the first time:
	// their current value, or the fact that they are unset, is kept
	// shell-locally so Restore can bring it back. A variable already saved
	// is left alone, whether it was set or not: otherwise a second Save
	// would keep kage's own value as the one to restore.
	Save []string
	// Set are the variables to export, sorted by name.
	Set []Var
	// Unset lists variables to remove without restoring anything.
	Unset []string
	// State are kage's own KAGE_* bookkeeping variables to export; their
	// values are printable ASCII and never hold a secret.
	State []Var
}

// Shell renders a Plan for one shell or file format.
type Shell interface {
	// Name is the canonical name: bash, zsh, sh, fish, pwsh, nu, elvish,
	// dotenv or json.
	Name() string
	// Render returns the code for p, or an error naming the variable that
	// this shell cannot hold (invalid UTF-8 for pwsh, nu and json; names
	// equal but for case for pwsh; anything but Set for dotenv and json).
	Render(p Plan) ([]byte, error)
	// EvalLine is how a user loads `kage env` output in this shell, for the
	// hint shown when the output goes to a terminal.
	EvalLine() string
}

var shells = map[string]Shell{}

var aliases = map[string]string{
	"dash": "sh", "ksh": "sh", "mksh": "sh", "posix": "sh",
	"powershell": "pwsh", "pwsh.exe": "pwsh", "powershell.exe": "pwsh",
	"nushell": "nu", "env": "dotenv",
}

// register adds a shell; each shell's file calls it from a var block, not
// init(), so the registry is plain data.
func register(s Shell) Shell {
	shells[s.Name()] = s
	return s
}

// Get returns the shell or format called name (aliases such as dash,
// powershell and nushell are accepted).
func Get(name string) (Shell, error) {
	n := strings.ToLower(name)
	if a, ok := aliases[n]; ok {
		n = a
	}
	if s, ok := shells[n]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("unknown shell %q: use one of %s", name, strings.Join(Names(), ", "))
}

// Names lists the shells and formats kage writes, sorted.
func Names() []string {
	out := make([]string, 0, len(shells))
	for n := range shells {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
