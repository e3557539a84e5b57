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
	if name, ok := known(parentName()); ok {
		return name
	}
	if name, ok := known(filepath.Base(getenv("SHELL"))); ok {
		return name
	}
	if runtime.GOOS == "windows" {
		return "pwsh"
	}
	return ""
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
