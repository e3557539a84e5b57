package envname

import (
	"fmt"
	"strings"
)

// ParseList reads a list of names as --only and --except take them:
// comma-separated, each a variable name or a glob of one in which * stands
// for any run of characters ("AWS_*"). Space around a name is ignored; an
// empty name, or one with any character a variable name cannot hold, is an
// error, so a typo never widens or narrows the list unnoticed.
func ParseList(list string) ([]string, error) {
	parts := strings.Split(list, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if err := CheckGlob(p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CheckGlob reports whether p is a name or a glob of names: letters,
// digits, _ and *, not starting with a digit.
func CheckGlob(p string) error {
	if p == "" {
		return fmt.Errorf("empty name in the list; separate names with single commas, like A,B_*")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '_' || c == '*', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return fmt.Errorf("%s is not a variable name or a glob of one (letters, digits, _ and *, not starting with a digit)", quoted(p))
		}
	}
	return nil
}

// IsGlob reports whether p names more than one name.
func IsGlob(p string) bool { return strings.Contains(p, "*") }

// MatchGlob reports whether name matches the pattern p, in which * stands for
// any run of characters, the empty one included.
func MatchGlob(p, name string) bool {
	for {
		star := strings.IndexByte(p, '*')
		if star < 0 {
			return p == name
		}
		if !strings.HasPrefix(name, p[:star]) {
			return false
		}
		name, p = name[star:], p[star+1:]
		if p == "" {
			return true
		}
		if !strings.Contains(p, "*") {
			return strings.HasSuffix(name, p)
		}
		// The literal up to the next * is matched at its first place:
		// a later place leaves no more for the rest of the pattern.
		next := strings.IndexByte(p, '*')
		i := strings.Index(name, p[:next])
		if i < 0 {
			return false
		}
		name, p = name[i+next:], p[next:]
	}
}
