"""The bash and zsh completion scripts, rendered from the parser tree (``_completion``).

Both scripts hold the tree as data (one ``case`` branch per command: its subcommands, options,
the options that take a value and what completes it, its positionals) and one small walker
that reads the words typed so far: each subcommand word moves down the tree, an option that
takes a value skips its value, other words count as positionals. The data is the only part
that changes with Netyard; the walkers stay as they are. A value's kind is ``words:A,B``
(those words), ``files``, ``dirs`` or ``free`` (nothing to suggest).

bash: no associative arrays (macOS still ships bash 3.2). zsh: descriptions beside commands
and options, and the script works both autoloaded from ``fpath`` and ``eval``'d.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # _completion imports this module when asked for a script
    from engine.cli._completion import Command, Values


def render(shell: str, commands: list[Command]) -> str:
    return {"bash": bash_script, "zsh": zsh_script}[shell](commands)


def _kind(values: Values) -> str:
    return f"words:{','.join(values.words)}" if values.kind == "words" else values.kind


def _quote(text: str) -> str:
    """``text`` in single quotes, for either shell."""
    return "'" + text.replace("'", "'\\''") + "'"


def _flags(command: Command) -> list[str]:
    return [flag for option in command.options for flag in option.flags]


def _valued(command: Command) -> list[tuple[str, str]]:
    return [
        (flag, _kind(option.values))
        for option in command.options
        if option.values is not None
        for flag in option.flags
    ]


# -- bash -----------------------------------------------------------------------------------
_BASH_HEAD = """\
# bash completion for netyard, made by 'netyard completion bash' from its own parser.
# Make it again after installing a plugin or upgrading Netyard.

_netyard_spec() {
    # The command reached by the words "$1": its subcommands, options, the options that take
    # a value ("--option=kind"), its positionals' kinds, whether the last one repeats, and
    # whether its first positional names a command whose arguments follow.
    _ny_subs='' _ny_flags='' _ny_valued='' _ny_positionals='' _ny_repeats=0 _ny_delegates=0
    case "$1" in
"""

_BASH_TAIL = """\
    esac
}

_netyard_kind_of() {
    local entry
    for entry in $_ny_valued; do
        if [[ ${entry%%=*} == "$1" ]]; then
            printf '%s\\n' "${entry#*=}"
            return 0
        fi
    done
    return 1
}

_netyard_values() {
    local words
    case "$1" in
        words:*)
            words=${1#words:}
            COMPREPLY=($(compgen -W "${words//,/ }" -- "$2"))
            ;;
        files)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$2"))
            ;;
        dirs)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$2"))
            ;;
        *) COMPREPLY=() ;;
    esac
}

_netyard() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' path='' word expect='' positional=0 i
    local option kind toplevel positionals
    local _ny_subs _ny_flags _ny_valued _ny_positionals _ny_repeats _ny_delegates
    _netyard_spec ''
    toplevel=$_ny_subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == '=' ]]; then
            continue  # --option=value, split at the '=' by bash
        elif [[ -n $expect ]]; then
            expect=''
        elif [[ $word == -* ]]; then
            [[ $word != *=* ]] && _netyard_kind_of "$word" >/dev/null && expect=1
        elif ((positional == 0)) && [[ " $_ny_subs " == *" $word "* ]]; then
            path="${path:+$path }$word"
            _netyard_spec "$path"
        elif ((positional == 0 && _ny_delegates)) && [[ " $toplevel " == *" $word "* ]]; then
            path=$word
            _netyard_spec "$path"
        else
            ((positional++))
        fi
    done
    ((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    option=''
    if [[ $cur == '=' ]]; then
        option=$prev cur=''
    elif [[ $prev == '=' ]] && ((COMP_CWORD > 2)); then
        option=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ -n $expect ]]; then
        option=$prev
    elif [[ $cur == --*=* ]]; then
        option=${cur%%=*}
        kind=$(_netyard_kind_of "$option") || return 0
        _netyard_values "$kind" "${cur#*=}"
        COMPREPLY=("${COMPREPLY[@]/#/$option=}")
        return 0
    fi
    if [[ -n $option ]]; then
        kind=$(_netyard_kind_of "$option") && _netyard_values "$kind" "$cur"
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_ny_flags" -- "$cur"))
    elif ((positional == 0)) && [[ -n $_ny_subs ]]; then
        COMPREPLY=($(compgen -W "$_ny_subs" -- "$cur"))
    else
        positionals=($_ny_positionals)
        if ((positional >= ${#positionals[@]} && _ny_repeats)); then
            positional=$((${#positionals[@]} - 1))
        fi
        ((positional < ${#positionals[@]})) && _netyard_values "${positionals[positional]}" "$cur"
    fi
    return 0
}

complete -F _netyard netyard
"""


def bash_script(commands: list[Command]) -> str:
    branches = []
    for command in commands:
        fields = {
            "_ny_subs": " ".join(command.subcommands),
            "_ny_flags": " ".join(_flags(command)),
            "_ny_valued": " ".join(f"{flag}={kind}" for flag, kind in _valued(command)),
            "_ny_positionals": " ".join(_kind(values) for values in command.positionals),
        }
        lines = [f"        {name}={_quote(value)}" for name, value in fields.items() if value]
        lines += [
            f"        _ny_repeats={int(command.repeats)} _ny_delegates={int(command.delegates)}"
        ]
        branches.append(
            f"    {_quote(' '.join(command.path))})\n" + "\n".join(lines) + "\n        ;;"
        )
    return _BASH_HEAD + "\n".join(branches) + "\n" + _BASH_TAIL


# -- zsh ------------------------------------------------------------------------------------
_ZSH_HEAD = """\
#compdef netyard
# zsh completion for netyard, made by 'netyard completion zsh' from its own parser.
# Make it again after installing a plugin or upgrading Netyard.

_netyard_spec() {
    # The command reached by the words "$1" (see the bash script's _netyard_spec).
    subs=() flags=() valued=() positionals=() repeats=0 delegates=0
    case $1 in
"""

_ZSH_TAIL = """\
    esac
}

_netyard_values() {
    local -a choices
    case $1 in
        (words:*) choices=(${(s:,:)${1#words:}}); compadd -a choices ;;
        (files) _files ;;
        (dirs) _files -/ ;;
        (*) _message 'a value' ;;
    esac
}

_netyard() {
    local cmd='' word expect='' cur option index repeats delegates
    local -i i positional=0
    local -a subs flags positionals toplevel
    local -A valued
    _netyard_spec ''
    toplevel=(${subs%%:*})
    for ((i = 2; i < CURRENT; i++)); do
        word=$words[i]
        if [[ -n $expect ]]; then
            expect=''
        elif [[ $word == -* ]]; then
            [[ $word != *=* && -n ${valued[$word]} ]] && expect=1
        elif ((positional == 0)) && ((${subs[(I)${(b)word}:*]})); then
            cmd="${cmd:+$cmd }$word"
            _netyard_spec "$cmd"
        elif ((positional == 0 && delegates)) && ((${toplevel[(I)${(b)word}]})); then
            cmd=$word
            _netyard_spec "$cmd"
        else
            ((positional++))
        fi
    done
    cur=$words[CURRENT]
    if [[ $cur == --*=* && -n ${valued[${cur%%=*}]} ]]; then
        option=${cur%%=*}
        compset -P '*='
        _netyard_values $valued[$option]
    elif [[ -n $expect ]]; then
        _netyard_values $valued[$words[CURRENT-1]]
    elif [[ $cur == -* ]]; then
        _describe -t options option flags
    elif ((positional == 0 && $#subs)); then
        _describe -t commands command subs
    else
        index=$((positional + 1))
        ((index > $#positionals && repeats)) && index=$#positionals
        ((index <= $#positionals)) && _netyard_values $positionals[index]
    fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _netyard "$@"
else
    compdef _netyard netyard
fi
"""


def _described(name: str, help_text: str) -> str:
    return _quote(f"{name}:{help_text}" if help_text else name)


def zsh_script(commands: list[Command]) -> str:
    branches = []
    for command in commands:
        subs = [_described(name, text) for name, text in command.subcommands.items()]
        flags = [_described(flag, o.help) for o in command.options for flag in o.flags]
        valued = [f"{flag} {_quote(kind)}" for flag, kind in _valued(command)]
        lines = [
            f"            subs=({' '.join(subs)})" if subs else "",
            f"            flags=({' '.join(flags)})" if flags else "",
            f"            valued=({' '.join(valued)})" if valued else "",
            f"            positionals=({' '.join(_quote(_kind(v)) for v in command.positionals)})"
            if command.positionals
            else "",
            f"            repeats={int(command.repeats)} delegates={int(command.delegates)}",
        ]
        body = "\n".join(line for line in lines if line)
        branches.append(f"        ({_quote(' '.join(command.path))})\n{body}\n            ;;")
    return _ZSH_HEAD + "\n".join(branches) + "\n" + _ZSH_TAIL
