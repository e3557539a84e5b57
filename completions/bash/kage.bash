# bash completion for kage                                 -*- shell-script -*-
#
# Install it where bash-completion finds it:
#   kage completion bash > ~/.local/share/bash-completion/completions/kage
#   kage completion bash | sudo tee /usr/share/bash-completion/completions/kage
# or load it from ~/.bashrc:
#   eval "$(kage completion bash)"
#
# Commands and flags are listed here; a test checks them against kage's own
# command tree. Secret names, scopes, namespaces and subscriptions come from
# `kage __complete`, which reads kage's index, config.toml and subscription
# bindings only, never the keychain: a TAB never raises a keychain prompt.

# _kage_spec PATH sets _kage_subs to the subcommands of the command PATH
# ("" is kage itself, "secret get" a leaf) and _kage_flags to its flags; a
# flag written with a trailing = takes a value.
_kage_spec() {
    _kage_subs='' _kage_flags=''
    case $1 in
    '')
        _kage_subs='secret namespace subscription status env exec hook completion doctor log scan init version help'
        _kage_flags='--version -v'
        ;;
    secret) _kage_subs='set get list delete import' ;;
    'secret set') _kage_flags='--scope= -s= --from-file= --force --expires=' ;;
    'secret get') _kage_flags='--scope= -s= --reveal' ;;
    'secret list') _kage_flags='--scope= -s= --json --expired --expiring= --older-than=' ;;
    'secret delete') _kage_flags='--scope= -s= --force' ;;
    'secret import') _kage_flags='--scope= -s= --overwrite --dry-run --force' ;;
    namespace) _kage_subs='set unset show' ;;
    subscription) _kage_subs='add list remove use unuse key' ;;
    'subscription add') _kage_flags='--name= --env= --overwrite --from-file= --expires=' ;;
    'subscription list') _kage_flags='--json' ;;
    'subscription remove') _kage_flags='--force' ;;
    'subscription use' | 'subscription unuse') _kage_flags='--scope= -s=' ;;
    'subscription key') _kage_flags='--env= --dir= -C= --reveal' ;;
    status) _kage_flags='--json' ;;
    env) _kage_flags='--shell= --dir= -C= --subscription= --explain --only= --except=' ;;
    exec) _kage_flags='--dir= -C= --subscription= --only= --except= --explain --no-mask' ;;
    doctor) _kage_flags='--fix --json' ;;
    log) _kage_flags='--since= --name= --scope= -s= --json' ;;
    scan) _kage_flags='--git --max-size= --binary --json' ;;
    init) _kage_flags='--backend= --passphrase' ;;
    esac
    # --namespace is kage's own flag and is accepted after any command;
    # every command but help takes --help.
    _kage_flags+=' --namespace='
    [[ $1 == help ]] || _kage_flags+=' --help -h'
}

# _kage_alias PATH WORD prints the command WORD names under PATH.
_kage_alias() {
    case "$1:$2" in
    'secret:ls') _kage_word=list ;;
    'secret:rm') _kage_word=delete ;;
    ':sub') _kage_word=subscription ;;
    'subscription:ls') _kage_word=list ;;
    'subscription:rm') _kage_word=remove ;;
    ':h') _kage_word=help ;;
    *) _kage_word=$2 ;;
    esac
}

# _kage_read appends the lines of its input to _kage_cands (mapfile would
# need bash 4; macOS ships 3.2).
_kage_read() {
    local c
    while IFS= read -r c; do
        _kage_cands+=("$c")
    done
}

# _kage_dynamic KIND [ARGS…] appends kage's candidates to _kage_cands. kage
# prints one a line and nothing at all when it cannot answer.
_kage_dynamic() {
    _kage_read < <(command kage __complete "$@" 2>/dev/null)
}

# _kage_values FLAG fills _kage_cands with the values FLAG takes (none for
# a new name or variable); it returns 1 when the value is a folder and 2
# when it is a file, which readline completes.
_kage_values() {
    case $1 in
    --scope | -s) _kage_dynamic scopes ${_kage_ns:+--namespace "$_kage_ns"} ;;
    --namespace) _kage_dynamic namespaces ;;
    --subscription) _kage_dynamic subscriptions ;;
    --only | --except) _kage_dynamic names ${_kage_ns:+--namespace "$_kage_ns"} ;;
    --shell) _kage_cands=(bash dotenv elvish fish json nu pwsh sh zsh) ;;
    --backend) _kage_cands=(file keyring) ;;
    --dir | -C) return 1 ;;
    --from-file) return 2 ;;
    esac
    return 0
}

_kage() {
    local line=${COMP_LINE:0:COMP_POINT} cur='' path='' want='' w i
    local nargs=0 dashdash=0 files=0
    local _kage_subs _kage_flags _kage_word _kage_scope='' _kage_ns=''
    local -a words _kage_cands=()
    COMPREPLY=()

    # Split the line here rather than use COMP_WORDS: bash breaks words at
    # ':' and '=' (COMP_WORDBREAKS), and scopes such as namespace:backend
    # hold a colon.
    read -r -a words <<<"$line"
    if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
        cur=${words[${#words[@]}-1]}
        words=("${words[@]:0:${#words[@]}-1}")
    fi

    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        if ((dashdash)); then
            nargs=$((nargs + 1))
            continue
        fi
        if [[ -n $want ]]; then
            case $want in
            --scope | -s) _kage_scope=$w ;;
            --namespace) _kage_ns=$w ;;
            esac
            want=''
            continue
        fi
        case $w in
        --) dashdash=1 ;;
        --scope=* | -s=*) _kage_scope=${w#*=} ;;
        --namespace=*) _kage_ns=${w#*=} ;;
        -*=*) ;;
        -*)
            _kage_spec "$path"
            if [[ " $_kage_flags " == *" $w= "* ]]; then
                want=$w
            fi
            ;;
        *)
            _kage_spec "$path"
            _kage_alias "$path" "$w"
            if ((nargs == 0)) && [[ " $_kage_subs " == *" $_kage_word "* ]]; then
                path=${path:+$path }$_kage_word
            else
                nargs=$((nargs + 1))
            fi
            ;;
        esac
    done

    _kage_spec "$path"
    local pre=''
    if [[ -n $want ]]; then
        _kage_values "$want" || files=$?
    elif [[ $cur == -*=* ]] && ((!dashdash)); then
        _kage_values "${cur%%=*}" || files=$?
        pre=${cur%%=*}=
        cur=${cur#*=}
    elif [[ $cur == -* ]] && ((!dashdash)); then
        for w in $_kage_flags; do
            _kage_cands+=("${w%=}")
        done
    else
        case $path in
        '' | secret | namespace | subscription) ((nargs == 0)) && for w in $_kage_subs; do _kage_cands+=("$w"); done ;;
        help) ((nargs == 0)) && _kage_spec '' && for w in $_kage_subs; do _kage_cands+=("$w"); done ;;
        'secret get' | 'secret delete')
            ((nargs == 0)) && _kage_dynamic names ${_kage_scope:+--scope "$_kage_scope"} ${_kage_ns:+--namespace "$_kage_ns"}
            ;;
        'namespace set') ((nargs == 0)) && _kage_dynamic namespaces ;;
        'subscription remove' | 'subscription use' | 'subscription unuse' | 'subscription key')
            ((nargs == 0)) && _kage_dynamic subscriptions
            ;;
        'secret import') ((nargs == 0)) && files=2 ;;
        scan) files=2 ;;
        hook) ((nargs == 0)) && _kage_cands=(bash elvish fish nu pwsh zsh) ;;
        completion) ((nargs == 0)) && _kage_cands=(bash fish pwsh zsh) ;;
        exec)
            if ((nargs == 0)); then
                _kage_read < <(compgen -c -- "$cur")
            else
                files=2
            fi
            ;;
        esac
    fi

    if ((files)); then
        # Let readline quote the names and mark folders.
        compopt -o filenames 2>/dev/null
        if ((files == 1)); then
            _kage_read < <(compgen -d -- "$cur")
        else
            _kage_read < <(compgen -f -- "$cur")
        fi
        COMPREPLY=("${_kage_cands[@]}")
        return 0
    fi

    # bash replaces only the text after the last COMP_WORDBREAKS character
    # of the word, so candidates lose the part of it already typed.
    local brk='' cut=''
    [[ $COMP_WORDBREAKS == *:* ]] && brk+=':'
    [[ $COMP_WORDBREAKS == *=* ]] && brk+='='
    if [[ -n $brk ]]; then
        cut=$pre$cur
        cut=${cut%"${cut##*["$brk"]}"}
    fi
    local c q
    for c in "${_kage_cands[@]}"; do
        [[ $c == "$cur"* ]] || continue
        c=$pre$c
        c=${c#"$cut"}
        if [[ $c == *[!A-Za-z0-9_./~:=@%+,-]* ]]; then
            printf -v q '%q' "$c"
            c=$q
        fi
        COMPREPLY+=("$c")
    done
    return 0
}

complete -F _kage kage
