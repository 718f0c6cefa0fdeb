"""``netyard sweep``, ``netyard sweeps``, ``netyard worker`` and ``netyard ui optuna``.

``add_commands`` registers them on the main parser; the search syntax is in docs/sweeps.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any, TextIO

from engine.cli._options import add_set_option, add_workspace_options, port, positive_int, seed
from engine.cli._status import clear, cleared_first, say
from engine.errors import UsageError
from engine.states import State

# The trial states ``netyard sweeps`` lists, in its columns' order.
LISTED_STATES = (State.FINISHED, State.PRUNED, State.STOPPED, State.FAILED, State.RUNNING)

TEAM_FILE_HELP = (
    "the team file netyard server wrote (mode 0600): its storage and tracking URI, unless "
    "given, and their passwords"
)
DEFAULT_JOIN_WAIT_SECONDS = 300.0
SEARCH_HELP = (
    "a hyperparameter to search: NAME (its whole valid range), NAME=LOW:HIGH[:log|:linear]"
    "[:step=S] or NAME=A,B,C (repeatable; see docs/sweeps.md)"
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """``netyard sweep``, ``netyard sweeps`` and ``netyard worker``."""
    _add_sweep_command(commands)

    sweeps = commands.add_parser("sweeps", help="list sweeps (Optuna studies) in a storage")
    sweeps.add_argument("--storage", metavar="URL", help="Optuna storage (default: workspace)")
    sweeps.add_argument("--team-file", metavar="PATH", help=TEAM_FILE_HELP)
    sweeps.add_argument("--json", action="store_true", help="print JSON")
    add_workspace_options(sweeps)
    sweeps.set_defaults(handler=sweeps_command)

    worker = commands.add_parser("worker", help="join a running sweep and run its trials here")
    worker.add_argument("--study", required=True, help="the sweep's study name")
    worker.add_argument("--storage", metavar="URL", help="the sweep's storage")
    worker.add_argument("--team-file", metavar="PATH", help=TEAM_FILE_HELP)
    worker.add_argument(
        "--wait", type=float, default=DEFAULT_JOIN_WAIT_SECONDS, metavar="S",
        help="wait up to S seconds for the sweep's coordinator to start it (default "
        f"{DEFAULT_JOIN_WAIT_SECONDS:.0f}; 0: not at all)",
    )  # fmt: skip
    worker.add_argument("--parallel", type=positive_int, default=1, help="trials at once")
    worker.add_argument("--device", help="auto, cpu, cuda or cuda:N (default: the sweep's)")
    worker.add_argument("--json", action="store_true", help="print events as JSON lines")
    add_workspace_options(worker)
    worker.set_defaults(handler=worker_command)


def add_ui_command(ui_commands: argparse._SubParsersAction) -> None:
    """``netyard ui optuna``, beside ``netyard ui mlflow``."""
    dashboard = ui_commands.add_parser("optuna", help="optuna-dashboard on the sweeps' storage")
    dashboard.add_argument("--storage", metavar="URL", help="Optuna storage (default: workspace)")
    dashboard.add_argument("--port", type=port, default=0, help="port (default: a free one)")
    dashboard.add_argument(
        "--allow-writes",
        action="store_true",
        help="let the dashboard change studies (notes, deleting); read-only by default",
    )
    add_workspace_options(dashboard)
    dashboard.set_defaults(handler=ui_optuna_command)


def _add_sweep_command(commands: argparse._SubParsersAction) -> None:
    from engine.sweeps import ALGORITHMS, PRUNERS, SAMPLERS

    sweep = commands.add_parser("sweep", help="search hyperparameters with Optuna")
    sweep.add_argument("plugin", nargs="?", help="plugin id (or give --config)")
    sweep.add_argument("--config", metavar="YAML", help="a sweep spec file; flags override it")
    sweep.add_argument("--dataset", help="dataset id (see 'netyard datasets')")
    sweep.add_argument("--search", action="append", default=[], metavar="SPEC", help=SEARCH_HELP)
    add_set_option(sweep, "fix a hyperparameter for every trial (repeatable)")
    sweep.add_argument("--steps", type=positive_int, help="training steps per trial")
    sweep.add_argument("--trials", type=positive_int, help="trial budget (default 20)")
    sweep.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    sweep.add_argument("--parallel", type=positive_int, help="trials at once (default 1)")
    sweep.add_argument("--trials-per-gpu", type=positive_int, help="trials per GPU (default 1)")
    sweep.add_argument(
        "--threads", type=positive_int, help="CPU threads per trial (default: the idle cores)"
    )
    sweep.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    sweep.add_argument("--sampler", help=f"one of {', '.join(SAMPLERS)} (default tpe)")
    sweep.add_argument("--pruner", help=f"one of {', '.join(PRUNERS)} (default median)")
    sweep.add_argument(
        "--algorithm",
        help=f"one of {', '.join(ALGORITHMS)}: pbt (population-based training: members copy "
        "the best every --interval steps) or asha (successive halving whose promoted trials "
        "resume from their checkpoints); default: the sampler and pruner",
    )  # fmt: skip
    sweep.add_argument(
        "--population", type=int, metavar="N", help="pbt: members trained at once (default 8)"
    )
    sweep.add_argument(
        "--interval", type=int, metavar="K",
        help="pbt: steps between exploits (default a fifth of the steps); asha: the first "
        "rung (default steps / 27)",
    )  # fmt: skip
    sweep.add_argument(
        "--metric",
        action="append",
        default=[],
        help="objective metric, e.g. val_accuracy or param_count (repeat for several)",
    )
    sweep.add_argument(
        "--direction",
        action="append",
        default=[],
        help="maximize or minimize, one per --metric (default: the metric's own)",
    )
    sweep.add_argument("--seed", type=seed, help="seed of the sampler and of every trial")
    sweep.add_argument("--retries", type=int, help="rerun a failed trial up to N times")
    sweep.add_argument(
        "--trial-retries", type=int, metavar="N",
        help="resume a trial whose worker died (killed, out of memory) from its last "
        "checkpoint up to N times before it fails (default 2)",
    )  # fmt: skip
    sweep.add_argument(
        "--seeds-per-config", type=positive_int, metavar="K",
        help="train each configuration with K seeds and optimise their mean (default 1)",
    )  # fmt: skip
    sweep.add_argument(
        "--warm-start", metavar="STUDY[:N]",
        help="try the N best configurations of a past sweep first (default N 5)",
    )  # fmt: skip
    sweep.add_argument("--name", help="study name; an existing name resumes that sweep")
    sweep.add_argument("--storage", metavar="URL", help="Optuna storage (default: workspace)")
    sweep.add_argument("--team-file", metavar="PATH", help=TEAM_FILE_HELP)
    sweep.add_argument("--experiment", help="MLflow experiment (default: PLUGIN-DATASET)")
    sweep.add_argument(
        "--log-models", action="store_true", default=None,
        help="an MLflow Model for every complete trial (the best one always gets one)",
    )  # fmt: skip
    sweep.add_argument(
        "--replace-stopped", action="store_true", default=None,
        help="run another trial in place of each trial you stop (by default it counts)",
    )  # fmt: skip
    sweep.add_argument("--save-config", metavar="YAML", help="write the spec to a file and exit")
    sweep.add_argument("--json", action="store_true", help="print events as JSON lines")
    add_workspace_options(sweep)
    sweep.set_defaults(handler=sweep_command)


# -- building the spec ------------------------------------------------------------------------
def spec_from_args(args: argparse.Namespace):
    """The spec of ``--config`` (if any) with every given flag applied on top."""
    from engine.plugin import get_plugin
    from engine.sweeps import Objective, SweepSpec, parse_search

    if args.config:
        spec = SweepSpec.load(args.config)
        if args.plugin and args.plugin != spec.plugin:
            spec.plugin = args.plugin
    else:
        if not args.plugin:
            raise UsageError("give a plugin id (netyard sweep PLUGIN ...) or --config FILE")
        if not args.dataset:
            raise UsageError("give --dataset ID (see 'netyard datasets') or --config FILE")
        spec = SweepSpec(plugin=args.plugin, dataset=args.dataset)
    if args.dataset:
        spec.dataset = args.dataset
    if args.search:
        given = [parse_search(text) for text in args.search]
        names = {s.name for s in given}
        spec.search = [s for s in spec.search if s.name not in names] + given
    if args.assignments or args.steps is not None:
        schema = get_plugin(spec.plugin).full_schema()
        spec.fixed.update(schema.parse_assignments(args.assignments))
        if args.steps is not None:
            spec.fixed["steps"] = args.steps
    if args.direction and len(args.direction) != len(args.metric):
        raise UsageError(
            f"{len(args.direction)} --direction for {len(args.metric)} --metric: give one "
            f"direction per metric, or none"
        )
    if args.metric:
        directions = args.direction or [None] * len(args.metric)
        spec.objectives = [Objective(m, d) for m, d in zip(args.metric, directions, strict=True)]
    for name in ("trials", "timeout", "parallel", "trials_per_gpu", "threads", "device",
                 "sampler", "pruner", "seed", "retries", "trial_retries", "name", "storage",
                 "experiment", "workspace", "tracking_uri", "log_models", "replace_stopped",
                 "seeds_per_config", "warm_start", "algorithm", "population",
                 "interval"):  # fmt: skip
        value = getattr(args, name)  # each flag is named as the spec's field
        if value is not None:
            setattr(spec, name, value)
    return spec


# -- commands ---------------------------------------------------------------------------------
def apply_team_file(args: argparse.Namespace) -> None:
    """``--team-file``: its storage and tracking URI where not given, and its passwords in
    this process's environment (inherited by the trials' processes, never on their command
    lines)."""
    if not args.team_file:
        return
    from engine.team_file import TeamFile

    team = TeamFile.read(args.team_file)
    team.export_credentials()
    args.storage = args.storage or team.storage
    if hasattr(args, "tracking_uri"):
        args.tracking_uri = args.tracking_uri or team.tracking_uri


def sweep_command(args: argparse.Namespace) -> int:
    from engine.cli._load_progress import LoadProgress
    from engine.data import loading_progress
    from engine.sweeps import resolve_spec, runner_for
    from engine.worker import JsonLines

    apply_team_file(args)
    spec = spec_from_args(args)
    if args.save_config:
        typed = {item.name: item.choices for item in resolve_spec(spec).search}
        for item in spec.search:  # choices as the hyperparameter's values (16, not '16')
            if item.choices is not None:
                item.choices = typed[item.name]
        spec.save(args.save_config)
        print(f"Sweep spec written to {args.save_config}")
        return 0
    say(f"Preparing the sweep of {spec.plugin} on {spec.dataset} (storage, MLflow run)")
    printer = JsonLines() if args.json else SweepProgress()
    with loading_progress(LoadProgress()):  # PBT's shape check may be the first to load it
        runner = runner_for(spec, cleared_first(printer))
    build_data_cache(spec)
    return _run(runner)


def build_data_cache(spec) -> None:
    """A dataset whose first load builds a workspace cache (an image folder's first decode)
    is loaded here once, with a progress bar, so the trials map it at once instead of
    waiting, silently, on the one that decodes it."""
    from engine.cli._load_progress import LoadProgress
    from engine.data import dataset_info, loading_progress
    from engine.workspace import Workspace

    info = dataset_info(spec.dataset)
    if not info.cached:
        return
    datasets_dir = Workspace.resolve(spec.workspace).ensure().datasets_dir
    val_fraction = float(spec.fixed.get("val_fraction", 0.1))
    with loading_progress(LoadProgress()):
        info.load(datasets_dir, spec.seed, val_fraction)


def worker_command(args: argparse.Namespace) -> int:
    from engine.sweeps import join_sweep
    from engine.worker import JsonLines

    apply_team_file(args)
    if not args.storage:
        raise UsageError(
            "give the sweep's --storage URL, or the --team-file PATH netyard server wrote"
        )
    printer = JsonLines() if args.json else SweepProgress()

    def say(text: str) -> None:
        print(f"netyard: {text}", file=sys.stderr, flush=True)

    runner = join_sweep(
        args.study,
        args.storage,
        parallel=args.parallel,
        emit=printer,
        workspace=args.workspace,
        tracking_uri=args.tracking_uri,
        device=args.device,
        wait_seconds=max(0.0, args.wait),
        on_wait=say,
    )
    return _run(runner)


def _run(runner) -> int:
    presses = []

    def handle(signum, frame):
        presses.append(signum)
        # SIGTERM and SIGHUP (the terminal closed) cancel at once: nobody is there to wait.
        if signum in (signal.SIGTERM, signal.SIGHUP) or len(presses) == 2:
            runner.stop(cancel_running=True)
            print("\nnetyard: cancelling running trials", file=sys.stderr, flush=True)
        elif len(presses) == 1:
            runner.stop(cancel_running=False)
            print(
                "\nnetyard: no new trials; running ones finish (Ctrl-C again to cancel them)",
                file=sys.stderr,
                flush=True,
            )
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGHUP, handle)
    finished = runner.run()
    return State(finished.status).exit_code


def sweeps_command(args: argparse.Namespace) -> int:
    import json

    from engine.cli._commands import _reconcile_workspace_runs, _table
    from engine.database_urls import hide_password
    from engine.sweeps import default_storage_url, list_studies
    from engine.workspace import Workspace

    apply_team_file(args)
    workspace = Workspace.resolve(args.workspace)
    storage = args.storage or default_storage_url(workspace.root)
    say("Checking the workspace's runs")
    _reconcile_workspace_runs(workspace)
    say(f"Reading the sweeps in {hide_password(storage)}")
    studies = list_studies(storage)
    clear()
    if args.json:
        listed = [{**s.to_dict(), "storage": hide_password(s.storage)} for s in studies]
        print(json.dumps(listed, indent=2))
        return 0
    rows = []
    for study in studies:
        best = "-"
        if study.best_values:
            best = ", ".join(f"{v:.4g}" for v in study.best_values) + f" (#{study.best_trial})"
        objective = ", ".join(
            f"{m} {d[:3]}" for m, d in zip(study.metrics, study.directions, strict=False)
        )
        counts = [str(study.states.get(s, 0)) for s in LISTED_STATES]
        rows.append([study.name, study.plugin, study.dataset, objective, *counts, best])
    header = ["NAME", "PLUGIN", "DATASET", "OBJECTIVE", *(s.label for s in LISTED_STATES)]
    print(f"Storage: {hide_password(storage)}")
    print(_table(rows, [*header, "BEST"]) if rows else "No sweeps yet.")
    return 0


def ui_optuna_command(args: argparse.Namespace) -> int:
    say("Starting the Optuna dashboard")
    from engine.database_urls import hide_password
    from engine.sweeps import default_storage_url, open_storage
    from engine.workspace import Workspace

    try:
        from engine.sweeps import dashboard_server
    except ImportError:
        raise UsageError(
            "optuna-dashboard is not installed: pip install optuna-dashboard"
        ) from None
    storage_url = args.storage or default_storage_url(Workspace.resolve(args.workspace).root)
    say(f"Starting the Optuna dashboard on {hide_password(storage_url)}")
    storage = open_storage(storage_url)
    try:
        server = dashboard_server(storage, args.port, allow_writes=args.allow_writes)
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
    clear()
    mode = "" if args.allow_writes else " (read-only; --allow-writes to edit studies)"
    print(
        f"Optuna dashboard for {storage_url}{mode}\n"
        f"  http://127.0.0.1:{server.server_port}/\nPress Ctrl-C to stop.",
        flush=True,
    )
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


# -- rendering events -------------------------------------------------------------------------
class SweepProgress:
    """Trial results as lines, and a live status line: done / pruned / failed, best, ETA."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.counts = {"done": 0, "pruned": 0, "stopped": 0, "failed": 0}
        self.counted = 0  # ended trials that used up the budget (not retried nor replaced)
        self.running: dict[int, tuple[int, int]] = {}  # trial -> (step, total)
        self.best = ""
        self.metrics: list[str] = []
        self.budget: int | None = None
        self.before = 0
        self.started = time.monotonic()

    def __call__(self, event) -> None:
        from engine.sweeps import (
            BestChanged,
            SweepFinished,
            SweepStarted,
            TrialFailed,
            TrialFinished,
            TrialProgress,
            TrialPruned,
            TrialStarted,
            TrialStopped,
        )

        if isinstance(event, SweepStarted):
            self._sweep_started(event)
        elif isinstance(event, TrialStarted):
            self.running[event.number] = (event.resumed_step or 0, 0)
            if event.resumes:
                self._line(f"trial {event.number}: its worker died; resumed from its checkpoint "
                           f"at step {event.resumed_step} (resume {event.resumes})")  # fmt: skip
            self._status()
        elif isinstance(event, TrialProgress):
            self.running[event.number] = (event.step, event.total_steps)
            self._status()
        elif isinstance(event, TrialFinished):
            self.running.pop(event.number, None)
            self.counts["done"] += 1
            self.counted += 1
            values = ", ".join(
                f"{m} {_value(v, event.std_errors, i)}"
                for i, (m, v) in enumerate(zip(self.metrics, event.values, strict=False))
            )
            seeds = f" (mean of {event.seeds} seeds)" if event.seeds > 1 else ""
            line = f"trial {event.number} done: {values}{seeds}  {_params(event.params)}"
            self._line(line, True)
        elif isinstance(event, TrialPruned):
            self.running.pop(event.number, None)
            self.counts["pruned"] += 1
            self.counted += 1
            self._line(f"trial {event.number} pruned at step {event.step}", True)
        elif isinstance(event, TrialFailed):
            self.running.pop(event.number, None)
            self.counts["failed"] += 1
            self.counted += not (event.will_retry or event.cancelled)
            retry = " (will retry)" if event.will_retry else ""
            self._line(f"trial {event.number} failed: {event.reason}{retry}", True)
        elif isinstance(event, TrialStopped):
            self.running.pop(event.number, None)
            self.counts["stopped"] += 1
            self.counted += event.counts
            replaced = "" if event.counts else " (another trial replaces it)"
            self._line(f"trial {event.number} stopped by you at step {event.step}{replaced}", True)
        elif isinstance(event, BestChanged):
            values = ", ".join(f"{v:.4g}" for v in event.values)
            self.best = f"best {values} (#{event.number})"
        elif isinstance(event, SweepFinished):
            self._sweep_finished(event)

    def _sweep_started(self, event) -> None:
        self.metrics, self.budget, self.before = event.metrics, event.trials, event.done_before
        self.started = time.monotonic()
        objective = ", ".join(
            f"{d} {m}" for m, d in zip(event.metrics, event.directions, strict=True)
        )
        resumed = f", {event.done_before} trials kept from before" if event.done_before else ""
        self._line(
            f"Sweep {event.name}: {event.plugin} on {event.dataset}, {objective}, "
            f"{event.trials or 'unbounded'} trials, {event.parallel} at once{resumed}"
        )
        if event.reconciled:
            numbers = ", ".join(str(n) for n in event.reconciled)
            self._line(f"Marked FAIL: trial(s) {numbers}, left running by a dead process")
        if event.seeds_per_config > 1:
            self._line(
                f"Each configuration trains with {event.seeds_per_config} seeds; a trial's "
                f"value is their mean (± its standard error)"
            )
        if event.warm_start:
            self._line(event.warm_start[0].upper() + event.warm_start[1:])
        self._line(f"Storage: {event.storage}   MLflow parent run: {event.parent_run_id}")

    def _sweep_finished(self, event) -> None:
        from engine.cli._progress import format_duration

        self._line(
            f"Sweep {event.name} {event.status} in {format_duration(event.seconds)}: "
            + ", ".join(f"{n} {s.lower()}" for s, n in sorted(event.states.items()))
        )
        if event.best_values is not None:
            values = ", ".join(f"{v:.4g}" for v in event.best_values)
            self._line(f"Best: trial {event.best_number}, {values}  {_params(event.best_params)}")
        if event.reason:
            self._line(f"Reason: {event.reason}")

    def status_text(self) -> str:
        from engine.cli._progress import format_duration

        ended = self.before + self.counted
        total = f"/{self.budget}" if self.budget else ""
        eta = "?"
        elapsed = time.monotonic() - self.started
        if self.budget and self.counted:
            remaining = max(0, self.budget - ended)
            eta = format_duration(elapsed / self.counted * remaining)
        if self.budget:
            ended = min(ended, self.budget)  # a trial being retried is not one more
        stopped = f"stopped {self.counts['stopped']}  " if self.counts["stopped"] else ""
        return (
            f"trials {ended}{total}  done {self.counts['done']}  "
            f"pruned {self.counts['pruned']}  {stopped}failed {self.counts['failed']}  "
            f"running {len(self.running)}  {self.best or 'best -'}  ETA {eta}"
        )

    def _status(self) -> None:
        if self.live:
            self.stream.write("\r" + self.status_text() + "\x1b[K")
            self.stream.flush()

    def _line(self, text: str, trial_ended: bool = False) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        if trial_ended and not self.live:  # piped: the status after every trial instead
            self.stream.write("  " + self.status_text() + "\n")
        self.stream.flush()
        self._status()


def _value(value: float, std_errors: list[float], index: int) -> str:
    """A trial's value, with ``± standard error`` when it is the mean of several seeds."""
    if index < len(std_errors):
        return f"{value:.4g} ± {std_errors[index]:.2g}"
    return f"{value:.4g}"


def _params(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )
