"""Argument parsing and dispatch. User errors print one line and exit with status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.cli import (
    _commands,
    _completion,
    _explain_command,
    _gc_command,
    _lr_find_command,
    _model_commands,
    _queue_command,
    _report_command,
    _runs_command,
    _server_command,
    _sweep_commands,
)
from engine.cli._options import (
    WORKSPACE_HELP,
    Parser,
    add_set_option,
    add_workspace_options,
    port,
    positive_int,
    seed,
)
from engine.cli._status import clear as clear_status
from engine.errors import NoSpaceLeft, UsageError
from engine.mlflow_output import quiet_mlflow_output

EXIT_USAGE = 2
EXIT_NO_SPACE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="netyard", description="Netyard: train deep-learning plugins, track runs in MLflow."
    )
    parser.add_argument("--version", action="version", version=_version())
    # Before the command too (netyard --workspace DIR plugins); the command's own one wins. A
    # dest of its own: argparse lets a subcommand's default overwrite the main parser's.
    parser.add_argument("--workspace", dest="main_workspace", metavar="DIR", help=WORKSPACE_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    plugins = commands.add_parser("plugins", help="list plugins, or show one plugin's parameters")
    plugins.add_argument("plugin", nargs="?", help="a plugin id: show its hyperparameters")
    plugins.add_argument("--traceback", action="store_true", help="show load tracebacks")
    plugins.set_defaults(handler=_commands.plugins)

    datasets = commands.add_parser("datasets", help="list the built-in datasets")
    datasets.set_defaults(handler=_commands.datasets)
    _add_run_command(commands)
    _add_ui_command(commands)
    gui = commands.add_parser("gui", help="open the desktop app (also: netyard with no arguments)")
    gui.add_argument("--workspace", metavar="DIR", help="workspace folder to open")
    gui.set_defaults(handler=_launch_gui)
    _sweep_commands.add_commands(commands)
    _model_commands.add_commands(commands)
    _explain_command.add_command(commands)
    _server_command.add_command(commands)
    _queue_command.add_command(commands)
    _report_command.add_command(commands)
    _runs_command.add_command(commands)
    _gc_command.add_command(commands)
    _lr_find_command.add_command(commands)
    _completion.add_command(commands, parser)
    return parser


def _add_run_command(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="train a plugin on a dataset")
    run.add_argument("plugin", help="plugin id (see 'netyard plugins')")
    run.add_argument("--dataset", required=True, help="dataset id (see 'netyard datasets')")
    add_set_option(run, "set a hyperparameter, e.g. --set lr=3e-3 (repeatable)")
    run.add_argument("--steps", type=positive_int, help="training steps (same as --set steps=N)")
    run.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    run.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    run.add_argument(
        "--threads",
        type=positive_int,
        help="CPU threads (default: the cores other programs leave idle, followed as it trains)",
    )
    add_workspace_options(run)
    run.add_argument("--experiment", help="MLflow experiment (default: PLUGIN-DATASET)")
    run.add_argument("--run-name", help="MLflow run name")
    run.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint file")
    run.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    run.add_argument(
        "--no-model", action="store_true", help="log no MLflow Model (weights and config only)"
    )
    run.set_defaults(handler=_commands.run)


def _add_ui_command(commands: argparse._SubParsersAction) -> None:
    ui = commands.add_parser("ui", help="open a web UI on the workspace")
    which = ui.add_subparsers(dest="ui", metavar="UI", parser_class=Parser, required=True)
    mlflow = which.add_parser("mlflow", help="the MLflow UI on the workspace's runs")
    add_workspace_options(mlflow)
    mlflow.add_argument("--port", type=port, default=0, help="port (default: a free one)")
    mlflow.set_defaults(handler=_commands.ui_mlflow)
    _sweep_commands.add_ui_command(which)


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


def _exit_quickly() -> None:
    """Freeze the heap when the process exits, before the interpreter tears it down: its
    last garbage collections over torch's and MLflow's objects took 1.5-4 s after a
    command's last line (2.3 s -> 0.13 s for a process holding both, measured here). The
    exit handlers (flushes, temporary folders) still run; only those collections skip
    objects that end with the process anyway. Registered once per process."""
    import atexit
    import gc

    global _exit_registered
    if not _exit_registered:
        atexit.register(gc.freeze)
        _exit_registered = True


_exit_registered = False


def main(argv: Sequence[str] | None = None) -> int:
    quiet_mlflow_output()
    _exit_quickly()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "workspace", None) is None:
            args.workspace = args.main_workspace
        if args.command is None:
            return _launch_gui(args)
        try:
            return int(args.handler(args) or 0)
        finally:
            clear_status()  # before an error's line, which would land after a spinner
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
