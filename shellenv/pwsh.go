package shellenv

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// pwsh writes code for PowerShell 7 and Windows PowerShell 5.1, read with
// `kage env --shell pwsh | Out-String | Invoke-Expression`.
//
// No value appears in the code as text. PowerShell's tokenizer ends a
// verbatim '…' string not only at ' but also at the typographic quotes
// U+2018–U+201B, and the console's code page may mangle any non-ASCII byte
// on its way through the pipe; so the output is pure ASCII: each value is
// base64 of its UTF-8 bytes, decoded by
// [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('…')).
// Base64 has no quote, so nothing can end the string early. Only syntax
// that Windows PowerShell 5.1 already has is used (no ??, no ?:, no &&).
//
// What PowerShell cannot hold is refused, naming the variable:
//   - invalid UTF-8 (.NET strings are UTF-16; decoding would put U+FFFD in
//     place of each bad byte);
//   - an empty value: before PowerShell 7.5, assigning an empty string to $env:NAME
//     removes the variable instead of setting it empty. An empty state
//     variable (KAGE_LOADED when nothing applies in the new folder) is
//     removed instead: for kage an unset state variable and an empty one
//     mean the same, and refusing it would leave the hook with no code to
//     unload the last folder's secrets;
//   - two names equal but for case anywhere in the plan: Windows
//     environment names are case-insensitive.
//
// Save keeps the old value in $global:__kage_saved_NAME, which is not part
// of the environment; $null there records that NAME was unset (so a second
// Save cannot mistake kage's own value for the user's), and assigning $null
// to $env:NAME on Restore removes it again. Every name in the output is scope-qualified ($env:,
// $global:) because Invoke-Expression in a hook function runs in that
// function's scope.
type pwsh struct{}

var _ = register(pwsh{})

// Name returns "pwsh".
func (pwsh) Name() string { return "pwsh" }

// EvalLine is PowerShell's way to run `kage env` output in the current
// session; Out-String joins the lines so Invoke-Expression sees one script.
func (pwsh) EvalLine() string { return "kage env --shell pwsh | Out-String | Invoke-Expression" }

// Render writes p as PowerShell code, one line per variable, ASCII only.
func (pwsh) Render(p Plan) ([]byte, error) {
	if err := checkPlan("pwsh", p); err != nil {
		return nil, err
	}
	if err := sameButCase("pwsh", p); err != nil {
		return nil, err
	}
	for _, vars := range [][]Var{p.Set, p.State} {
		if err := requireUTF8("pwsh", vars); err != nil {
			return nil, err
		}
	}
	for _, v := range p.Set {
		if len(v.Value) == 0 {
			return nil, fmt.Errorf("pwsh: variable %s is empty, and PowerShell before 7.5 removes a variable set to ''; give it a value or use another shell", v.Name)
		}
	}
	var b bytes.Buffer
	for _, n := range p.Restore {
		sv := savedVar(n)
		b.WriteString("if (Test-Path Variable:global:" + sv + ") { $env:" + n + " = $global:" + sv +
			"; Remove-Variable -Name " + sv + " -Scope Global } else { Remove-Item Env:" + n + " -ErrorAction SilentlyContinue }\n")
	}
	for _, n := range p.Save {
		sv := savedVar(n)
		b.WriteString("if (-not (Test-Path Variable:global:" + sv + ")) { if (Test-Path Env:" + n + ") { $global:" + sv + " = $env:" + n +
			" } else { $global:" + sv + " = $null } }\n")
	}
	// The state goes first: should the code stop half-way, KAGE_LOADED
	// already names every variable this plan sets.
	for _, v := range p.State {
		if len(v.Value) == 0 {
			b.WriteString("Remove-Item Env:" + v.Name + " -ErrorAction SilentlyContinue\n")
			continue
		}
		writePwshSet(&b, v)
	}
	for _, v := range p.Set {
		writePwshSet(&b, v)
	}
	for _, n := range p.Unset {
		b.WriteString("Remove-Item Env:" + n + " -ErrorAction SilentlyContinue\n")
	}
	return b.Bytes(), nil
}

func writePwshSet(b *bytes.Buffer, v Var) {
	b.WriteString("$env:" + v.Name + " = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('")
	b.WriteString(base64.StdEncoding.EncodeToString(v.Value))
	b.WriteString("'))\n")
}
