// Package resolve decides what a program kage starts is given: which of a
// directory's secrets it may have (Selection, from --only, --except and
// config.toml's [exec.PROGRAM]) and how the values it was handed are kept
// out of what it prints (Masker).
package resolve

import (
	"fmt"

	"github.com/kage-cli/kage/envname"
)

// Selection says which names a program is given: those matching Only (all
// when Only is nil), less those matching Except. Except wins.
type Selection struct {
	Only   []string
	Except []string
	// From says where the lists came from, for explanations: "--only",
	// "[exec.claude] in config.toml".
	OnlyFrom, ExceptFrom string
}

// Empty reports whether the selection gives every name.
func (s Selection) Empty() bool { return s.Only == nil && len(s.Except) == 0 }

// Allow reports whether name is given; when it is not, why says why in a
// few words ("not in --only", "--except AWS_*").
func (s Selection) Allow(name string) (ok bool, why string) {
	if p, hit := envname.MatchAny(s.Except, name); hit {
		return false, fmt.Sprintf("%s %s", s.ExceptFrom, p)
	}
	if s.Only != nil {
		if _, hit := envname.MatchAny(s.Only, name); !hit {
			return false, "not in " + s.OnlyFrom
		}
	}
	return true, ""
}
