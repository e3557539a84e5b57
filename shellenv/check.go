package shellenv

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidName reports whether name can be an environment variable kage
// sets: [A-Za-z_][A-Za-z0-9_]*. `kage secret set` refuses other names, and
// every encoder checks again, since it writes names unquoted into shell
// code: defence in depth against a name that reached a Plan some other way
// (an index edited by hand, a remote backend).
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkPlan refuses a Plan that no encoder may write: a name in any section
// that is not a plain identifier, a value holding NUL (an environment
// cannot hold it, and the shells would cut the value there), a name set
// twice (the output would depend on which one a reader keeps), a variable
// to set or save that is kage's own (see ownName), and a variable to set
// that is also part of the state: the state is written before the
// variables, so such a variable would overwrite KAGE_LOADED with a list of
// its choosing.
func checkPlan(shell string, p Plan) error {
	names := [][]string{p.Restore, p.Save, p.Unset}
	for _, list := range names {
		for _, n := range list {
			if !ValidName(n) {
				return badName(shell, n)
			}
		}
	}
	for _, vars := range [][]Var{p.Set, p.State} {
		seen := make(map[string]bool, len(vars))
		for _, v := range vars {
			if !ValidName(v.Name) {
				return badName(shell, v.Name)
			}
			if seen[v.Name] {
				return fmt.Errorf("%s: variable %s is set twice in one plan", shell, v.Name)
			}
			seen[v.Name] = true
			if bytes.IndexByte(v.Value, 0) >= 0 {
				return fmt.Errorf("%s: variable %s: the value holds a NUL byte, which no environment variable can hold", shell, v.Name)
			}
		}
	}
	for _, n := range p.Save {
		if ownName(n) {
			return ownNameErr(shell, n)
		}
	}
	state := make(map[string]bool, len(p.State))
	for _, v := range p.State {
		state[v.Name] = true
	}
	for _, v := range p.Set {
		if ownName(v.Name) {
			return ownNameErr(shell, v.Name)
		}
		if state[v.Name] {
			return fmt.Errorf("%s: variable %s is kage's own state and cannot be set as a secret; rename the secret", shell, v.Name)
		}
	}
	return nil
}

// ownName reports whether name is in the space of the shell-local
// variables the hook keeps saved values in (__kage_saved_NAME,
// __kage_unset_NAME, nushell's __KAGE_SAVED), in any case. A secret there
// would survive the unload and hand its value back as what the user had:
// a secret named __kage_saved_HOME replaces HOME when the user leaves the
// repository.
func ownName(name string) bool {
	return len(name) >= len("__kage_") && strings.EqualFold(name[:len("__kage_")], "__kage_")
}

func ownNameErr(shell, name string) error {
	return fmt.Errorf("%s: variable %s: names starting with __kage_ are kage's own; rename the secret", shell, name)
}

// isHookPlan reports whether p is the prompt hook's (it saves, restores,
// unsets or records state) rather than plain `kage env` output.
func isHookPlan(p Plan) bool {
	return len(p.Restore)+len(p.Save)+len(p.Unset)+len(p.State) > 0
}

func badName(shell, name string) error {
	return fmt.Errorf("%s: %q is not a valid variable name: use letters, digits and _, not starting with a digit", shell, name)
}

// setOnly refuses a hook plan for formats that only list values (dotenv,
// json): silently dropping an unset or a restore would leave a secret
// loaded that the caller meant to remove.
func setOnly(shell string, p Plan) error {
	if isHookPlan(p) {
		return fmt.Errorf("%s output can only set variables: it cannot save, restore or unset them; use a shell", shell)
	}
	return nil
}

// requireUTF8 refuses values that are not valid UTF-8, for the shells and
// formats whose strings cannot hold arbitrary bytes (pwsh, nu, json). Go's
// encoding/json would otherwise replace each bad byte with U+FFFD without
// a word, handing the program a different secret.
func requireUTF8(shell string, vars []Var) error {
	for _, v := range vars {
		if !utf8.Valid(v.Value) {
			return fmt.Errorf("%s: variable %s: the value is not valid UTF-8, which %s cannot hold; use another shell or `kage exec`", shell, v.Name, shell)
		}
	}
	return nil
}

// sameButCase refuses two names equal but for case anywhere in the plan,
// for shells on systems where environment names are case-insensitive
// (PowerShell on Windows): the second would silently overwrite the first.
func sameButCase(shell string, p Plan) error {
	seen := map[string]string{}
	check := func(n string) error {
		k := strings.ToUpper(n)
		if prev, ok := seen[k]; ok && prev != n {
			return fmt.Errorf("%s: variables %s and %s differ only in case, which Windows treats as one variable; rename one", shell, prev, n)
		}
		seen[k] = n
		return nil
	}
	for _, list := range [][]string{p.Restore, p.Save, p.Unset} {
		for _, n := range list {
			if err := check(n); err != nil {
				return err
			}
		}
	}
	for _, vars := range [][]Var{p.Set, p.State} {
		for _, v := range vars {
			if err := check(v.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// savedVar is the shell-local name that holds a variable's value from before
// kage replaced it. Names are checked identifiers, so the result is one too.
func savedVar(name string) string { return "__kage_saved_" + name }

// unsetVar is the shell-local flag, in the shells whose variables cannot
// hold "nothing" (POSIX sh, fish), that records that the variable was unset
// before kage set it. Its prefix differs from savedVar's so that no
// variable's flag can be another variable's saved value.
func unsetVar(name string) string { return "__kage_unset_" + name }
