// Package hookstamp lets the prompt hook tell, with a few stat calls and
// nothing else, that nothing kage's answer depends on has changed since
// the last prompt. kage hook-env, after a full check, lists the files and
// folders that answer was read from (the scope context's Inputs, kage's
// state files); the list and a sum of their stamps go into KAGE_WATCH. At
// the next prompt the small kage-hook program recomputes the sum over the
// same list and stays silent when it is unchanged, so the prompt costs
// what a static program does and never loads kage's packages.
//
// The package is kage-hook's only dependency besides the runtime: it
// imports syscall alone on Unix, since every package it pulled in would be
// initialised at every prompt.
package hookstamp

// Var is the shell variable holding the watch list.
const Var = "KAGE_WATCH"

// Env lists the variables whose values decide which files kage reads and
// what it finds there: kage's folders (KAGE_HOME, the XDG and Windows
// ones, HOME), KAGE_NAMESPACE, what git's ownership and safe.directory
// rules read, and the hook's own state, so that a shell that unset
// KAGE_STATE is checked in full again.
var Env = []string{
	"KAGE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "HOME", "APPDATA",
	"KAGE_NAMESPACE", "SUDO_UID",
	"GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_GLOBAL",
	"KAGE_STATE", "KAGE_LOADED",
}

// version starts every watch list; a kage-hook that finds another one
// (an older or newer kage) leaves the check to kage.
const version = "w1 "

// Snapshot is the stamps of a list of paths, taken before kage reads
// them: whatever changes after Take shows at the next prompt.
type Snapshot struct {
	paths  []string
	stamps []string
	ok     bool
}

// KindOnly in front of a path says that only its kind matters: whether
// it is a regular file (following links), not its version.
const KindOnly = "+"

// Take stamps paths now. A list with a path that is not absolute cannot
// be watched, and Encode then says so.
func Take(paths []string) Snapshot {
	s := Snapshot{paths: paths, stamps: make([]string, len(paths)), ok: true}
	for i, p := range paths {
		if q := trimKind(p); len(q) == 0 || q[0] != '/' && !isWindowsAbs(q) {
			s.ok = false
		}
		s.stamps[i] = string(stampOf(nil, p))
	}
	return s
}

// stampOf is the stamp of an entry of the list, KindOnly or not.
func stampOf(b []byte, p string) []byte {
	if q := trimKind(p); len(q) != len(p) {
		return kind(b, q)
	}
	return stamp(b, p)
}

func trimKind(p string) string {
	if len(p) > 0 && p[:1] == KindOnly {
		return p[1:]
	}
	return p
}

// Encode returns the value of Var for the snapshot, given the working
// directory and the environment as they will be at the next prompt, and
// false when the list cannot be watched.
func (s Snapshot) Encode(wd string, getenv func(string) string) (string, bool) {
	if !s.ok {
		return "", false
	}
	b := make([]byte, 0, 64+len(s.paths)*48)
	b = append(b, version...)
	b = appendHex(b, sum(wd, getenv, s.paths, func(i int, b []byte) []byte { return append(b, s.stamps[i]...) }))
	for _, p := range s.paths {
		b = append(b, ':')
		b = appendEscaped(b, p)
	}
	return string(b), true
}

// Unchanged reports whether the watch list w, as Encode wrote it, still
// has the sum Encode gave it. Anything it cannot read counts as changed.
func Unchanged(w, wd string, getenv func(string) string) bool {
	if len(w) < len(version)+16 || w[:len(version)] != version {
		return false
	}
	want := w[len(version) : len(version)+16]
	rest := w[len(version)+16:]
	var paths []string
	for len(rest) > 0 {
		if rest[0] != ':' {
			return false
		}
		rest = rest[1:]
		i := 0
		for i < len(rest) && rest[i] != ':' {
			i++
		}
		p, ok := unescape(rest[:i])
		if !ok {
			return false
		}
		paths = append(paths, p)
		rest = rest[i:]
	}
	got := sum(wd, getenv, paths, func(i int, b []byte) []byte { return stampOf(b, paths[i]) })
	return string(appendHex(nil, got)) == want
}

// sum is FNV-1a (64 bits) over the working directory, the user, the
// values of Env and the stamp of each path. It guards against accident,
// not against an adversary: the stamps hold inode numbers and change
// times the kernel sets, which no one can choose to make two states
// collide, and a collision would only delay a reload to the next change.
func sum(wd string, getenv func(string) string, paths []string, stampOf func(int, []byte) []byte) uint64 {
	h := uint64(14695981039346656037)
	addBytes := func(s []byte) {
		for _, c := range s {
			h ^= uint64(c)
			h *= 1099511628211
		}
		h ^= uint64(len(s)) | 1<<63 // the length, so that no two lists read alike
		h *= 1099511628211
	}
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= uint64(len(s)) | 1<<63
		h *= 1099511628211
	}
	add(wd)
	add(string(appendInt(nil, int64(euid()))))
	for _, k := range Env {
		add(getenv(k))
	}
	var st []byte
	for i, p := range paths {
		add(p)
		st = stampOf(i, st[:0])
		addBytes(st)
	}
	return h
}

// appendEscaped writes p with '%', ':' and every byte outside printable
// ASCII as %XX: the list is one line of printable ASCII, as the shells'
// state variables must be.
func appendEscaped(b []byte, p string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' || c == ':' || c < 0x20 || c >= 0x7f {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

func unescape(s string) (string, bool) {
	if len(s) == 0 {
		return "", false
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func appendHex(b []byte, v uint64) []byte {
	const hex = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hex[v>>uint(i)&15])
	}
	return b
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var t [20]byte
	i := len(t)
	for {
		i--
		t[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, t[i:]...)
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z')
}
