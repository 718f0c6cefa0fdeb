"""Argument parsing and dispatch. User errors print one line and exit with status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.errors import NoSpaceLeft, UsageError
from engine.mlflow_output import quiet_mlflow_output

EXIT_USAGE = 2
EXIT_NO_SPACE = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other user error
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from engine.cli import (
        _commands,
        _model_commands,
        _queue_command,
        _report_command,
        _server_command,
        _sweep_commands,
    )

    parser = _Parser(
        prog="netyard", description="Netyard: train deep-learning plugins, track runs in MLflow."
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    plugins = commands.add_parser("plugins", help="list plugins, or show one plugin's parameters")
    plugins.add_argument("plugin", nargs="?", help="a plugin id: show its hyperparameters")
    plugins.add_argument("--traceback", action="store_true", help="show load tracebacks")
    plugins.set_defaults(handler=_commands.plugins)

    datasets = commands.add_parser("datasets", help="list the built-in datasets")
    datasets.set_defaults(handler=_commands.datasets)

    run = commands.add_parser("run", help="train a plugin on a dataset")
    run.add_argument("plugin", help="plugin id (see 'netyard plugins')")
    run.add_argument("--dataset", required=True, help="dataset id (see 'netyard datasets')")
    _add_set(run, "set a hyperparameter, e.g. --set lr=3e-3 (repeatable)")
    run.add_argument("--steps", type=_positive_int, help="training steps (same as --set steps=N)")
    run.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    run.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    run.add_argument(
        "--threads",
        type=_positive_int,
        help="CPU threads (default: the cores other programs leave idle, followed as it trains)",
    )
    _add_workspace_options(run)
    run.add_argument("--experiment", help="MLflow experiment (default: PLUGIN-DATASET)")
    run.add_argument("--run-name", help="MLflow run name")
    run.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint file")
    run.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    run.add_argument(
        "--no-model", action="store_true", help="log no MLflow Model (weights and config only)"
    )
    run.set_defaults(handler=_commands.run)

    ui = commands.add_parser("ui", help="open a web UI on the workspace")
    ui_which = ui.add_subparsers(dest="ui", metavar="UI", parser_class=_Parser, required=True)
    ui_mlflow = ui_which.add_parser("mlflow", help="the MLflow UI on the workspace's runs")
    _add_workspace_options(ui_mlflow)
    ui_mlflow.add_argument("--port", type=_port, default=0, help="port (default: a free one)")
    ui_mlflow.set_defaults(handler=_commands.ui_mlflow)

    gui = commands.add_parser("gui", help="open the desktop app (also: netyard with no arguments)")
    gui.add_argument("--workspace", metavar="DIR", help="workspace folder to open")
    gui.set_defaults(handler=_launch_gui)
    _sweep_commands.add_commands(commands)
    _model_commands.add_commands(commands)
    _server_command.add_command(commands)
    _queue_command.add_command(commands)
    _report_command.add_command(commands)
    return parser


def _add_set(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help=help_text,
    )  # fmt: skip


def _add_workspace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: $NETYARD_WORKSPACE or the user data dir)",
    )
    parser.add_argument(
        "--tracking-uri", metavar="URI", help="an MLflow tracking URI instead of the workspace's"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    return value


def _seed(text: str) -> int:
    from engine.runner import check_seed

    try:
        return check_seed(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected 0 to 65535")
    return value


def _launch_gui(args: argparse.Namespace) -> int:
    """Start the desktop app, found through the ``netyard.gui`` entry point.

    The engine never imports the app (or Qt): the app registers its ``main`` like a plugin.
    """
    from importlib.metadata import entry_points

    launchers = list(entry_points(group="netyard.gui"))
    if not launchers:
        raise UsageError("the desktop app is not installed; run 'netyard --help' for commands")
    return int(launchers[0].load()(workspace=getattr(args, "workspace", None)) or 0)


def _version() -> str:
    import engine

    return f"netyard {engine.__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    quiet_mlflow_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            return _launch_gui(args)
        return int(args.handler(args) or 0)
    except NoSpaceLeft as error:
        print(f"netyard: error: {error}", file=sys.stderr)
        return EXIT_NO_SPACE
    except UsageError as error:
        print(f"netyard: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netyard: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        # A tracking server with MLflow's basic-auth (netyard server's) and no credentials
        # given: the user's to fix, in one line, not MLflow's traceback.
        if type(error).__name__ != "MlflowException" or "error code 401" not in str(error):
            raise
        from engine.team_file import PASSWORD_WANTED

        print(f"netyard: error: the tracking server {PASSWORD_WANTED}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
