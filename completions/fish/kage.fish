# fish completion for kage.
#
# Install it where fish finds it:
#   kage completion fish > ~/.config/fish/completions/kage.fish
#
# Commands and flags are listed here; a test checks them against kage's own
# command tree. Secret names, scopes, namespaces and subscriptions come from
# `kage __complete`, which reads kage's index, config.toml and subscription
# bindings only, never the keychain: a TAB never raises a keychain prompt.

# __kage_parse reads the words before the cursor into __kage_path (the
# command, "" for kage itself), __kage_nargs (arguments after it),
# __kage_scope and __kage_ns (--scope and --namespace as given) and
# __kage_dashdash (1 after --).
function __kage_parse
    set -g __kage_path ''
    set -g __kage_nargs 0
    set -g __kage_scope ''
    set -g __kage_ns ''
    set -g __kage_dashdash 0
    set -l want ''
    for w in (commandline -opc)[2..-1]
        if test $__kage_dashdash = 1
            set __kage_nargs (math $__kage_nargs + 1)
            continue
        end
        if test -n "$want"
            switch $want
                case --scope -s
                    set __kage_scope $w
                case --namespace
                    set __kage_ns $w
            end
            set want ''
            continue
        end
        switch $w
            case --
                set __kage_dashdash 1
            case '--scope=*' '-s=*'
                set __kage_scope (string split -m1 = -- $w)[2]
            case '--namespace=*'
                set __kage_ns (string split -m1 = -- $w)[2]
            case '-*=*'
            case --scope -s --namespace --shell --dir -C --from-file --backend \
                    --subscription --name --env --only --except --since --expires --expiring --older-than
                set want $w
            case '-*'
            case '*'
                set -l sub $w
                switch "$__kage_path:$w"
                    case secret:ls
                        set sub list
                    case secret:rm
                        set sub delete
                    case :sub
                        set sub subscription
                    case subscription:ls
                        set sub list
                    case subscription:rm
                        set sub remove
                    case :h
                        set sub help
                end
                if test $__kage_nargs = 0; and contains -- "$__kage_path:$sub" \
                        :secret :namespace :subscription :status :env :exec :hook :completion :doctor :log :scan :init :version :help \
                        secret:set secret:get secret:list secret:delete secret:import \
                        namespace:set namespace:unset namespace:show \
                        subscription:add subscription:list subscription:remove \
                        subscription:use subscription:unuse subscription:key
                    set __kage_path (string trim -- "$__kage_path $sub")
                else
                    set __kage_nargs (math $__kage_nargs + 1)
                end
        end
    end
end

# __kage_in PATH: the command being completed is PATH.
function __kage_in
    __kage_parse
    test $__kage_dashdash = 0; and test "$__kage_path" = "$argv"
end

# __kage_arg PATH: the first argument of PATH is being completed.
function __kage_arg
    __kage_in $argv; and test $__kage_nargs = 0
end

function __kage_dynamic
    command kage __complete $argv 2>/dev/null
end

function __kage_scopes
    __kage_parse
    if test -n "$__kage_ns"
        __kage_dynamic scopes --namespace $__kage_ns
    else
        __kage_dynamic scopes
    end
end

# Names stored in the --scope given, or in this directory's chain.
function __kage_names
    __kage_parse
    set -l args names
    test -n "$__kage_scope"; and set -a args --scope $__kage_scope
    test -n "$__kage_ns"; and set -a args --namespace $__kage_ns
    __kage_dynamic $args
end

# After `kage exec --`: complete the program and its arguments.
function __kage_exec_args
    __kage_parse
    test $__kage_dashdash = 1; and test "$__kage_path" = exec
end

function __kage_exec_complete
    set -l toks (commandline -opc)
    set -l i (contains -i -- -- $toks)
    set -l rest (string escape -- $toks[(math $i + 1)..-1]) (commandline -ct)
    complete -C (string join ' ' -- $rest)
end

complete -c kage -f

# kage's own flags, accepted after any command.
complete -c kage -n 'not __kage_exec_args' -l namespace -x -a '(__kage_dynamic namespaces)' -d 'use namespace NAME here instead of the detected one'
complete -c kage -n 'not __kage_exec_args; and not __kage_in help' -s h -l help -d 'show help'
complete -c kage -n '__kage_in ""' -s v -l version -d 'print the version'

# Commands.
complete -c kage -n '__kage_arg ""' -a secret -d 'set, get, list and delete secrets'
complete -c kage -n '__kage_arg ""' -a namespace -d 'put the current repository in a namespace'
complete -c kage -n '__kage_arg ""' -a subscription -d 'named API keys and the scopes that use them'
complete -c kage -n '__kage_arg ""' -a status -d 'show what applies in this directory'
complete -c kage -n '__kage_arg ""' -a env -d 'print shell code that exports the secrets'
complete -c kage -n '__kage_arg ""' -a exec -d 'run a program with the secrets in its environment'
complete -c kage -n '__kage_arg ""' -a hook -d 'print the prompt hook for your shell'
complete -c kage -n '__kage_arg ""' -a completion -d 'print the completion script for your shell'
complete -c kage -n '__kage_arg ""' -a doctor -d 'check the keychain, config, index and hook'
complete -c kage -n '__kage_arg ""' -a log -d 'show which secrets were handed to which program, and when'
complete -c kage -n '__kage_arg ""' -a init -d 'choose the keychain or an encrypted file'
complete -c kage -n '__kage_arg ""' -a version -d "print kage's version"
complete -c kage -n '__kage_arg ""' -a help -d 'show the commands or help for one'
complete -c kage -n '__kage_arg help' -a 'secret namespace subscription status env exec hook completion doctor log scan init version'

complete -c kage -n '__kage_arg secret' -a set -d 'store a secret'
complete -c kage -n '__kage_arg secret' -a get -d "print a secret's value, for scripts"
complete -c kage -n '__kage_arg secret' -a list -d 'list secret names, scopes and update times'
complete -c kage -n '__kage_arg secret' -a delete -d 'delete a secret from one scope'
complete -c kage -n '__kage_arg secret' -a import -d 'store every variable of a .env file'

complete -c kage -n '__kage_arg namespace' -a set -d 'put this repository in a namespace'
complete -c kage -n '__kage_arg namespace' -a unset -d 'take this repository out of its namespace'
complete -c kage -n '__kage_arg namespace' -a show -d 'print the namespace of this directory'

complete -c kage -n '__kage_arg subscription' -a add -d "store a subscription's API key"
complete -c kage -n '__kage_arg subscription' -a list -d 'list subscriptions, their variables and where they are bound'
complete -c kage -n '__kage_arg subscription' -a remove -d "delete a subscription's key"
complete -c kage -n '__kage_arg subscription' -a use -d 'bind a subscription to a scope'
complete -c kage -n '__kage_arg subscription' -a unuse -d "unbind a scope's subscription"
complete -c kage -n '__kage_arg subscription' -a key -d 'print the API key that applies here'

# kage secret …
for c in 'secret set' 'secret get' 'secret list' 'secret delete' 'secret import'
    complete -c kage -n "__kage_in '$c'" -s s -l scope -x -a '(__kage_scopes)' -d 'scope: global, namespace:NAME, repo:PATH, repo or namespace'
end
complete -c kage -n "__kage_in 'secret set'" -l from-file -r -F -d 'read the value from PATH, bytes exactly'
complete -c kage -n "__kage_in 'secret set'" -l force -d 'allow a name that changes how programs run'
complete -c kage -n "__kage_in 'secret set'" -l expires -x -d 'due for rotation after a span (90d) or on a date; never removes it'
complete -c kage -n "__kage_in 'secret get'" -l reveal -d 'print to a terminal too'
complete -c kage -n "__kage_in 'secret list'" -l json -d 'print JSON'
complete -c kage -n "__kage_in 'secret list'" -l expired -d 'only secrets past their expiry'
complete -c kage -n "__kage_in 'secret list'" -l expiring -x -d 'only secrets that expire within SPAN (14d)'
complete -c kage -n "__kage_in 'secret list'" -l older-than -x -d 'only secrets set more than SPAN (90d) ago'
complete -c kage -n "__kage_arg 'secret get'" -a '(__kage_names)'
complete -c kage -n "__kage_arg 'secret delete'" -a '(__kage_names)'
complete -c kage -n "__kage_in 'secret delete'" -l force -d 'aws backend: delete at once, with no recovery window'
complete -c kage -n "__kage_in 'secret import'" -l overwrite -d 'replace secrets that already exist in the scope'
complete -c kage -n "__kage_in 'secret import'" -l dry-run -d 'check the file and print the names it would store'
complete -c kage -n "__kage_in 'secret import'" -l force -d 'allow names that change how programs run'
complete -c kage -n "__kage_arg 'secret import'" -F

# kage namespace set NAME
complete -c kage -n "__kage_arg 'namespace set'" -a '(__kage_dynamic namespaces)'

# kage subscription …; --name is a new name and --env a variable: nothing
# to offer.
complete -c kage -n "__kage_in 'subscription add'" -l name -x -d "the subscription's NAME"
complete -c kage -n "__kage_in 'subscription add'" -l env -x -d 'export the key as VAR'
complete -c kage -n "__kage_in 'subscription add'" -l overwrite -d 'replace the key of an existing subscription'
complete -c kage -n "__kage_in 'subscription add'" -l from-file -r -F -d 'read the key from PATH, bytes exactly'
complete -c kage -n "__kage_in 'subscription add'" -l expires -x -d 'due for rotation after a span (90d) or on a date; never removes it'
complete -c kage -n "__kage_in 'subscription list'" -l json -d 'print JSON'
complete -c kage -n "__kage_in 'subscription remove'" -l force -d 'remove it even if bound, with its bindings'
complete -c kage -n "__kage_in 'subscription key'" -l env -x -d 'the key exported as VAR'
complete -c kage -n "__kage_in 'subscription key'" -s C -l dir -x -a '(__fish_complete_directories)' -d 'resolve for DIR instead of the current directory'
complete -c kage -n "__kage_in 'subscription key'" -l reveal -d 'print to a terminal too'
for c in remove use unuse key
    complete -c kage -n "__kage_arg 'subscription $c'" -a '(__kage_dynamic subscriptions)'
end
for c in use unuse
    complete -c kage -n "__kage_in 'subscription $c'" -s s -l scope -x -a '(__kage_scopes)' -d 'scope: global, namespace:NAME, repo:PATH, repo or namespace'
end

complete -c kage -n '__kage_in status' -l json -d 'print JSON'

complete -c kage -n '__kage_in doctor' -l fix -d 'repair the index from the keychain'
complete -c kage -n '__kage_in doctor' -l json -d 'print the findings as JSON'

complete -c kage -n '__kage_in log' -l since -x -d 'only since a span ago (1h, 7d) or a date (2026-12-01)'
complete -c kage -n '__kage_in log' -l name -x -d 'only this secret, or a glob'
complete -c kage -n '__kage_in log' -s s -l scope -x -a '(__kage_scopes)' -d 'only secrets from this scope'
complete -c kage -n '__kage_in log' -l json -d 'print the entries as JSON'
complete -c kage -n '__kage_arg ""' -a scan -d 'search files, agent transcripts and git history for the values kage holds'
complete -c kage -n '__kage_in scan' -l git -d "also search the repository's history"
complete -c kage -n '__kage_in scan' -l max-size -x -d 'skip files larger than SIZE (10M)'
complete -c kage -n '__kage_in scan' -l binary -d 'search binary files too'
complete -c kage -n '__kage_in scan' -l json -d 'print the findings as JSON'
complete -c kage -n '__kage_in scan' -F

complete -c kage -n '__kage_in init' -l backend -x -a 'file keyring' -d 'keyring or file'
complete -c kage -n '__kage_in init' -l passphrase -d 'file backend: encrypt to a passphrase'

complete -c kage -n '__kage_in env' -l shell -x -a 'bash dotenv elvish fish json nu pwsh sh zsh' -d 'write for SHELL'
complete -c kage -n '__kage_in env' -l explain -d 'say on stderr which scope each name came from'
for c in env exec
    complete -c kage -n "__kage_in $c" -s C -l dir -x -a '(__fish_complete_directories)' -d 'resolve for DIR instead of the current directory'
    complete -c kage -n "__kage_in $c" -l subscription -x -a '(__kage_dynamic subscriptions)' -d "export subscription NAME's key for this run"
    complete -c kage -n "__kage_in $c" -l only -x -a '(__kage_names)' -d 'give only NAMES'
    complete -c kage -n "__kage_in $c" -l except -x -a '(__kage_names)' -d 'hold back NAMES'
end
complete -c kage -n '__kage_in exec' -l explain -d 'say which names the program gets, which are held back and which are masked'
complete -c kage -n '__kage_in exec' -l no-mask -d "let the program's output through as it is"
complete -c kage -n '__kage_arg exec' -a '(__fish_complete_command)'
complete -c kage -n __kage_exec_args -a '(__kage_exec_complete)'

complete -c kage -n '__kage_arg hook' -a 'bash elvish fish nu pwsh zsh'
complete -c kage -n '__kage_arg completion' -a 'bash fish pwsh zsh'
