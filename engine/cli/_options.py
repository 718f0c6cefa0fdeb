"""What several commands' parsers share: the parser class, common options, argument types.

A leaf of the CLI: the command modules take these from here and ``_main`` imports the
command modules, so imports between the CLI's modules go one way only.
"""

from __future__ import annotations

import argparse

from engine.errors import UsageError

WORKSPACE_HELP = "workspace folder (default: $NETYARD_WORKSPACE or the user data dir)"


class Parser(argparse.ArgumentParser):
    """Every parser of the CLI: a bad argument is a ``UsageError`` (one line, exit 2) like every
    other user error. (``exit_on_error=False`` would not do: missing and unknown arguments
    still go through ``error``.)"""

    def error(self, message: str) -> None:
        raise UsageError(message)


def add_set_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help=help_text,
    )  # fmt: skip


def add_workspace_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", metavar="DIR", help=WORKSPACE_HELP)


def add_workspace_options(parser: argparse.ArgumentParser) -> None:
    """``--workspace`` and ``--tracking-uri``."""
    add_workspace_option(parser)
    parser.add_argument(
        "--tracking-uri", metavar="URI", help="an MLflow tracking URI instead of the workspace's"
    )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    return value


def seed(text: str) -> int:
    from engine.options import SEED

    try:
        return SEED.parse(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected 0 to 65535")
    return value
