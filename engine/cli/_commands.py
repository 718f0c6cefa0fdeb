"""The subcommands' bodies."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable

from engine.errors import NO_SPACE_PREFIX, UsageError
from engine.states import State


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def plugins(args: argparse.Namespace) -> int:
    from engine.plugin import discover_plugins, get_plugin

    if args.plugin:
        return _show_plugin(get_plugin(args.plugin))
    entries = discover_plugins()
    rows = []
    for entry in entries:
        kinds = ", ".join(entry.plugin.data_kinds) if entry.plugin else ""
        status = "ok" if entry.ok else "failed"
        rows.append([entry.id, entry.name, status, kinds, entry.error or ""])
    print(_table(rows, ["ID", "NAME", "STATUS", "DATA", "ERROR"]))
    if args.traceback:
        for entry in entries:
            if entry.traceback:
                print(f"\n--- {entry.id} ({entry.target}) ---\n{entry.traceback}")
    return 0


def _show_plugin(plugin) -> int:
    print(f"{plugin.id}: {plugin.name}\n  {plugin.description}")
    print(f"  data kinds: {', '.join(plugin.data_kinds)}")
    metrics = ", ".join(f"{name} ({direction})" for name, direction in plugin.metrics.items())
    print(f"  metrics: {metrics}\n")
    rows = []
    for param in plugin.full_schema():
        valid = param.describe_valid()
        rows.append([param.name, param.kind, str(param.default), valid, param.help])
    print(_table(rows, ["NAME", "TYPE", "DEFAULT", "VALID", "HELP"]))
    return 0


def datasets(args: argparse.Namespace) -> int:
    from engine.data import list_datasets, list_sources

    rows = [[info.id, info.kind, info.task, info.description] for info in list_datasets()]
    print(_table(rows, ["ID", "KIND", "TASK", "DESCRIPTION"]))
    print("\nYour own data (see docs/datasets.md):")
    for syntax in list_sources().values():
        print(f"  {syntax}")
    return 0


class _StopFlag:
    """SIGINT, SIGTERM or SIGHUP ask the run to stop after the current step (checkpoint,
    KILLED); a second SIGINT aborts."""

    def __init__(self) -> None:
        # A plain flag, not a threading.Event: the handler takes no lock, so a signal that
        # lands inside another's handling cannot deadlock it.
        self.stopping = False

    def __call__(self) -> bool:
        return self.stopping

    def install(self) -> dict:
        """Install the handlers; returns the previous ones, for ``restore``."""

        def handle(signum, frame):
            if self.stopping and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.stopping = True
            print(
                "\nnetyard: stopping after this step (Ctrl-C again to abort)",
                file=sys.stderr,
                flush=True,
            )

        stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        return {signum: signal.signal(signum, handle) for signum in stopping}

    @staticmethod
    def restore(previous: dict) -> None:
        # main() also runs in-process (tests, embedding): leave the handlers as they were.
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_config_from_args(args: argparse.Namespace):
    """The ``RunConfig`` that ``netyard run``'s arguments describe (checked by
    ``prepare_run``); ``netyard queue add run`` queues the same."""
    from engine.plugin import get_plugin
    from engine.runner import RunConfig

    plugin = get_plugin(args.plugin)
    hparams = plugin.full_schema().parse_assignments(args.assignments)
    if args.steps is not None:
        hparams["steps"] = args.steps
    return RunConfig(
        plugin=args.plugin,
        dataset=args.dataset,
        hparams=hparams,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        workspace=args.workspace,
        tracking_uri=args.tracking_uri,
        experiment=args.experiment,
        run_name=args.run_name,
        resume=args.resume,
        track=not args.no_track,
        log_model=not args.no_model,
    )


def run(args: argparse.Namespace) -> int:
    from engine.cli._load_progress import LoadProgress
    from engine.cli._progress import ProgressPrinter, format_metrics
    from engine.cli._status import clear, cleared_first, say
    from engine.data import loading_progress
    from engine.runner import execute_run, prepare_run

    say(f"Loading plugin {args.plugin} and dataset {args.dataset}")
    config = run_config_from_args(args)
    with loading_progress(LoadProgress()):  # a folder's first decode, a large file: a bar
        prepared = prepare_run(config)
    if prepared.finish_only:
        clear()
        state = prepared.resume_state or {}
        print(
            f"Run {state.get('mlflow_run_id')} had finished training (step {state.get('step')}) "
            "but stopped before it saved its model: saving it from the checkpoint"
        )
    if config.track:
        from engine.tracking import reconcile_dead_runs

        say(f"Opening the tracking store {prepared.tracking_uri}")
        reconcile_dead_runs(prepared.tracking_uri)
    say("Starting the run (building the model, creating its MLflow run)")
    stop = _StopFlag()
    previous_handlers = stop.install()
    try:
        outcome = execute_run(prepared, cleared_first(ProgressPrinter()), stop)
    finally:
        stop.restore(previous_handlers)

    print(f"\nStatus: {outcome.status.label} at step {outcome.step}")
    if outcome.error:
        print(f"Error: {outcome.error}")
    if outcome.metrics:
        print(f"Metrics: {format_metrics(outcome.metrics)}")
        # The run's summary (its description in MLflow); a stopped run has none of its own.
        notes = outcome.notes or prepared.plugin_cls.run_notes(outcome.metrics)
        for note in notes:
            print(f"Note: {note}")
    if outcome.checkpoint:
        print(f"Checkpoint: {outcome.checkpoint}")
    if outcome.run_id:
        print(f"MLflow run: {outcome.run_id} (experiment {outcome.experiment_id})")
        print(f"Tracking store: {outcome.tracking_uri}")
        where = f" --workspace {prepared.workspace.root}" if args.workspace else ""
        print(
            f"View it: netyard ui mlflow{where}   "
            f"(then #/experiments/{outcome.experiment_id}/runs/{outcome.run_id})"
        )
    if outcome.status == State.STOPPED and outcome.checkpoint:
        print(f"Resume: {_resume_command(config, outcome.checkpoint)}")
    if outcome.status == State.FAILED and (outcome.error or "").startswith(NO_SPACE_PREFIX):
        return 3  # engine.cli._main.EXIT_NO_SPACE: a full disk, not a bad run
    return outcome.status.exit_code


def _resume_command(config, checkpoint) -> str:
    """The ``netyard run`` line that resumes ``config``'s run from ``checkpoint``, quoted for
    the shell: every option it was started with (its ``--set``s, seed, workspace, store), so
    the resumed run trains on the same data split and logs to the same MLflow run."""
    import dataclasses

    return dataclasses.replace(config, resume=str(checkpoint)).to_command_line()


class _ServerStopSignal(Exception):
    """SIGTERM or SIGHUP arrived while ``netyard ui mlflow`` was serving."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# Signals that end `netyard ui mlflow`. SIGINT (Ctrl-C) keeps Python's KeyboardInterrupt.
_SERVER_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _install_server_stop_handlers() -> dict:
    """Make SIGTERM/SIGHUP raise ``_ServerStopSignal``; returns the previous handlers of
    those and of SIGINT, for ``_StopFlag.restore``.

    Installs nothing off the main thread (``signal.signal`` only works there; main() may be
    run in-process by tests or an embedding app).
    """
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum, frame):
        raise _ServerStopSignal(signum)

    previous = {signum: signal.signal(signum, handle) for signum in _SERVER_STOP_SIGNALS}
    previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)  # left as is, restored after
    # None: a handler set outside Python, which signal.signal cannot put back.
    return {signum: handler for signum, handler in previous.items() if handler is not None}


def _reconcile_workspace_runs(workspace) -> None:
    """Fail the workspace's runs whose process died, so listings do not show them RUNNING; a
    workspace without a store yet is left without one. MLflow is loaded only when the store
    may hold such a run (``may_hold_dead_runs``: seconds saved on nearly every listing)."""
    from engine.tracking import may_hold_dead_runs

    database = workspace.root / "mlflow.db"
    if database.exists() and may_hold_dead_runs(database):
        from engine.tracking import reconcile_dead_runs

        reconcile_dead_runs(workspace.tracking_uri)


def ui_mlflow(args: argparse.Namespace) -> int:
    """Serve the MLflow UI until the server exits or a signal asks to stop (``serve``).

    This process never imports MLflow: the server's process opens (creates) the store and,
    on the workspace's own, marks the runs whose process died FAILED before it serves."""
    from pathlib import Path

    from engine.cli._status import clear, say
    from engine.tracking import check_sqlite_store
    from engine.tracking.server import MlflowServer
    from engine.workspace import Workspace

    workspace = Workspace.resolve(args.workspace).ensure()
    store = args.tracking_uri or workspace.tracking_uri
    if store.startswith("sqlite:///"):  # a file that is not an MLflow store: one line, here
        check_sqlite_store(Path(store.removeprefix("sqlite:///")))
    server = MlflowServer(store, workspace.artifacts_dir, reconcile_dead_runs=not args.tracking_uri)

    def start() -> str:
        say(f"Starting the MLflow UI server on {store}")
        try:
            url = server.start(port=args.port)
        except RuntimeError as error:
            raise UsageError(str(error)) from None
        clear()
        return f"MLflow UI for {server.backend_store_uri}\n  {url}\nPress Ctrl-C to stop."

    return serve(start, server.wait, server.stop)


def serve(start: Callable[[], str], wait: Callable[[], int], stop: Callable[[], None]) -> int:
    """Start servers, print what ``start`` returns, and wait until they exit or a signal asks
    to stop; whatever ends it, ``stop`` runs, uninterrupted by a second signal.

    Exit status: the server's own if it exits by itself; 0 on Ctrl-C (SIGINT) while
    serving; 128 + signum on SIGTERM (143) or SIGHUP (129), the shell convention for "ended
    by a signal".
    """
    previous_handlers = _install_server_stop_handlers()
    try:
        started = start()
        # Serving from the moment the address is out: a Ctrl-C that lands while the print
        # returns (a loaded machine can pause the process right after its write) is a stop
        # like any other, not an interrupted start.
        try:
            print(started, flush=True)
            return wait()
        except KeyboardInterrupt:
            return 0
    except _ServerStopSignal as stopped:
        return 128 + stopped.signum
    finally:
        # A second signal (or Ctrl-C) must not cut the group's shutdown short.
        for signum in previous_handlers:
            signal.signal(signum, signal.SIG_IGN)
        try:
            stop()
        finally:
            _StopFlag.restore(previous_handlers)
