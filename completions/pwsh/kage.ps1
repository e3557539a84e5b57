# PowerShell completion for kage.
#
# Load it from your profile ($PROFILE):
#   kage completion pwsh | Out-String | Invoke-Expression
#
# Commands and flags are listed here; a test checks them against kage's own
# command tree. Secret names, scopes, namespaces and subscriptions come from
# `kage __complete`, which reads kage's index, config.toml and subscription
# bindings only, never the keychain: a TAB never raises a keychain prompt.

Register-ArgumentCompleter -Native -CommandName kage, kage.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    # Subcommands and flags of each command; a flag ending in = takes a value.
    $subs = @{
        ''             = 'secret', 'namespace', 'subscription', 'status', 'env', 'exec', 'hook', 'completion', 'doctor', 'log', 'scan', 'init', 'version', 'help'
        'secret'       = 'set', 'get', 'list', 'delete', 'import'
        'namespace'    = 'set', 'unset', 'show'
        'subscription' = 'add', 'list', 'remove', 'use', 'unuse', 'key'
    }
    $flags = @{
        ''                    = '--version', '-v'
        'secret set'          = '--scope=', '-s=', '--from-file=', '--force', '--expires='
        'secret get'          = '--scope=', '-s=', '--reveal'
        'secret list'         = '--scope=', '-s=', '--json', '--expired', '--expiring=', '--older-than='
        'secret delete'       = '--scope=', '-s=', '--force'
        'secret import'       = '--scope=', '-s=', '--overwrite', '--dry-run', '--force'
        'subscription add'    = '--name=', '--env=', '--overwrite', '--from-file=', '--expires='
        'subscription list'   = '--json'
        'subscription remove' = '--force'
        'subscription use'    = '--scope=', '-s='
        'subscription unuse'  = '--scope=', '-s='
        'subscription key'    = '--env=', '--dir=', '-C=', '--reveal'
        'status'              = '--json'
        'env'                 = '--shell=', '--dir=', '-C=', '--subscription=', '--explain', '--only=', '--except='
        'exec'                = '--dir=', '-C=', '--subscription=', '--only=', '--except=', '--explain', '--no-mask'
        'doctor'              = '--fix', '--json'
        'log'                 = '--since=', '--name=', '--scope=', '-s=', '--json'
        'scan'                = '--git', '--max-size=', '--binary', '--json'
        'init'                = '--backend=', '--passphrase'
    }
    $aliases = @{
        'secret:ls' = 'list'; 'secret:rm' = 'delete'; ':h' = 'help'
        ':sub' = 'subscription'; 'subscription:ls' = 'list'; 'subscription:rm' = 'remove'
    }
    # kage's own flags, accepted after any command.
    $common = '--namespace=', '--help', '-h'

    function kageFlags($path) {
        # help takes no --help.
        if ($path -eq 'help') { return '--namespace=' }
        @($flags[$path]) + $common | Where-Object { $_ }
    }
    function kageDynamic { @(& kage __complete @args 2>$null) }

    # The words before the one being completed, as the shell will pass them.
    $words = @()
    foreach ($e in $commandAst.CommandElements | Select-Object -Skip 1) {
        if ($e.Extent.StartOffset -ge $cursorPosition) { break }
        if ($wordToComplete -and $e.Extent.EndOffset -ge $cursorPosition) { break }
        if ($e -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
            $words += $e.Value
        } else {
            $words += $e.Extent.Text
        }
    }

    $path = ''; $nargs = 0; $want = ''; $scope = ''; $ns = ''; $dashdash = $false
    foreach ($w in $words) {
        if ($dashdash) { $nargs++; continue }
        if ($want) {
            if ($want -in '--scope', '-s') { $scope = $w }
            if ($want -eq '--namespace') { $ns = $w }
            $want = ''
            continue
        }
        if ($w -ceq '--') { $dashdash = $true }
        elseif ($w -like '--scope=*' -or $w -like '-s=*') { $scope = $w.Substring($w.IndexOf('=') + 1) }
        elseif ($w -like '--namespace=*') { $ns = $w.Substring($w.IndexOf('=') + 1) }
        elseif ($w -like '-*=*') { }
        elseif ($w -like '-*') { if ((kageFlags $path) -ccontains "$w=") { $want = $w } }
        else {
            $sub = $aliases["${path}:$w"]
            if (-not $sub) { $sub = $w }
            if ($nargs -eq 0 -and $subs[$path] -ccontains $sub) { $path = "$path $sub".Trim() } else { $nargs++ }
        }
    }

    $nsArgs = @(); if ($ns) { $nsArgs = '--namespace', $ns }
    $cur = $wordToComplete; $prefix = ''
    $values = {
        param($flag)
        switch -CaseSensitive ($flag) {
            { $_ -in '--scope', '-s' } { kageDynamic scopes @nsArgs }
            '--namespace' { kageDynamic namespaces }
            '--subscription' { kageDynamic subscriptions }
            { $_ -in '--only', '--except' } { kageDynamic names @nsArgs }
            '--shell' { 'bash', 'dotenv', 'elvish', 'fish', 'json', 'nu', 'pwsh', 'sh', 'zsh' }
            '--backend' { 'file', 'keyring' }
        }
    }
    $cands = @()
    if ($want) {
        $cands = & $values $want
    } elseif (-not $dashdash -and $cur -like '-*=*') {
        $i = $cur.IndexOf('=')
        $cands = & $values $cur.Substring(0, $i)
        $prefix = $cur.Substring(0, $i + 1)
        $cur = $cur.Substring($i + 1)
    } elseif (-not $dashdash -and $cur -like '-*') {
        $cands = kageFlags $path | ForEach-Object { $_.TrimEnd('=') }
    } elseif ($nargs -eq 0) {
        $cands = switch -CaseSensitive ($path) {
            { $_ -in '', 'secret', 'namespace', 'subscription' } { $subs[$path] }
            'help' { $subs[''] }
            { $_ -in 'secret get', 'secret delete' } {
                $a = @('names')
                if ($scope) { $a += '--scope', $scope }
                kageDynamic @a @nsArgs
            }
            'namespace set' { kageDynamic namespaces }
            { $_ -in 'subscription remove', 'subscription use', 'subscription unuse', 'subscription key' } { kageDynamic subscriptions }
            'hook' { 'bash', 'elvish', 'fish', 'nu', 'pwsh', 'zsh' }
            'completion' { 'bash', 'fish', 'pwsh', 'zsh' }
        }
    }

    foreach ($c in $cands) {
        if (-not $c.StartsWith($cur, [StringComparison]::Ordinal)) { continue }
        $text = $prefix + $c
        # Quote what PowerShell would otherwise read as code; it also ends a
        # quoted string at U+2018-U+201B, so those are doubled too.
        if ($text -match '[\s''"`$(){}@;,|&<>#\u2018-\u201B]') {
            $text = "'" + ($text -replace '([''\u2018-\u201B])', '$1$1') + "'"
        }
        [System.Management.Automation.CompletionResult]::new($text, $c, 'ParameterValue', $c)
    }
}
