package main

import (
	"fmt"
	"strings"

	"github.com/kage-cli/kage/shellenv"
)

// maxNameLen keeps names well inside every keychain's account field.
const maxNameLen = 128

// dangerous are variables that change how programs or shells run: a secret
// under one of these names would change the behaviour of everything started
// from the shell, or fail to assign in zsh or bash (UID, EUID, …).
var dangerous = map[string]string{
	"PATH": "program lookup", "BASH_ENV": "bash start-up", "ENV": "sh start-up",
	"PROMPT_COMMAND": "the prompt", "IFS": "word splitting", "PS1": "the prompt",
	"PS2": "the prompt", "PS4": "shell tracing", "CDPATH": "cd", "SHELLOPTS": "bash options",
	"BASHOPTS": "bash options", "GLOBIGNORE": "globbing", "FPATH": "zsh functions",
	"ZDOTDIR": "zsh start-up", "HOME": "every program", "SHELL": "every program",
	"NODE_OPTIONS": "node", "NODE_PATH": "node", "PYTHONPATH": "python",
	"PYTHONSTARTUP": "python", "PYTHONHOME": "python", "PERL5LIB": "perl",
	"PERL5OPT": "perl", "RUBYOPT": "ruby", "RUBYLIB": "ruby",
	"JAVA_TOOL_OPTIONS": "java", "_JAVA_OPTIONS": "java", "GIT_SSH": "git",
	"GIT_SSH_COMMAND": "git", "GIT_EXEC_PATH": "git", "GIT_ASKPASS": "git",
	"SSH_ASKPASS": "ssh", "EDITOR": "editors", "VISUAL": "editors", "PAGER": "pagers",
	"LESSOPEN": "less", "TMPDIR": "temporary files", "PSModulePath": "PowerShell",
	"UID": "zsh and bash (read-only)", "EUID": "zsh and bash (read-only)",
	"GID": "zsh (read-only)", "EGID": "zsh (read-only)", "PPID": "zsh and bash (read-only)",
	"BASHPID": "bash (read-only)", "SHLVL": "the shell",
}

// dangerousPrefixes are families of such variables.
var dangerousPrefixes = []string{"LD_", "DYLD_", "BASH_FUNC_", "KAGE_"}

// checkName refuses names that cannot be environment variables, and names
// that change how programs run unless force is set.
func checkName(name string, force bool) error {
	if len(name) > maxNameLen {
		// Not shown: from a .env file, a long run of letters before "="
		// may be a piece of a secret.
		return usagef("names start with a letter or _, then letters, digits or _ (e.g. API_KEY), at most 128 characters",
			"invalid secret name: it is %d characters long", len(name))
	}
	if !shellenv.ValidName(name) {
		// A long one may be a value pasted where the name goes: described,
		// never shown.
		shown := fmt.Sprintf("%q", name)
		if len(name) > 32 {
			shown = fmt.Sprintf("(%d characters, not shown)", len(name))
		}
		return usagef("names start with a letter or _, then letters, digits or _ (e.g. API_KEY), at most 128 characters",
			"invalid secret name %s", shown)
	}
	if force {
		return nil
	}
	what, ok := dangerous[name]
	for _, p := range dangerousPrefixes {
		if strings.HasPrefix(name, p) {
			what, ok = fmt.Sprintf("%s* variables", p), true
		}
	}
	if ok {
		return usagef("pick another name, or pass --force if you really mean it",
			"refusing to store %q: it changes how programs run (%s)", name, what)
	}
	return nil
}
