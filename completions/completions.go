// Package completions holds kage's shell completion scripts. They are real
// files (bash/kage.bash, zsh/_kage, fish/kage.fish, pwsh/kage.ps1), so
// packagers can install them as they are and shellcheck can lint them;
// `kage completion SHELL` prints the embedded copy.
//
// The scripts list kage's commands and flags themselves; secret names,
// scopes, namespaces and subscriptions come from `kage __complete KIND`,
// which reads only kage's index, config.toml and subscription bindings,
// never the keychain, so pressing TAB cannot raise a keychain prompt or
// wait on one.
package completions

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed bash/kage.bash zsh/_kage fish/kage.fish pwsh/kage.ps1
var files embed.FS

// scripts maps each shell to its file, in the order Shells lists them.
var scripts = []struct{ shell, file string }{
	{"bash", "bash/kage.bash"},
	{"zsh", "zsh/_kage"},
	{"fish", "fish/kage.fish"},
	{"pwsh", "pwsh/kage.ps1"},
}

// Shells lists the shells kage has a completion script for.
func Shells() []string {
	out := make([]string, len(scripts))
	for i, s := range scripts {
		out[i] = s.shell
	}
	return out
}

// Script returns the completion script for shell (one of Shells;
// "powershell" is accepted for pwsh).
func Script(shell string) ([]byte, error) {
	name := strings.ToLower(shell)
	if name == "powershell" {
		name = "pwsh"
	}
	for _, s := range scripts {
		if s.shell == name {
			return files.ReadFile(s.file)
		}
	}
	return nil, fmt.Errorf("no completion script for %q: use one of %s", shell, strings.Join(Shells(), ", "))
}
