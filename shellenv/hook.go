package shellenv

import (
	"fmt"
	"strings"
)

// Hook returns the code for a shell's rc file that runs kage at each prompt
// (`kage hook-env SHELL`) and evaluates what it prints. kage is the path of
// the kage binary, quoted here for the shell; light, when not "", is the
// path of kage-hook, which the hook then runs first (`kage-hook KAGE
// hook-env SHELL`) so that a prompt where nothing changed does not start
// kage at all. The hooks keep the shell's previous exit status and append
// themselves only once, so sourcing the rc file twice is harmless.
func Hook(shell, kage, light string) (string, error) {
	s, err := Get(shell)
	if err != nil {
		// Only the shells with a hook are worth naming here: sh, dotenv
		// and json would be refused next.
		return "", fmt.Errorf("kage has no prompt hook for %q: use one of %s", shell, hookShells)
	}
	var word func(string) (string, error)
	var tmpl string
	switch s.Name() {
	case "bash":
		tmpl, word = bashHook, func(p string) (string, error) { return string(posixWord([]byte(p))), nil }
	case "zsh":
		tmpl, word = zshHook, func(p string) (string, error) { return string(posixWord([]byte(p))), nil }
	case "fish":
		tmpl, word = fishHook, func(p string) (string, error) { return string(fishWord([]byte(p))), nil }
	case "pwsh":
		tmpl, word = pwshHook, func(p string) (string, error) { return pwshVerbatim(p), nil }
	case "elvish":
		tmpl, word = elvishHook, func(p string) (string, error) { return string(elvishString([]byte(p))), nil }
	case "nu":
		tmpl, word = nuHook, func(p string) (string, error) {
			if strings.Contains(p, "'#") {
				return "", fmt.Errorf("the path %q cannot be written in a nushell raw string; move kage elsewhere", p)
			}
			return "r#'" + p + "'#", nil
		}
	default:
		return "", fmt.Errorf("kage has no prompt hook for %s: use one of %s", s.Name(), hookShells)
	}
	cmd, err := word(kage)
	if err != nil {
		return "", err
	}
	if light != "" {
		lw, err := word(light)
		if err != nil {
			return "", err
		}
		cmd = lw + " " + cmd
	}
	return strings.ReplaceAll(tmpl, "@KAGE@", cmd), nil
}

// hookShells are the shells Hook writes for.
const hookShells = "bash, zsh, fish, pwsh, nu, elvish"

// pwshVerbatim writes s as a PowerShell verbatim string, where each quote
// is doubled — and PowerShell counts U+2018–U+201B as quotes too.
func pwshVerbatim(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

const bashHook = `_kage_hook() {
  local previous_exit_status=$?
  eval "$(@KAGE@ hook-env bash)"
  return $previous_exit_status
}
if [[ ";${PROMPT_COMMAND[*]:-};" != *";_kage_hook;"* ]]; then
  if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND=(_kage_hook "${PROMPT_COMMAND[@]}")
  else
    PROMPT_COMMAND="_kage_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
  fi
fi
`

const zshHook = `_kage_hook() {
  eval "$(@KAGE@ hook-env zsh)"
}
typeset -ag precmd_functions chpwd_functions
if (( ! ${precmd_functions[(I)_kage_hook]} )); then
  precmd_functions=(_kage_hook $precmd_functions)
fi
if (( ! ${chpwd_functions[(I)_kage_hook]} )); then
  chpwd_functions=(_kage_hook $chpwd_functions)
fi
`

const fishHook = `function __kage_hook --on-event fish_prompt
    @KAGE@ hook-env fish | source
end
`

const pwshHook = `if (-not (Test-Path Variable:global:__kage_prompt)) {
  $global:__kage_prompt = $function:prompt
  function global:prompt {
    $code = (& @KAGE@ hook-env pwsh) | Out-String
    if ($code.Trim()) { Invoke-Expression $code }
    & $global:__kage_prompt
  }
}
`

const elvishHook = `var __kage_saved = [&]
set edit:before-readline = [$@edit:before-readline {
  # eval sees only the variables this closure captures: name the map.
  nop $__kage_saved
  eval (@KAGE@ hook-env elvish | slurp)
}]
`

// nuHook consumes the JSON plan of nu.go: set, unset, restore, save and
// state. Values kage replaced are kept in $env.__KAGE_SAVED, a record: nu
// has no shell-local variables a hook can keep between prompts. The state
// and the saved values are loaded first, then each variable on its own
// inside try, so that one nu refuses (PWD, FILE_PWD, CURRENT_FILE: "cannot
// be set manually") cannot keep the others, or the state, from loading, as
// one load-env of everything did. Those three are never hidden either:
// nushell cannot work without PWD.
const nuHook = `$env.config = ($env.config | upsert hooks.pre_prompt (
  ($env.config.hooks.pre_prompt? | default []) | append {||
    let out = (^@KAGE@ hook-env nu | str trim)
    if ($out | is-empty) { return }
    let p = ($out | from json)
    let own = [PWD FILE_PWD CURRENT_FILE]
    mut saved = ($env.__KAGE_SAVED? | default {})
    for n in ($p.save? | default []) {
      if ($n in $env) and not ($n in $saved) { $saved = ($saved | insert $n ($env | get $n)) }
    }
    mut back = {}
    mut drop = ($p.unset? | default [])
    for n in ($p.restore? | default []) {
      if ($n in $saved) {
        $back = ($back | insert $n ($saved | get $n))
        $saved = ($saved | reject $n)
      } else {
        $drop = ($drop | append $n)
      }
    }
    load-env (($p.state? | default {}) | merge {__KAGE_SAVED: $saved})
    hide-env --ignore-errors ...($drop | where {|n| $n not-in $own })
    for kv in ($back | merge ($p.set? | default {}) | transpose k v) {
      if $kv.k not-in $own { try { load-env {($kv.k): $kv.v} } }
    }
  }
))
`
