"""The sweep coordinator: asks Optuna for trials, trains each in a worker process, tells
Optuna the result, tracks everything in MLflow and emits events.

Optuna's ask-and-tell interface keeps the sampler and the storage in this one process: the
workers only train and report evaluations through their pipe, and this process reports them
to Optuna (so pruners work) and is the study's only writer on this machine. K workers run at
once; with GPUs each is pinned to one (``CUDA_VISIBLE_DEVICES``), on CPU the cores are split
among them. ``stop`` and ``cancel_trial`` may be called from any thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import UsageError
from engine.events import (
    EvalMetrics,
    Event,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunStarted,
)
from engine.sweeps._events import (
    BestChanged,
    SweepFinished,
    SweepStarted,
    TrialFailed,
    TrialFinished,
    TrialProgress,
    TrialPruned,
    TrialStarted,
)
from engine.sweeps._optuna_internals import trial_id
from engine.sweeps._reconcile import (
    ATTEMPT_ATTR,
    HOST_ATTR,
    INTERRUPTED_ATTR,
    PID_ATTR,
    REASON_ATTR,
    RETRIED_ATTR,
    RUN_ATTR,
    process_alive,
    reconcile_stale_trials,
)
from engine.sweeps._spec import PARAM_COUNT, ResolvedSweep, SweepSpec, resolve_spec
from engine.sweeps._tracking import (
    STUDY_TAG,
    SWEEP_TAG,
    TRIAL_ID_TAG,
    TRIAL_NUMBER_TAG,
    ParentRun,
    finite,
    mark_trial_run,
)
from engine.tracking import reconcile_dead_runs
from engine.worker import JobModelSize, ProcessExited, UsageProblem, Worker

SPEC_ATTR = "netyard.spec"
# The host and pid of the coordinator running the study (None once it has ended).
COORDINATOR_ATTR = "netyard.coordinator"


def resumed_seed(seed: int, trials_in_study: int) -> int:
    """The sampler seed for a sweep resumed on a study that already holds trials."""
    return (seed * 1_000_003 + trials_in_study) % 2**32


def _refuse_second_coordinator(name: str, coordinator: dict | None) -> None:
    """One coordinator per study: a second one would open a second MLflow parent run and
    draw the same parameters; live ones on this host are refused (another host's cannot be
    checked from here)."""
    if not coordinator or coordinator.get("host") != socket.gethostname():
        return
    pid = int(coordinator.get("pid", 0))
    if pid and pid != os.getpid() and process_alive(pid):
        raise UsageError(
            f"sweep {name!r} is already running (coordinator pid {pid}); add workers to it "
            f"with `netyard worker --study {name} --storage URL`, or give this sweep another --name"
        )


POLL_SECONDS = 0.5


class _Stopwatch:
    """Adds up the time spent inside ``with`` blocks (the sampler and the storage's share)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


@dataclass
class _Running:
    trial: Any  # optuna.Trial
    worker: Worker
    params: dict[str, Any]
    started: float
    attempt: int
    run_id: str | None = None
    pruned_step: int | None = None
    cancelled: bool = False
    param_count: int | None = None
    last_step: int = 0
    reported: dict[int, float] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.trial.number


class SweepRunner:
    """Runs one sweep. ``SweepRunner(spec)`` validates (``UsageError``); ``run()`` runs it.

    ``emit`` receives the events of ``engine.sweeps`` and is called on the thread that calls
    ``run()``.
    """

    def __init__(
        self,
        spec: SweepSpec,
        emit: Callable[[Event], None] = lambda event: None,
        *,
        join: bool = False,
    ) -> None:
        self.resolved: ResolvedSweep = resolve_spec(spec)
        self.spec = spec
        self.emit = emit
        self.join = join  # a ``netyard worker``: the study and its parent run exist already
        self._commands: queue.Queue = queue.Queue()
        self._stopping = False
        self._cancel_running = False
        self._workers: dict[int, Worker] = {}
        self._gpu_env = _worker_environments(spec)
        self._events: queue.Queue = queue.Queue()  # (slot, event) from every worker
        self._running: dict[int, _Running] = {}
        self._best: tuple[int, list[float]] | None = None
        self.optuna_clock = _Stopwatch()  # time in the sampler, pruner and storage calls

    # -- control, from any thread -----------------------------------------------------------
    def stop(self, cancel_running: bool = False) -> None:
        """Start no new trial; running trials finish, or stop now if ``cancel_running``."""
        self._commands.put(("stop", cancel_running))

    def cancel_trial(self, number: int) -> None:
        """Stop one running trial; it ends FAIL (cancelled) and does not use up the budget."""
        self._commands.put(("cancel", number))

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> SweepFinished:
        import optuna

        from engine.runner import experiment_name
        from engine.sweeps._storage import default_storage_url, open_storage
        from engine.workspace import Workspace

        resolved, spec = self.resolved, self.spec
        started = time.monotonic()
        self.workspace = Workspace.resolve(spec.workspace).ensure()
        # Start the workers first: their imports (seconds) overlap with the set-up below.
        for slot in range(self._slots()):
            self._workers[slot] = self._start_worker(slot)
        try:
            self.storage_url = spec.storage or default_storage_url(self.workspace.root)
            storage = open_storage(self.storage_url)
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self.study = self._open_study(optuna, storage)
            attrs = self.study.user_attrs
            self.tracking_uri = (
                spec.tracking_uri
                or attrs.get("netyard.tracking_uri")
                or self.workspace.tracking_uri
            )
            self.experiment = (
                spec.experiment
                or attrs.get("netyard.experiment")
                or experiment_name(spec.plugin, spec.dataset)
            )
            reconciled = reconcile_stale_trials(self.study, self.tracking_uri)
            reconcile_dead_runs(self.tracking_uri)
            self.parent = ParentRun(self.tracking_uri, self.workspace.artifacts_dir)
        except BaseException:
            self._close_workers()
            raise
        status, reason = "finished", ""
        try:
            if self.join:
                if attrs.get("netyard.parent_run_id"):
                    self.parent.attach(attrs["netyard.parent_run_id"])
            else:
                self.parent.open(
                    resolved, self.experiment, self.storage_url, attrs.get("netyard.parent_run_id")
                )
                self.study.set_user_attr("netyard.parent_run_id", self.parent.run_id)
                self.study.set_user_attr("netyard.tracking_uri", self.tracking_uri)
                self.study.set_user_attr("netyard.experiment", self.experiment)
            self._best = self._current_best()
            self.emit(
                SweepStarted(
                    name=resolved.name,
                    plugin=spec.plugin,
                    dataset=spec.dataset,
                    storage=self.storage_url,
                    metrics=resolved.metrics,
                    directions=resolved.directions,
                    trials=resolved.trials,
                    parallel=self._slots(),
                    done_before=self._counted(),
                    reconciled=reconciled,
                    parent_run_id=self.parent.run_id,
                    experiment_id=self.parent.experiment_id,
                    tracking_uri=self.tracking_uri,
                )
            )
            self._loop(started)
            if self._stopping:
                status = "stopped"
        except BaseException as error:
            status = "failed"
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else repr(error)
            self._abandon_running(f"the sweep coordinator stopped: {reason}")
            raise
        finally:
            self._close_workers()
            mlflow_status = {"finished": "FINISHED", "stopped": "KILLED"}.get(status, "FAILED")
            self.parent.end(mlflow_status, reason or None)
            if not self.join:
                # A storage that failed must not hide the sweep's own error.
                with contextlib.suppress(Exception):
                    self.study.set_user_attr(COORDINATOR_ATTR, None)
            finished = self._finished_event(status, reason, time.monotonic() - started)
            self.emit(finished)
        return finished

    def _close_workers(self) -> None:
        for worker in self._workers.values():  # all at once: they end in parallel
            worker.close_input()
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()

    def _open_study(self, optuna, storage):
        from engine.sweeps._algorithms import make_pruner, make_sampler

        resolved = self.resolved
        # A joining process must not replay the coordinator's random draws.
        seed = (self.spec.seed + os.getpid()) % 2**32 if self.join else self.spec.seed
        sampler = make_sampler(resolved.sampler, seed, resolved.grid)
        pruner = make_pruner(resolved.pruner, resolved.steps, resolved.eval_interval())
        if self.join:
            return optuna.load_study(
                study_name=resolved.name, storage=storage, sampler=sampler, pruner=pruner
            )
        study = optuna.create_study(
            study_name=resolved.name,
            storage=storage,
            sampler=sampler,
            pruner=pruner,
            directions=resolved.directions,
            load_if_exists=True,
        )
        attrs = study.user_attrs
        done_before = len(study.get_trials(deepcopy=False))
        if done_before:
            # A resumed sweep must not replay the draws its first run already tried: the
            # sampler's seed moves on with the number of trials the study holds.
            study.sampler = make_sampler(
                resolved.sampler, resumed_seed(self.spec.seed, done_before), resolved.grid
            )
        if SPEC_ATTR in attrs:
            _check_same_sweep(resolved, attrs, [d.name.lower() for d in study.directions])
        _refuse_second_coordinator(resolved.name, attrs.get(COORDINATOR_ATTR))
        study.set_user_attr(COORDINATOR_ATTR, {"host": socket.gethostname(), "pid": os.getpid()})
        if SPEC_ATTR not in attrs:
            study.set_user_attr("netyard.plugin", self.spec.plugin)
            study.set_user_attr("netyard.dataset", self.spec.dataset)
            study.set_user_attr("netyard.metrics", resolved.metrics)
        spec_data = self.spec.to_dict()
        spec_data["name"] = resolved.name
        study.set_user_attr(SPEC_ATTR, spec_data)
        return study

    # -- scheduling -------------------------------------------------------------------------
    def _slots(self) -> int:
        return len(self._gpu_env)

    def _start_worker(self, slot: int) -> Worker:
        """A reusable worker for ``slot``, pinned by its environment (GPU, threads); its
        events go into the one queue the loop reads. Forked from the app's zygote where there
        is one; its own session, so a terminal's Ctrl-C reaches the coordinator only, which
        decides whether running trials finish or stop."""
        return Worker(
            self._gpu_env[slot],
            lambda event: self._events.put((slot, event)),
            lambda exited: self._events.put((slot, exited)),
            new_session=True,
        )

    def _counted(self) -> int:
        """Trials that use up the budget: running, or ended and neither interrupted nor
        replaced by a retry."""
        from optuna.trial import TrialState

        count = 0
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state == TrialState.RUNNING:
                count += 1
            elif trial.state.is_finished():
                attrs = trial.user_attrs
                if not attrs.get(INTERRUPTED_ATTR) and not attrs.get(RETRIED_ATTR):
                    count += 1
        return count

    def _budget_left(self) -> bool:
        budget = self.resolved.trials
        with self.optuna_clock:
            return budget is None or self._counted() < budget

    def _loop(self, started: float) -> None:
        timeout = self.spec.timeout
        deadline = started + timeout if timeout is not None else None
        accepting = True
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                accepting = False
            if self._stopping:
                accepting = False
            if accepting:
                for slot in range(self._slots()):
                    if slot in self._running:
                        continue
                    if not self._budget_left():
                        accepting = False
                        break
                    self._start_trial(slot)
            if not self._running:
                return
            wait = POLL_SECONDS
            if deadline is not None and accepting:
                wait = max(0.01, min(wait, deadline - time.monotonic()))
            self._drain_commands()
            try:
                slot, event = self._events.get(timeout=wait)
            except queue.Empty:
                continue
            self._handle(slot, event)

    def _drain_commands(self) -> None:
        while True:
            try:
                command, argument = self._commands.get_nowait()
            except queue.Empty:
                return
            if command == "stop":
                self._stopping = True
                if argument:
                    for running in self._running.values():
                        running.cancelled = True
                        running.worker.stop_job(running.number)
            elif command == "cancel":
                for running in self._running.values():
                    if running.number == argument:
                        running.cancelled = True
                        running.worker.stop_job(running.number)

    def _start_trial(self, slot: int) -> None:
        from engine.runner import RunConfig

        resolved = self.resolved
        with self.optuna_clock:
            trial = self.study.ask(resolved.distributions)
            attempt = int(trial.user_attrs.get(ATTEMPT_ATTR, 1))
            trial.set_user_attr(HOST_ATTR, socket.gethostname())
            trial.set_user_attr(PID_ATTR, os.getpid())
        params = dict(trial.params)
        worker = self._workers.get(slot)
        if worker is None or worker.poll() is not None:
            worker = self._workers[slot] = self._start_worker(slot)
        threads = self.spec.threads or _threads_per_worker(self._slots())
        config = RunConfig(
            plugin=self.spec.plugin,
            dataset=self.spec.dataset,
            hparams={**resolved.overrides, **params},
            seed=self.spec.seed,
            device="cuda" if self._gpu_env[slot].get("CUDA_VISIBLE_DEVICES") else "cpu",
            threads=threads,
            workspace=str(self.workspace.root),
            tracking_uri=self.tracking_uri,
            experiment=self.experiment,
            run_name=f"{resolved.name}-trial-{trial.number}",
            tags={
                SWEEP_TAG: resolved.name,
                STUDY_TAG: resolved.name,
                TRIAL_NUMBER_TAG: str(trial.number),
                TRIAL_ID_TAG: str(trial_id(trial)),
                "optuna.state": "RUNNING",
            },
            parent_run_id=self.parent.run_id,
            checkpoints=False,
            # The worker reports the trial and starts the next one while a helper process
            # draws this trial's artifacts and ends its MLflow run.
            finish_in_background=True,
        )
        running = _Running(trial, worker, params, time.monotonic(), attempt)
        self._running[slot] = running
        worker.start_job(trial.number, config.to_dict(), PARAM_COUNT in resolved.metrics)
        self.emit(TrialStarted(trial.number, params, slot, worker.pid, attempt))

    # -- one worker event -------------------------------------------------------------------
    def _handle(self, slot: int, event: Any) -> None:
        running = self._running.get(slot)
        if isinstance(event, ProcessExited):
            self._workers.pop(slot, None)
            if running is not None:
                tail = event.stderr_tail.strip().splitlines()
                detail = f": {tail[-1]}" if tail else ""
                self._fail(
                    slot,
                    f"the worker process died (exit code {event.returncode}){detail}",
                    fail_run=True,
                )
            return
        if running is None:
            return
        if isinstance(event, JobModelSize):
            running.param_count = event.param_count
        elif isinstance(event, RunStarted):
            running.run_id = event.run_id
            if event.run_id:
                with self.optuna_clock:
                    running.trial.set_user_attr(RUN_ATTR, event.run_id)
        elif isinstance(event, EvalMetrics):
            self._report(running, event)
        elif isinstance(event, RunFinished):
            self._finish(slot, event)
        elif isinstance(event, RunCancelled):
            if running.pruned_step is not None and not running.cancelled:
                self._prune(slot)
            elif running.cancelled:
                self._fail(slot, "cancelled by the user", cancelled=True)
            else:
                self._fail(slot, "the trial's worker was stopped", cancelled=True)
        elif isinstance(event, RunFailed):
            self._fail(slot, event.reason)
        elif isinstance(event, UsageProblem):
            self._fail(slot, f"invalid parameters: {event.message}")

    def _report(self, running: _Running, event: EvalMetrics) -> None:
        running.last_step = event.step
        self.emit(
            TrialProgress(
                running.number, event.step, event.total_steps, dict(event.metrics), running.run_id
            )
        )
        if self.resolved.multi_objective:  # Optuna keeps intermediate values for one objective
            return
        metric = _intermediate_metric(self.resolved.metrics[0])
        value = event.metrics.get(metric) if metric else None
        if value is None or running.pruned_step is not None or running.cancelled:
            return
        with self.optuna_clock:
            running.trial.report(float(value), event.step)
            prune = event.step < event.total_steps and running.trial.should_prune()
        running.reported[event.step] = float(value)
        if prune:
            running.pruned_step = event.step
            running.worker.stop_job(running.number)

    def _finish(self, slot: int, event: RunFinished) -> None:
        from optuna.trial import TrialState

        running = self._running[slot]
        values = []
        for metric in self.resolved.metrics:
            if metric == PARAM_COUNT:
                values.append(float(running.param_count or 0))
            else:
                values.append(event.metrics.get(metric, float("nan")))
        if not finite(values):
            named = ", ".join(
                f"{m}={v}" for m, v in zip(self.resolved.metrics, values, strict=True)
            )
            self._fail(slot, f"the objective is not a finite number ({named})")
            return
        del self._running[slot]
        with self.optuna_clock:
            self.study.tell(running.trial, values, state=TrialState.COMPLETE)
        self._tag_run(running, "COMPLETE")
        seconds = time.monotonic() - running.started
        # BestChanged first, so a display of the finished trial already shows the new best.
        self._update_best(running.number, values, running.params)
        self.emit(TrialFinished(running.number, values, running.params, running.run_id, seconds))

    def _prune(self, slot: int) -> None:
        from optuna.trial import TrialState

        running = self._running.pop(slot)
        with self.optuna_clock:
            self.study.tell(running.trial, state=TrialState.PRUNED)
        self._tag_run(running, "PRUNED")
        self.emit(
            TrialPruned(
                running.number,
                running.pruned_step or running.last_step,
                running.reported.get(running.pruned_step or -1),
                running.run_id,
                time.monotonic() - running.started,
            )
        )

    def _fail(
        self, slot: int, reason: str, cancelled: bool = False, fail_run: bool = False
    ) -> None:
        from optuna.trial import TrialState

        running = self._running.pop(slot)
        trial = running.trial
        will_retry = not cancelled and running.attempt <= self.spec.retries
        with self.optuna_clock:
            trial.set_user_attr(REASON_ATTR, reason)
            if cancelled:
                trial.set_user_attr(INTERRUPTED_ATTR, True)
            if will_retry:
                trial.set_user_attr(RETRIED_ATTR, True)
            self.study.tell(trial, state=TrialState.FAIL)
            if will_retry:
                self.study.enqueue_trial(
                    running.params,
                    user_attrs={
                        ATTEMPT_ATTR: running.attempt + 1,
                        "netyard.retry_of": trial.number,
                    },
                )
        self._tag_run(running, "FAIL", reason, fail_run)
        self.emit(
            TrialFailed(
                running.number,
                reason,
                running.run_id,
                time.monotonic() - running.started,
                cancelled,
                will_retry,
            )
        )

    def _abandon_running(self, reason: str) -> None:
        """The coordinator itself is going down: end every running trial FAIL."""
        for slot in list(self._running):
            worker = self._workers.get(slot)
            if worker is not None:
                worker.kill()
            try:
                self._fail(slot, reason, cancelled=True, fail_run=True)
            except Exception:  # noqa: BLE001 - best effort; reconcile catches the rest
                self._running.pop(slot, None)

    def _tag_run(self, running: _Running, state: str, reason=None, fail_run=False) -> None:
        if running.run_id:
            mark_trial_run(self.parent.tracker.client, running.run_id, state, reason, fail_run)

    # -- best -------------------------------------------------------------------------------
    def _current_best(self) -> tuple[int, list[float]] | None:
        if self.resolved.multi_objective:
            return None
        try:
            best = self.study.best_trial
        except ValueError:
            return None
        return best.number, list(best.values)

    def _update_best(self, number: int, values: list[float], params: dict[str, Any]) -> None:
        if self.resolved.multi_objective:
            with self.optuna_clock:
                front = {t.number for t in self.study.best_trials}
            if number not in front:
                return
        else:
            sign = 1.0 if self.resolved.directions[0] == "maximize" else -1.0
            if self._best is not None and sign * (values[0] - self._best[1][0]) <= 0:
                return
            self._best = (number, values)
        self.parent.best(number, self.resolved.metrics, values, params)
        self.emit(BestChanged(number, values, params))

    def _finished_event(self, status: str, reason: str, seconds: float) -> SweepFinished:
        states: dict[str, int] = {}
        best_number = best_values = best_params = None
        try:
            for trial in self.study.get_trials(deepcopy=False):
                states[trial.state.name] = states.get(trial.state.name, 0) + 1
            if not self.resolved.multi_objective:
                best = self.study.best_trial
                best_number, best_values, best_params = best.number, best.values, best.params
        except (ValueError, AttributeError):
            pass
        return SweepFinished(
            self.resolved.name,
            status,
            states,
            best_number,
            best_values,
            best_params,
            seconds,
            reason,
            self.optuna_clock.seconds,
        )


def _intermediate_metric(metric: str) -> str | None:
    """Pruners watch the validation form of the objective (test metrics exist only at the end)."""
    if metric.startswith("val_"):
        return metric
    if metric.startswith("test_"):
        return "val_" + metric[len("test_") :]
    return None


def _threads_per_worker(workers: int) -> int:
    from engine.training import default_threads

    return max(1, default_threads() // workers)


def _worker_environments(spec: SweepSpec) -> list[dict[str, str]]:
    """One environment per worker slot: a GPU each (several trials per GPU if asked), or CPU."""
    device = spec.device.strip().lower()
    gpus: list[str] = []
    if device != "cpu":
        gpus = _visible_gpus()
        if device.startswith("cuda:"):
            index = int(device.split(":")[1])
            gpus = gpus[index : index + 1]
        if device.startswith("cuda") and not gpus:
            raise UsageError(f"device {spec.device!r} requested but no CUDA GPU is available")
    if not gpus:
        return [{"OMP_NUM_THREADS": str(spec.threads or _threads_per_worker(spec.parallel))}] * (
            spec.parallel
        )
    slots = min(spec.parallel, len(gpus) * spec.trials_per_gpu)
    return [{"CUDA_VISIBLE_DEVICES": gpus[i // spec.trials_per_gpu]} for i in range(slots)]


def _visible_gpus() -> list[str]:
    import torch

    if not torch.cuda.is_available():
        return []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    count = torch.cuda.device_count()
    if visible:
        return [item.strip() for item in visible.split(",") if item.strip()][:count]
    return [str(i) for i in range(count)]


def _check_same_sweep(resolved: ResolvedSweep, attrs: dict, directions: list[str]) -> None:
    spec = resolved.spec
    before = (
        attrs.get("netyard.plugin"),
        attrs.get("netyard.dataset"),
        attrs.get("netyard.metrics"),
    )
    now = (spec.plugin, spec.dataset, resolved.metrics)
    if before != now or directions != resolved.directions:
        raise UsageError(
            f"sweep {resolved.name!r} already exists for plugin {before[0]!r} on "
            f"{before[1]!r} optimising {before[2]}; give another --name to start a new sweep"
        )


def join_sweep(
    name: str,
    storage: str,
    parallel: int = 1,
    emit: Callable[[Event], None] = lambda event: None,
    workspace: str | None = None,
    tracking_uri: str | None = None,
    device: str | None = None,
) -> SweepRunner:
    """A runner that joins a running study (``netyard worker``): its spec comes from the study,
    its trials count toward the same budget and log to the same MLflow tracking URI."""
    import optuna

    from engine.sweeps._storage import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    opened = open_storage(storage)
    names = [s.study_name for s in opened.get_all_studies()]
    if name not in names:
        raise UsageError(
            f"no sweep named {name!r} in {storage!r}; sweeps there: {', '.join(names) or 'none'}"
        )
    attrs = optuna.load_study(study_name=name, storage=opened).user_attrs
    if SPEC_ATTR not in attrs:
        raise UsageError(f"study {name!r} was not created by netyard sweep; it has no spec")
    spec = SweepSpec.from_dict(attrs[SPEC_ATTR])
    spec.name, spec.storage, spec.parallel = name, storage, parallel
    spec.workspace = workspace
    spec.tracking_uri = tracking_uri
    if device is not None:
        spec.device = device
    return SweepRunner(spec, emit, join=True)
