package resolve

import (
	"runtime"
	"strings"

	"github.com/kage-cli/kage/shellenv"
)

// LoadedVar is the prompt hook's record of the names it loaded into the
// shell, colon-separated: names only, never a value.
const LoadedVar = "KAGE_LOADED"

// Environ is the environment of a program kage exec starts: base without
// kage's own variables (kageOwn), without what the prompt hook loaded
// (KAGE_LOADED), which belongs to the folder the shell is in and not
// necessarily to --dir, and without the names the selection held back (a
// variable of that name in the shell is most likely the same secret), and
// then the resolved secrets.
func Environ(base []string, r *Result) []string {
	drop := map[string]bool{}
	for _, kv := range base {
		if k, v, _ := strings.Cut(kv, "="); envKey(k) == LoadedVar {
			for _, n := range LoadedNames(v) {
				drop[envKey(n)] = true
			}
		}
	}
	for _, v := range r.Vars {
		drop[envKey(v.Name)] = true
	}
	for _, h := range r.Held {
		drop[envKey(h.Name)] = true
	}
	out := make([]string, 0, len(base)+len(r.Vars))
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !drop[envKey(k)] && !kageOwn(k) {
			out = append(out, kv)
		}
	}
	for _, v := range r.Vars {
		out = append(out, v.Name+"="+string(v.Value))
	}
	return out
}

// kageOwn tells kage's own variables, which a program kage exec starts
// does not get: every KAGE_* variable but the three that say where and
// how a kage it runs finds the same store (KAGE_HOME, KAGE_BACKEND,
// KAGE_NAMESPACE), and the hook's __kage_* variables. The rest are
// credentials that open the file backend's every scope (KAGE_PASSPHRASE,
// KAGE_AGE_IDENTITY), the prompt hook's state (KAGE_STATE, KAGE_LOADED),
// or a variable a later kage reads, kept from children until it is listed
// here.
func kageOwn(name string) bool {
	k := envKey(name)
	switch k {
	case "KAGE_HOME", "KAGE_BACKEND", "KAGE_NAMESPACE":
		return false
	}
	return strings.HasPrefix(k, "KAGE_") || hasPrefixFold(name, "__kage_")
}

// envKey is how the system compares environment names: Windows ignores
// case.
func envKey(name string) string {
	if runtime.GOOS == "windows" {
		return strings.ToUpper(name)
	}
	return name
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// LoadedNames reads KAGE_LOADED, the names the prompt hook says it
// loaded. The variable comes from the environment, which someone else may
// have written, and every name in it gets unset or restored: only names
// the hook could have loaded are kept (mayHaveLoaded), each once.
func LoadedNames(v string) []string {
	if v == "" {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(v, ":") {
		if !seen[n] && mayHaveLoaded(n) {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// mayHaveLoaded is whether the prompt hook can have loaded a variable
// called name: a valid name (anything else would go unquoted into shell
// code, or make the whole unload fail to render), and not one of kage's
// own — KAGE_* (the hook's state, kage's credentials and settings) and the
// hook's __kage_* copies (__kage_saved_X, nu's __KAGE_SAVED) — which no
// store may hand out.
//
// Other names the name policy refuses stay: one stored with --force may
// have been loaded, and keeping it out of the unload would carry its
// secret into every folder the shell visits next.
func mayHaveLoaded(name string) bool {
	return shellenv.ValidName(name) && !strings.HasPrefix(envKey(name), "KAGE_") && !hasPrefixFold(name, "__kage_")
}
