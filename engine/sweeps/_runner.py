"""The sweep coordinator: asks Optuna for trials, trains each in a worker process, tells
Optuna the result, tracks everything in MLflow and emits events.

Optuna's ask-and-tell interface keeps the sampler and the storage in this one process: the
workers only train and report evaluations through their pipe, and this process reports them
to Optuna (so pruners work) and is the study's only writer on this machine. K workers run at
once (``_slots``); how a trial ends is ``_outcomes``'; this module is the scheduling loop.
``stop`` and ``cancel_trial`` may be called from any thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.checkpoint_files import BEST, LAST
from engine.database_urls import hide_password
from engine.errors import NO_SPACE_PREFIX, NoSpaceLeft, UsageError, as_no_space
from engine.events import (
    Checkpointed,
    EvalMetrics,
    Event,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunStarted,
)
from engine.states import State
from engine.sweeps._crash_resume import (
    failure_after_crash,
    may_resume,
    retain_checkpoints,
    wait_for_helpers,
)
from engine.sweeps._events import SweepFinished, SweepStarted, TrialProgress, TrialStarted
from engine.sweeps._optuna_internals import trial_id
from engine.sweeps._outcomes import RunningTrial, Stopwatch, TrialOutcomes
from engine.sweeps._reconcile import (
    ATTEMPT_ATTR,
    HEARTBEAT_ATTR,
    HOST_ATTR,
    PID_ATTR,
    RUN_ATTR,
    count_states,
    heartbeat_seconds,
    reconcile_stale_trials,
)
from engine.sweeps._seeds import GROUP_TAG, SEED_TAG, group_id, trial_seeds
from engine.sweeps._slots import slot_environments
from engine.sweeps._spec import PARAM_COUNT, ResolvedSweep, SweepSpec, resolve_spec
from engine.sweeps._study import (
    COORDINATOR_ATTR,
    EXPERIMENT_ATTR,
    PARENT_RUN_ATTR,
    TRACKING_URI_ATTR,
    joined_spec,
    open_study,
)
from engine.sweeps._tracking import TRIAL_ID_TAG, ParentRun
from engine.sweeps._warm_start import WARM_START_ATTR
from engine.tracking import (
    STUDY_TAG,
    SWEEP_TAG,
    TRIAL_NUMBER_TAG,
    TRIAL_STATE_TAG,
    check_sqlite_store,
    reconcile_dead_runs,
)
from engine.worker import JobModelSize, ProcessExited, UsageProblem, WorkerPool
from engine.workspace import STORE_FILE, Workspace

POLL_SECONDS = 0.5
# How often a coordinator whose own trials are done looks whether other machines' still run.
OTHERS_POLL_SECONDS = 2.0


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
        self.environments = slot_environments(spec)  # one per trial slot
        self.slots = WorkerPool()  # its keys: the slots
        self.optuna_clock = Stopwatch()  # time in the sampler, pruner and storage calls
        # A SimpleQueue's put is reentrant: ``stop`` is called from signal handlers.
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._stopping = False
        self._running: dict[int, RunningTrial] = {}
        self._trials_started = 0
        self._next_beat = 0.0
        # Set up by ``run()``:
        self.workspace = None
        self.storage_url = ""
        self.study = None
        self.tracking_uri = ""
        self.experiment = ""
        self.parent: ParentRun | None = None
        self.outcomes: TrialOutcomes | None = None

    # -- control, from any thread -----------------------------------------------------------
    def stop(self, cancel_running: bool = False) -> None:
        """Start no new trial; running trials finish, or stop now if ``cancel_running``."""
        self._commands.put(("stop", cancel_running))

    def cancel_trial(self, number: int) -> None:
        """Stop one running trial: it ends stopped by you, and uses up one of the budget's
        trials unless the spec's ``replace_stopped``."""
        self._commands.put(("cancel", number))

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> SweepFinished:
        started = time.monotonic()
        self.workspace = Workspace.resolve(self.spec.workspace).ensure()
        for slot, environment in enumerate(self.environments):  # imports overlap the set-up
            self.slots.worker(slot, environment)
        try:
            reconciled = self._open_study()
        except BaseException:
            self.slots.close()
            raise
        status, reason = State.FINISHED, ""
        try:
            self._announce(reconciled)
            self._loop(started)
            if self._stopping:
                status = State.STOPPED
            elif not self._trials_started and not self._budget_left():
                reason = self._nothing_left()
        except BaseException as error:
            status = State.FAILED
            no_space = as_no_space(error, str(self.workspace.root))
            if no_space is not None:
                # The held-back room lets the trials' FAIL and the runs' FAILED be written.
                self.workspace.release_space_reserve()
                reason = str(no_space)
                self._abandon_running(reason)
                raise no_space from None
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else repr(error)
            self._abandon_running(f"the sweep coordinator stopped: {reason}")
            raise
        finally:
            finished = self._wrap_up(status, reason, time.monotonic() - started)
        return finished

    def _open_study(self) -> list[int]:
        """The storage, the study, where its runs go; reconciles what dead processes left
        running and returns the trials it failed for that."""
        import optuna

        from engine.runner import experiment_name
        from engine.sweeps._storage import default_storage_url, open_storage

        resolved, spec = self.resolved, self.spec
        if not spec.tracking_uri and not self.join:
            # A workspace store that is not MLflow's is refused before the study is made.
            check_sqlite_store(self.workspace.root / STORE_FILE)
        self.storage_url = spec.storage or default_storage_url(self.workspace.root)
        storage = open_storage(self.storage_url)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = open_study(resolved, storage, self.join)
        attrs = self.study.user_attrs
        if self.join and not (attrs.get(PARENT_RUN_ATTR) and attrs.get(TRACKING_URI_ATTR)):
            # Its trials would go to this machine's own store, lost to the sweep.
            raise UsageError(
                f"sweep {resolved.name!r} has no MLflow parent run yet: start its "
                f"coordinator first (netyard worker waits for it with --wait SECONDS)"
            )
        self.tracking_uri = (
            spec.tracking_uri or attrs.get(TRACKING_URI_ATTR) or self.workspace.tracking_uri
        )
        self.experiment = (
            spec.experiment
            or attrs.get(EXPERIMENT_ATTR)
            or experiment_name(spec.plugin, spec.dataset)
        )
        self._adopt_trials()
        reconciled = reconcile_stale_trials(self.study, self.tracking_uri)
        reconcile_dead_runs(self.tracking_uri)
        self.parent = ParentRun(self.tracking_uri, self.workspace.artifacts_dir)
        if self.join:
            self.parent.attach(attrs[PARENT_RUN_ATTR])
        return reconciled

    def _adopt_trials(self) -> None:
        """Take over trials a dead coordinator left RUNNING before they are failed: none
        here; a population resumes its members (``_pbt``)."""

    def _announce(self, reconciled: list[int]) -> None:
        """Open the parent run (a coordinator), say where everything goes (``SweepStarted``)
        and the best so far."""
        resolved, spec = self.resolved, self.spec
        if not self.join:
            earlier = self.study.user_attrs.get(PARENT_RUN_ATTR)
            self.parent.open(resolved, self.experiment, self.storage_url, earlier)
            self.study.set_user_attr(PARENT_RUN_ATTR, self.parent.run_id)
            self.study.set_user_attr(TRACKING_URI_ATTR, self.tracking_uri)
            self.study.set_user_attr(EXPERIMENT_ATTR, self.experiment)
        self.outcomes = TrialOutcomes(
            self.study, resolved, self.parent, self.emit, self.optuna_clock
        )
        self.emit(
            SweepStarted(
                name=resolved.name,
                plugin=spec.plugin,
                dataset=spec.dataset,
                storage=hide_password(self.storage_url),  # printed, and read by others
                metrics=resolved.metrics,
                directions=resolved.directions,
                trials=resolved.trials,
                parallel=len(self.environments),
                done_before=self.outcomes.counted(),
                reconciled=reconciled,
                parent_run_id=self.parent.run_id,
                experiment_id=self.parent.experiment_id,
                tracking_uri=self.tracking_uri,
                seeds_per_config=spec.seeds_per_config,
                warm_start="" if self.join else self.study.user_attrs.get(WARM_START_ATTR, ""),
            )
        )
        self.outcomes.announce_best()

    def _wrap_up(self, status: State, reason: str, seconds: float) -> SweepFinished:
        """However the sweep ended: its workers closed (every trial's run has ended once its
        worker is gone), the best models, the parent run ended, ``SweepFinished`` emitted."""
        self.slots.close()
        if status != State.FAILED and not self.join:
            self._log_best_models()
        try:
            self.parent.end(status.mlflow_status, reason or None)
        except Exception:
            if status != State.FAILED:
                raise  # else the store may be what failed: the sweep's own error is raised
        if not self.join:
            # A storage that failed must not hide the sweep's own error.
            with contextlib.suppress(Exception):
                self.study.set_user_attr(COORDINATOR_ATTR, None)
        finished = self._finished_event(status, reason, seconds)
        self.emit(finished)
        return finished

    def _log_best_models(self) -> None:
        """An MLflow Model for the best trial (each trial of the Pareto front for several
        objectives), whether or not the trials log theirs (``log_models``)."""
        import sys

        from engine.models import ensure_mlflow_model
        from engine.tracking import open_client

        try:
            best = self.study.best_trials
        except (ValueError, AttributeError):
            return
        client = open_client(self.tracking_uri)
        for trial in best:
            run_id = trial.user_attrs.get(RUN_ATTR)
            try:
                if run_id:
                    ensure_mlflow_model(client, client.get_run(run_id), self.workspace.datasets_dir)
            except Exception as error:  # noqa: BLE001 - the sweep stands without it
                print(
                    f"netyard: no MLflow Model for trial {trial.number}: {error}", file=sys.stderr
                )

    def _nothing_left(self) -> str:
        done = self.outcomes.counted()
        return (
            f"nothing left to run: sweep {self.resolved.name!r} had done all {done} of its "
            f"{self.resolved.trials} trials before (raise trials to run more)"
        )

    # -- scheduling -------------------------------------------------------------------------
    def _budget_left(self) -> bool:
        budget = self.resolved.trials
        return budget is None or self.outcomes.counted() < budget

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
                # The budget is looked at each time round: trials of a coordinator that died
                # meanwhile give theirs back (``_keep_alive``), to be run again here.
                for slot in range(len(self.environments)):
                    if slot not in self._running and self._budget_left():
                        self._start_trial(slot)
            if not self._running:
                # The budget may be held by trials of coordinators that died (a worker
                # machine killed): reclaim it and run those trials again, or end here.
                if self._stopping:
                    return
                if accepting and self._budget_left():
                    continue  # given back since the slots were filled: start its trials
                if not self._reclaim_dead_trials():
                    if not self._others_running():
                        return
                    # Their results belong in this sweep's summary, best model and parent
                    # run; dead ones are reclaimed once their heartbeat is old.
                    time.sleep(OTHERS_POLL_SECONDS)
                    self._drain_commands()
                accepting = deadline is None or time.monotonic() < deadline
                continue
            wait = POLL_SECONDS
            if deadline is not None and accepting:
                wait = max(0.01, min(wait, deadline - time.monotonic()))
            self._drain_commands()
            self._next_event(wait)

    def _next_event(self, wait: float = POLL_SECONDS) -> None:
        """Keep the trials alive, then handle the next worker event, waiting ``wait`` seconds
        at most: the tail of every coordinator's loop (this one, PBT's, ASHA's)."""
        self._keep_alive()
        try:
            slot, event = self.slots.events.get(timeout=wait)
        except queue.Empty:
            return
        self._handle(slot, event)

    def _keep_alive(self) -> None:
        """Every few seconds: stamp this process's running trials (so other machines see
        them alive) and fail the trials of coordinators that died meanwhile, here or on
        another machine, so their budget is run again and their runs do not stay RUNNING."""
        now = time.monotonic()
        if now < self._next_beat:
            return
        self._next_beat = now + heartbeat_seconds()
        with self.optuna_clock:
            for running in self._running.values():
                running.trial.set_user_attr(HEARTBEAT_ATTR, time.time())
        self._reclaim_dead_trials()

    def _others_running(self) -> bool:
        """Whether a coordinator (not a joiner: it ends once its own trials are done) still
        has other processes' trials of its study to wait for: those that send heartbeats
        (one that never sent any would never be reclaimed, and keep it waiting for good)."""
        from optuna.trial import TrialState

        if self.join:
            return False
        with self.optuna_clock:
            running = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        ours = (socket.gethostname(), os.getpid())
        # A trial just asked for has no heartbeat yet (its coordinator writes host, pid and
        # beat one by one after ``ask``): it counts as alive for a grace of a few beats.
        just_started = datetime.now(UTC) - timedelta(seconds=3 * heartbeat_seconds())
        return any(
            (t.user_attrs.get(HOST_ATTR), t.user_attrs.get(PID_ATTR)) != ours
            and (
                isinstance(t.user_attrs.get(HEARTBEAT_ATTR), int | float)
                or (t.datetime_start is not None and _aware(t.datetime_start) > just_started)
            )
            for t in running
        )

    def _reclaim_dead_trials(self) -> bool:
        with self.optuna_clock:
            return bool(reconcile_stale_trials(self.study, self.tracking_uri))

    def _drain_commands(self) -> None:
        while True:
            try:
                command, argument = self._commands.get_nowait()
            except queue.Empty:
                return
            if command == "stop":
                self._stopping = True
            for running in self._running.values():
                if command == "stop" and argument:
                    running.cancelled = running.interrupted = True
                elif command == "cancel" and running.number == argument:
                    running.cancelled = True
                else:
                    continue
                running.worker.stop_job(running.number)

    def _start_trial(self, slot: int) -> None:
        resolved = self.resolved
        with self.optuna_clock:
            trial = self.study.ask(resolved.distributions)
            attempt = int(trial.user_attrs.get(ATTEMPT_ATTR, 1))
            trial.set_user_attr(HOST_ATTR, socket.gethostname())
            trial.set_user_attr(PID_ATTR, os.getpid())
            trial.set_user_attr(HEARTBEAT_ATTR, time.time())
        params = dict(trial.params)
        worker = self.slots.worker(slot, self.environments[slot])
        running = RunningTrial(trial, worker, params, time.monotonic(), attempt)
        if self.spec.seeds_per_config > 1:
            running.seeds = trial_seeds(self.spec.seed, self.spec.seeds_per_config)
        self._running[slot] = running
        self._trials_started += 1
        self._start_seed(slot, running)
        self.emit(TrialStarted(trial.number, params, slot, worker.pid, attempt))

    def _start_seed(self, slot: int, running: RunningTrial) -> None:
        """The trial's next run: its only one, or the next of its seeds (``_seeds``)."""
        from engine.runner import RunConfig

        resolved, trial, params = self.resolved, running.trial, running.params
        hparams = {**resolved.overrides, **params}
        tags = {
            SWEEP_TAG: resolved.name,
            STUDY_TAG: resolved.name,
            TRIAL_NUMBER_TAG: str(trial.number),
            TRIAL_ID_TAG: str(trial_id(trial)),
            TRIAL_STATE_TAG: State.RUNNING.trial_tag,
        }
        seed, run_name = self.spec.seed, f"{resolved.name}-trial-{trial.number}"
        if running.seeds:
            seed = running.seeds[running.seed_index]
            run_name += f"-seed-{seed}"
            tags[GROUP_TAG] = group_id(self.spec.plugin, self.spec.dataset, hparams)
            tags[SEED_TAG] = str(seed)
        config = RunConfig(
            plugin=self.spec.plugin,
            dataset=self.spec.dataset,
            # A trial checkpoints at every evaluation: a worker that dies resumes it from there.
            hparams={"checkpoint_every": resolved.eval_interval(), **hparams},
            seed=seed,
            device="cuda" if "CUDA_VISIBLE_DEVICES" in self.environments[slot] else "cpu",
            threads=self.spec.threads,  # None: the cores the others leave free
            workspace=str(self.workspace.root),
            tracking_uri=self.tracking_uri,
            experiment=self.experiment,
            run_name=run_name,
            tags=tags,
            parent_run_id=self.parent.run_id,
            log_model=self.spec.log_models,
            # The worker reports the trial and starts the next one while a helper process
            # draws this trial's artifacts and ends its MLflow run.
            finish_in_background=True,
        )
        running.run_id = None  # the next seed's run says its id when it starts
        count_params = PARAM_COUNT in resolved.metrics and not running.seed_index
        running.config, running.checkpoint = self._segment(running, config.to_dict()), None
        running.worker.start_job(trial.number, running.config, count_params)

    def _segment(self, running: RunningTrial, config: dict[str, Any]) -> dict[str, Any]:
        """The trial's next run's ``RunConfig`` (as a dict): as it is here; a population's
        member trains a segment, from a checkpoint to a pause (``_pbt``)."""
        return config

    def _resume_trial(self, slot: int, running: RunningTrial) -> None:
        """Go on with a trial whose worker died, from its last checkpoint, on a new worker in
        the slot it left: the same Optuna trial and MLflow run (``RunConfig.resume``)."""
        running.resumes += 1
        wait_for_helpers(running.worker.pid)
        running.worker = self.slots.worker(slot, self.environments[slot])
        self._running[slot] = running
        config = {**running.config, "resume": running.checkpoint}
        count_params = PARAM_COUNT in self.resolved.metrics and not running.seed_index
        running.worker.start_job(running.number, config, count_params)
        self.emit(
            TrialStarted(running.number, running.params, slot, running.worker.pid,
                         running.attempt, resumed_step=running.checkpoint_step,
                         resumes=running.resumes)
        )  # fmt: skip

    # -- one worker event -------------------------------------------------------------------
    def _handle(self, slot: int, event: Any) -> None:
        running = self._running.get(slot)
        if isinstance(event, ProcessExited):
            self.slots.release(slot)
            if running is not None:
                del self._running[slot]
                tail = event.stderr_tail.strip().splitlines()
                detail = f": {tail[-1]}" if tail else ""
                reason = f"the worker process died (exit code {event.returncode}){detail}"
                retries = self.spec.trial_retries
                if may_resume(running, retries, self._stopping):
                    self._resume_trial(slot, running)
                else:
                    reason = failure_after_crash(running, reason, retries)
                    self.outcomes.fail(running, reason, fail_run=True)
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
        elif isinstance(event, Checkpointed):
            running.checkpoint, running.checkpoint_step = event.path, event.step
        elif isinstance(event, EvalMetrics):
            self._report(running, event)
        elif isinstance(event, RunFinished):
            retain_checkpoints(event.checkpoint, BEST)  # what a finished trial is used from
            if self.outcomes.complete(running, event):
                self._start_seed(slot, running)  # the same configuration, its next seed
            else:
                del self._running[slot]
        elif isinstance(event, RunCancelled):
            del self._running[slot]
            if running.pruned_step is not None and not running.cancelled:
                self.outcomes.prune(running)
                retain_checkpoints(event.checkpoint, LAST)  # what a promotion resumes from
            elif running.cancelled:
                # Stopped with the whole sweep: it does not count (the sweep run again runs it).
                self.outcomes.stop(running, event.step, counts=not running.interrupted)
            else:
                self.outcomes.fail(running, "the trial's worker was stopped", cancelled=True)
        elif isinstance(event, RunFailed):
            if event.reason.startswith(NO_SPACE_PREFIX):
                # A full disk fails every trial alike: stop the sweep (no retry, no new
                # trial); the running trials end FAIL with this reason too. Like a stopped
                # trial it does not use up the budget: the same sweep run again reruns it.
                self.workspace.release_space_reserve()
                self.outcomes.fail(self._running.pop(slot), event.reason, cancelled=True)
                raise NoSpaceLeft(event.reason[len(NO_SPACE_PREFIX) :])
            self.outcomes.fail(self._running.pop(slot), event.reason)
        elif isinstance(event, UsageProblem):
            self.outcomes.fail(self._running.pop(slot), f"invalid parameters: {event.message}")

    def _report(self, running: RunningTrial, event: EvalMetrics) -> None:
        running.last_step = event.step
        self.emit(
            TrialProgress(
                running.number,
                event.step,
                event.total_steps,
                dict(event.metrics),
                running.run_id,
                running.seed_index,
            )
        )
        if self.resolved.multi_objective:  # Optuna keeps intermediate values for one objective
            return
        if running.seed_index:  # the pruner watches the first seed (``_seeds`` says why)
            return
        metric = _intermediate_metric(self.resolved.metrics[0])
        value = event.metrics.get(metric) if metric else None
        if value is None or running.pruned_step is not None or running.cancelled:
            return
        if event.step in running.reported:  # a resumed trial evaluates again what it had
            return
        with self.optuna_clock:
            running.trial.report(float(value), event.step)
            prune = event.step < event.total_steps and running.trial.should_prune()
        running.reported[event.step] = float(value)
        if prune:
            running.pruned_step = event.step
            running.worker.stop_job(running.number)

    def _abandon_running(self, reason: str) -> None:
        """The coordinator itself is going down: kill the running trials' workers, then end
        each trial as its worker last reported it. A trial whose RunFinished was already
        written is complete (its worker's helper is ending its run FINISHED; failing that
        run here would race it); the others end FAIL, their runs FAILED."""
        if self.outcomes is None:
            return
        for slot in self._running:
            self.slots.kill(slot)  # returns once every event it wrote is queued
        while self._running:
            try:
                slot, event = self.slots.events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, ProcessExited):
                continue  # killed here: the reason is the coordinator's
            with contextlib.suppress(Exception):  # best effort; reconcile catches the rest
                self._handle(slot, event)
        for slot in list(self._running):
            with contextlib.suppress(Exception):
                self.outcomes.fail(self._running[slot], reason, cancelled=True, fail_run=True)
            del self._running[slot]

    def _finished_event(self, status: State, reason: str, seconds: float) -> SweepFinished:
        states: dict[str, int] = {}
        best_number = best_values = best_params = None
        try:
            states = count_states(self.study.get_trials(deepcopy=False))
            if not self.resolved.multi_objective:
                best = self.study.best_trial
                best_number, best_values, best_params = best.number, best.values, best.params
        except (ValueError, AttributeError):
            pass
        return SweepFinished(self.resolved.name, status, states, best_number, best_values,
                             best_params, seconds, reason, self.optuna_clock.seconds)  # fmt: skip


def _aware(moment: datetime) -> datetime:
    """Optuna's trial times are naive local times (journal: aware UTC): comparable as UTC."""
    return moment if moment.tzinfo is not None else moment.astimezone(UTC)


def _intermediate_metric(metric: str) -> str | None:
    """Pruners watch the validation form of the objective (test metrics exist only at the end)."""
    if metric.startswith("val_"):
        return metric
    if metric.startswith("test_"):
        return "val_" + metric[len("test_") :]
    return None


def join_sweep(
    name: str,
    storage: str,
    parallel: int = 1,
    emit: Callable[[Event], None] = lambda event: None,
    workspace: str | None = None,
    tracking_uri: str | None = None,
    device: str | None = None,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] = lambda text: None,
) -> SweepRunner:
    """A runner that joins a running study (``netyard worker``): its spec comes from the study,
    its trials count toward the same budget and log to the same MLflow tracking URI, under
    the sweep's parent run. A study whose coordinator has not yet said where its runs go is
    waited for up to ``wait_seconds`` (``joined_spec``)."""
    spec = joined_spec(name, storage, wait_seconds, on_wait)
    spec.name, spec.storage, spec.parallel = name, storage, parallel
    spec.workspace = workspace
    spec.tracking_uri = tracking_uri
    if device is not None:
        spec.device = device
    return SweepRunner(spec, emit, join=True)
