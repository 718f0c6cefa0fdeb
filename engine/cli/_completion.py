"""``netyard completion bash|zsh``: a shell completion script made from the parser itself.

The script is generated from the argparse tree at the moment it is asked for, so every
command, subcommand, option and ``choices`` list completes without a line written for it
here; a new command or flag completes once the script is made again. Values argparse does
not know are added where they cost nothing to find: plugin ids (``run PLUGIN``), built-in
dataset ids (``--dataset``), folders for ``DIR`` and files for ``FILE``/``PATH``-like
metavars. The shells' own syntax is in ``_completion_scripts``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh")
INSTALL = """\
install (then open a new shell):
  bash: netyard completion bash > ~/.local/share/bash-completion/completions/netyard
        (read by the bash-completion package; without it, add to ~/.bashrc:
        eval "$(netyard completion bash)")
  zsh:  mkdir -p ~/.zfunc && netyard completion zsh > ~/.zfunc/_netyard
        and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)
        (or add to ~/.zshrc, after compinit: eval "$(netyard completion zsh)")
make it again after installing a plugin or upgrading Netyard: plugin ids are part of it."""

DIRECTORY_METAVARS = {"DIR"}
FILE_METAVARS = {"FILE", "PATH", "YAML", "CHECKPOINT"}
# Only plain words go into a script (a third-party plugin id is not trusted to be one).
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_.:+@%-]+$")


@dataclass(frozen=True)
class Values:
    """What completes an argument's value: ``words``, ``files``, ``dirs`` or ``free`` (no
    suggestion: a number, a name, a URL)."""

    kind: str
    words: tuple[str, ...] = ()


FREE = Values("free")


@dataclass
class Option:
    flags: tuple[str, ...]
    help: str
    values: Values | None  # None: a flag that takes no value


@dataclass
class Command:
    """One parser of the tree: ``path`` is the words that reach it (``("ui", "mlflow")``)."""

    path: tuple[str, ...]
    help: str = ""
    subcommands: dict[str, str] = field(default_factory=dict)  # name: help
    options: list[Option] = field(default_factory=list)
    positionals: list[Values] = field(default_factory=list)
    repeats: bool = False  # the last positional takes any number of words
    # Its first positional names a top-level command whose arguments follow (queue add run).
    delegates: bool = False


def add_command(commands: argparse._SubParsersAction, root: argparse.ArgumentParser) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a bash or zsh completion script",
        description="Print a completion script for bash or zsh on stdout.",
        epilog=INSTALL,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell the script is for")

    def handler(args: argparse.Namespace) -> int:
        from engine.cli._completion_scripts import render

        print(render(args.shell, commands_of(root, cheap_values())), end="")
        return 0

    completion.set_defaults(handler=handler)


def cheap_values() -> dict[str, Values]:
    """Values known without loading a model or a store, by argument ``dest``: argparse does
    not hold them as ``choices`` because they are checked later, with a better message."""
    from engine.data import list_datasets
    from engine.plugin import discover_plugins
    from engine.sweeps import PRUNERS, SAMPLERS

    return {
        "plugin": _words(entry.id for entry in discover_plugins() if entry.ok),
        "dataset": _words(info.id for info in list_datasets()),
        "device": _words(("auto", "cpu", "cuda")),
        "sampler": _words(SAMPLERS),
        "pruner": _words(PRUNERS),
        "direction": _words(("maximize", "minimize")),
    }


def _words(words) -> Values:
    return Values("words", tuple(word for word in words if _PLAIN_WORD.match(word)))


def commands_of(parser: argparse.ArgumentParser, known: dict[str, Values]) -> list[Command]:
    """Every parser of the tree under ``parser``, depth first, ``parser`` itself first."""
    found: list[Command] = []
    _walk(parser, (), "", known, found)
    return found


def _walk(parser, path: tuple[str, ...], help_text: str, known, found: list[Command]) -> None:
    command = Command(path, help_text)
    found.append(command)
    children = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, child in action.choices.items():
                command.subcommands[name] = _one_line(helps.get(name, ""))
                children.append((child, (*path, name), helps.get(name, "")))
        elif action.option_strings:
            takes_value = action.nargs != 0
            values = _values(action, known) if takes_value else None
            command.options.append(Option(tuple(action.option_strings), _help(action), values))
        elif action.nargs == argparse.REMAINDER:
            previous = command.positionals[-1] if command.positionals else None
            command.delegates = previous is not None and previous.kind == "words"
            command.repeats = True
            command.positionals.append(FREE)
        else:
            command.positionals.append(_values(action, known))
            command.repeats = action.nargs in ("*", "+")
    for child, child_path, child_help in children:
        _walk(child, child_path, child_help, known, found)


def _values(action: argparse.Action, known: dict[str, Values]) -> Values:
    if action.choices is not None and not isinstance(action.choices, dict):
        return _words(str(choice) for choice in action.choices)
    if action.dest in known:
        return known[action.dest]
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    if metavar in DIRECTORY_METAVARS:
        return Values("dirs")
    if metavar in FILE_METAVARS:
        return Values("files")
    return FREE


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    try:
        text = argparse.HelpFormatter("netyard")._expand_help(action)
    except (KeyError, TypeError, ValueError):
        pass
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
