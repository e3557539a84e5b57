package shellenv

import (
	"path/filepath"
	"runtime"
	"strings"
)

// Detect names the shell that will read kage's output: the parent process
// if it is a shell kage knows (the shell running `eval "$(kage env)"`),
// then $SHELL, then pwsh on Windows. It returns "" when it cannot tell.
func Detect(getenv func(string) string) string {
	name, _ := DetectFrom(getenv)
	return name
}

// DetectFrom is Detect, also reporting whether the answer came from $SHELL
// because the parent process is not a shell kage knows (timeout, sudo,
// make, a script interpreter): $SHELL is the login shell, which may not be
// the one that reads the output, so the caller should say so. Every format
// is written so that no other shell runs a value as code, but the wrong
// shell still gets mangled values or errors.
func DetectFrom(getenv func(string) string) (name string, fromShellVar bool) {
	if name, ok := known(parentName()); ok {
		return name, false
	}
	if name, ok := known(filepath.Base(getenv("SHELL"))); ok {
		return name, true
	}
	if runtime.GOOS == "windows" {
		return "pwsh", false
	}
	return "", false
}

// known maps a process or file name (bash, -zsh, pwsh.exe) to a shell name.
func known(name string) (string, bool) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "-")
	name = strings.TrimSuffix(strings.ToLower(name), ".exe")
	if name == "" {
		return "", false
	}
	s, err := Get(name)
	if err != nil || s.EvalLine() == "" {
		// Formats such as dotenv and json are never a parent process.
		return "", false
	}
	return s.Name(), true
}
