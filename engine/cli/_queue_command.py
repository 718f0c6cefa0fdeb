"""``netyard queue``: runs and sweeps waiting in the workspace's queue, started in order.

``queue add run|sweep ARGS`` takes exactly the arguments of ``netyard run`` / ``netyard
sweep`` (parsed and checked by those commands' own code, so bad input is refused here, with
the same sentence, before anything is queued); ``queue start`` runs the entries, as many at
once as the queue allows, until none is left or the queue is paused.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any

from engine.cli._options import Parser, add_workspace_option, positive_int
from engine.errors import UsageError


def add_command(commands: argparse._SubParsersAction) -> None:
    queue = commands.add_parser("queue", help="queue runs and sweeps, then run them in order")
    actions = queue.add_subparsers(dest="queue", metavar="ACTION", parser_class=Parser,
                                   required=True)  # fmt: skip

    add = actions.add_parser(
        "add",
        help="queue a run or a sweep: netyard queue add run|sweep ARGS",
        description="ARGS are those of 'netyard run' or 'netyard sweep' (see their --help); "
        "they are checked now, and nothing is queued if they are wrong.",
    )
    add.add_argument("kind", choices=("run", "sweep"), help="run or sweep")
    add.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's arguments")
    # Parsed by the run or sweep command's own parser: the same checks and messages.
    add.set_defaults(handler=lambda args: add_entry(args, commands.choices[args.kind]))

    listing = actions.add_parser("list", help="the queue's entries and settings")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_entries)

    remove = actions.add_parser("remove", help="remove entries that are not running")
    remove.add_argument("ids", nargs="+", type=_entry_id, metavar="ID", help="entry id")
    remove.set_defaults(handler=remove_entries)

    clear = actions.add_parser("clear", help="remove the finished, failed and killed entries")
    clear.set_defaults(handler=clear_entries)

    move = actions.add_parser("move", help="move an entry to another place in the queue")
    move.add_argument("id", type=_entry_id, metavar="ID", help="entry id")
    move.add_argument("--to", type=positive_int, required=True, metavar="N",
                      help="its new place, 1 being the first")  # fmt: skip
    move.set_defaults(handler=move_entry)

    pause = actions.add_parser("pause", help="start no more entries (running ones go on)")
    pause.set_defaults(handler=lambda args: _set_paused(args, True))
    resume = actions.add_parser("resume", help="let a paused queue start entries again")
    resume.set_defaults(handler=lambda args: _set_paused(args, False))

    config = actions.add_parser("config", help="show or change the queue's settings")
    config.add_argument("--jobs", type=_jobs_setting, metavar="N|auto", default=argparse.SUPPRESS,
                        help="jobs at once (auto: one per GPU, else one)")  # fmt: skip
    config.add_argument("--stop-on-failure", type=_on_off, metavar="on|off",
                        help="pause the queue when an entry fails (default off)")  # fmt: skip
    config.set_defaults(handler=configure)

    start = actions.add_parser("start", help="run the queued entries in order; Ctrl-C stops")
    start.add_argument("--jobs", type=positive_int, metavar="N",
                       help="jobs at once this time (default: the queue's setting)")  # fmt: skip
    start.add_argument("--json", action="store_true", help="print events as JSON lines")
    start.set_defaults(handler=start_queue)

    for parser in (listing, remove, clear, move, pause, resume, config, start):
        add_workspace_option(parser)


# -- argument types ---------------------------------------------------------------------------
def _entry_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid entry id {text!r}: see 'netyard queue list'")
    return int(text)


def _jobs_setting(text: str) -> int | None:
    if text == "auto":
        return None
    if not text.isdigit() or not 1 <= int(text) <= 1024:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected auto or 1 to 1024")
    return int(text)


def _on_off(text: str) -> bool:
    choices = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}
    if text.lower() not in choices:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected on or off")
    return choices[text.lower()]


def _queue(args: argparse.Namespace):
    from engine.queue import RunQueue
    from engine.workspace import Workspace

    return RunQueue.of_workspace(Workspace.resolve(args.workspace).root)


# -- commands ---------------------------------------------------------------------------------
def add_entry(args: argparse.Namespace, command_parser: argparse.ArgumentParser) -> int:
    """Queue what ``command_parser`` (``netyard run``'s or ``netyard sweep``'s) reads in the
    arguments, checked as that command checks them."""
    from engine.queue import RunQueue
    from engine.workspace import Workspace

    command = command_parser.parse_args(args.arguments)
    workspace = Workspace.resolve(command.workspace).ensure()
    command.workspace = str(workspace.root)  # the entry runs where it was queued
    payload = _run_payload(command) if args.kind == "run" else _sweep_payload(command)
    entry = RunQueue.of_workspace(workspace.root).add(args.kind, payload)
    print(f"Queued entry {entry.id}: {entry.title}")
    print(f"Run the queue: netyard queue start --workspace {workspace.root}")
    return 0


def _run_payload(command: argparse.Namespace) -> dict[str, Any]:
    from engine.cli._commands import run_config_from_args
    from engine.runner import prepare_run

    config = run_config_from_args(command)
    prepare_run(config)  # every check 'netyard run' makes; nothing is tracked
    return config.to_dict()


def _sweep_payload(command: argparse.Namespace) -> dict[str, Any]:
    from engine.cli._sweep_commands import spec_from_args
    from engine.sweeps import resolve_spec

    if command.save_config:
        raise UsageError("--save-config writes a spec file; it cannot be queued")
    if command.team_file:  # its passwords would be needed when the queue starts it
        raise UsageError(
            "--team-file cannot be queued: run the team's sweep with netyard sweep --team-file"
        )
    spec = spec_from_args(command)
    resolve_spec(spec)  # every check 'netyard sweep' makes; nothing runs
    return spec.to_dict()


def list_entries(args: argparse.Namespace) -> int:
    from engine.cli._commands import _table

    run_queue = _queue(args)
    state = run_queue.state()
    if args.json:
        print(json.dumps({"path": str(run_queue.path), **state.to_dict()}, indent=2))
        return 0
    print(_settings_line(run_queue, state))
    rows = [
        [str(e.id), e.state, e.kind, e.title, _clock(e.added_at), e.message] for e in state.entries
    ]
    header = ["ID", "STATE", "KIND", "ENTRY", "ADDED", "MESSAGE"]
    print(_table(rows, header) if rows else "The queue is empty.")
    return 0


def _settings_line(run_queue, state) -> str:
    jobs = state.max_jobs or "auto (one per GPU, else one)"
    waiting = "paused" if state.paused else "not paused"
    stop = "on" if state.stop_on_failure else "off"
    return f"Queue {run_queue.path}: {waiting}, {jobs} at once, stop on failure {stop}"


def _clock(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else ""


def remove_entries(args: argparse.Namespace) -> int:
    run_queue = _queue(args)
    for entry_id in args.ids:
        entry = run_queue.remove(entry_id)
        print(f"Removed entry {entry.id}: {entry.title}")
    return 0


def clear_entries(args: argparse.Namespace) -> int:
    count = _queue(args).clear_ended()
    print(f"Removed {count} ended entr{'y' if count == 1 else 'ies'}.")
    return 0


def move_entry(args: argparse.Namespace) -> int:
    entry = _queue(args).move(args.id, args.to)
    print(f"Entry {entry.id} is now number {args.to}: {entry.title}")
    return 0


def _set_paused(args: argparse.Namespace, paused: bool) -> int:
    _queue(args).set_paused(paused)
    print("Queue paused: no entry starts until 'netyard queue resume'." if paused else
          "Queue resumed.")  # fmt: skip
    return 0


def configure(args: argparse.Namespace) -> int:
    run_queue = _queue(args)
    changes = {"max_jobs": args.jobs} if hasattr(args, "jobs") else {}  # None: auto
    state = run_queue.set_settings(**changes, stop_on_failure=args.stop_on_failure)
    print(_settings_line(run_queue, state))
    return 0


def start_queue(args: argparse.Namespace) -> int:
    from engine.queue import exclusive_runner

    run_queue = _queue(args)
    with exclusive_runner(run_queue.path):  # one runner per queue: the second is refused
        return _run_queue(args, run_queue)


def _run_queue(args: argparse.Namespace, run_queue) -> int:
    from engine.queue import QueueRunner
    from engine.worker import JsonLines

    if run_queue.state().paused:
        run_queue.set_paused(False)
        print("The queue was paused; starting it resumes it.", flush=True)
    printer = _EventPrinter(JsonLines() if args.json else None)
    runner = QueueRunner(run_queue, printer, max_jobs=args.jobs)
    presses: list[int] = []

    def handle(signum, frame):
        presses.append(signum)
        if signum != signal.SIGINT or len(presses) > 1:
            runner.stop(kill=len(presses) > 1)
            print("\nnetyard: stopping the running entries now", file=sys.stderr, flush=True)
        else:
            runner.stop()
            print(
                "\nnetyard: stopping; running entries go back in the queue "
                "(Ctrl-C again to kill them)",
                file=sys.stderr,
                flush=True,
            )

    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, handle) for signum in stopping}
    try:
        summary = runner.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    state = run_queue.state()
    left = len(state.queued())
    why = " (the queue is paused)" if state.paused and left else ""
    print(f"Queue: {summary.finished} finished, {summary.failed} failed or killed, "
          f"{left} still queued{why}.")  # fmt: skip
    if summary.stopped:
        return 130
    return 1 if summary.failed else 0


class _EventPrinter:
    """One line per thing worth knowing, each marked with its entry: ``[3] step 40/200 …``."""

    def __init__(self, json_lines=None) -> None:
        self.json_lines = json_lines

    def __call__(self, entry_id: int, event) -> None:
        if self.json_lines is not None:
            self.json_lines(_WithEntry(entry_id, event))
            return
        text = self.describe(event)
        if text:
            print(f"[{entry_id}] {text}", flush=True)

    @staticmethod
    def describe(event) -> str:
        from engine.cli._progress import format_metrics
        from engine.events import EvalMetrics, RunFailed, RunFinished, RunStarted
        from engine.queue import EntryEnded, EntryStarted
        from engine.sweeps import SweepFinished, SweepStarted, TrialFailed, TrialFinished

        if isinstance(event, EntryStarted):
            return f"started {event.entry_kind}: {event.title}"
        if isinstance(event, EntryEnded):
            paused = "; the queue is paused (stop on failure)" if event.paused_queue else ""
            message = f": {event.message}" if event.message else ""
            return f"{event.state}{message}{paused}"
        if isinstance(event, RunStarted) and event.run_id:
            return f"MLflow run {event.run_id} on {event.device}"
        if isinstance(event, EvalMetrics):
            return f"step {event.step}  {format_metrics(event.metrics)}"
        if isinstance(event, RunFinished):
            return f"step {event.step}  {format_metrics(event.metrics)}"
        if isinstance(event, RunFailed):
            return f"run failed at step {event.step}"
        if isinstance(event, SweepStarted):
            return f"sweep {event.name}, storage {event.storage}"
        if isinstance(event, TrialFinished):
            return f"trial {event.number} done: {', '.join(f'{v:.4g}' for v in event.values)}"
        if isinstance(event, TrialFailed):
            return f"trial {event.number} failed: {event.reason}"
        if isinstance(event, SweepFinished):
            return f"sweep {event.name} {event.status}"
        return ""


class _WithEntry:
    """An event as a JSON line with its entry id: ``{"entry": 3, "kind": ..., ...}``."""

    def __init__(self, entry_id: int, event) -> None:
        self.entry_id, self.event = entry_id, event

    def to_json(self) -> str:
        return json.dumps({"entry": self.entry_id, **json.loads(self.event.to_json())})
