"""How a trial ends: what the coordinator tells Optuna (complete, pruned, failed and maybe
retried), the Optuna state tagged on the trial's MLflow run, the best so far, the events.

The tags go on a run that its worker may still be finishing (a helper process draws its
artifacts and ends it): the coordinator only adds tags to such a run, and ends a run FAILED
itself only where no worker will (``fail_run``: the worker died or was killed before it
reported the run finished).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.events import Event, RunFinished
from engine.states import State
from engine.sweeps._events import BestChanged, TrialFailed, TrialFinished, TrialPruned, TrialStopped
from engine.sweeps._reconcile import (
    ATTEMPT_ATTR,
    INTERRUPTED_ATTR,
    REASON_ATTR,
    RETRIED_ATTR,
    STOPPED_ATTR,
)
from engine.sweeps._seeds import SEED_RUNS_ATTR, SEED_VALUES_ATTR, STD_ERROR_ATTR, mean_and_error
from engine.sweeps._spec import PARAM_COUNT, ResolvedSweep
from engine.sweeps._tracking import ParentRun, finite, mark_trial_run
from engine.worker import Worker


class Stopwatch:
    """Adds up the time spent inside ``with`` blocks (the sampler and the storage's share)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


@dataclass
class RunningTrial:
    trial: Any  # optuna.Trial
    worker: Worker
    params: dict[str, Any]
    started: float
    attempt: int
    run_id: str | None = None
    pruned_step: int | None = None
    cancelled: bool = False  # stopped by the user: this trial, or with the whole sweep
    interrupted: bool = False  # stopped with the whole sweep: run again when it is resumed
    param_count: int | None = None
    last_step: int = 0
    reported: dict[int, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # the job's ``RunConfig``, as sent
    checkpoint: str | None = None  # its last checkpoint, where a dead worker resumes it
    checkpoint_step: int = 0
    resumes: int = 0  # times resumed from its checkpoint after its worker died
    seeds: list[int] = field(default_factory=list)  # several: one run each, in turn
    seed_values: list[list[float]] = field(default_factory=list)  # the seeds run so far
    seed_runs: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.trial.number

    @property
    def seed_index(self) -> int:
        """Which of the trial's seeds runs now (0: the first, the one the pruner watches)."""
        return len(self.seed_values)


class TrialOutcomes:
    def __init__(
        self,
        study,
        resolved: ResolvedSweep,
        parent: ParentRun,
        emit: Callable[[Event], None],
        clock: Stopwatch,
    ) -> None:
        self.study, self.resolved, self.parent = study, resolved, parent
        self.emit, self.clock = emit, clock
        self._best = self._current_best()

    def complete(self, running: RunningTrial, event: RunFinished) -> bool:
        """One run of the trial finished: True when the trial goes on with its next seed,
        else Optuna is told the objective values (the seeds' mean; a value that is not
        finite fails the trial, a trial stopped between its seeds ends stopped)."""
        from optuna.trial import TrialState

        values = [
            float(running.param_count or 0) if m == PARAM_COUNT else event.metrics.get(m, math.nan)
            for m in self.resolved.metrics
        ]
        if not finite(values):
            pairs = zip(self.resolved.metrics, values, strict=True)
            named = ", ".join(f"{m}={v}" for m, v in pairs)
            self.fail(running, f"the objective is not a finite number ({named})")
            return False
        running.seed_values.append(values)
        if running.run_id:
            running.seed_runs.append(running.run_id)
        if running.seed_index < len(running.seeds):
            if not running.cancelled:
                self._tag_run(running, State.FINISHED)
                return True
            self.stop(running, event.step, counts=not running.interrupted)
            return False
        std_errors: list[float] = []
        with self.clock:
            if len(running.seed_values) > 1:
                values, std_errors = mean_and_error(running.seed_values)
                running.trial.set_user_attr(SEED_VALUES_ATTR, running.seed_values)
                running.trial.set_user_attr(STD_ERROR_ATTR, std_errors)
                running.trial.set_user_attr(SEED_RUNS_ATTR, running.seed_runs)
            self.study.tell(running.trial, values, state=TrialState.COMPLETE)
        self._tag_run(running, State.FINISHED)
        seconds = time.monotonic() - running.started
        # BestChanged first, so a display of the finished trial already shows the new best.
        self._update_best(running.number, values, running.params)
        self.emit(
            TrialFinished(
                running.number,
                values,
                running.params,
                running.run_id,
                seconds,
                std_errors,
                max(1, len(running.seeds)),
            )
        )
        return False

    def prune(self, running: RunningTrial) -> None:
        from optuna.trial import TrialState

        with self.clock:
            self.study.tell(running.trial, state=TrialState.PRUNED)
        self._tag_run(running, State.PRUNED)
        step = running.pruned_step or running.last_step
        self.emit(
            TrialPruned(
                running.number,
                step,
                running.reported.get(running.pruned_step or -1),
                running.run_id,
                time.monotonic() - running.started,
            )
        )

    def stop(self, running: RunningTrial, step: int, counts: bool = True) -> None:
        """A trial the user stopped: Optuna FAIL (samplers ignore it), its run KILLED (its
        worker ended it), shown as stopped. It uses up the budget if ``counts`` (not when the
        whole sweep was stopped) and the spec does not ``replace_stopped``."""
        from optuna.trial import TrialState

        counts = counts and not self.resolved.spec.replace_stopped
        reason = f"stopped by you at step {step}"
        with self.clock:
            running.trial.set_user_attr(REASON_ATTR, reason)
            running.trial.set_user_attr(STOPPED_ATTR, True)
            if not counts:
                running.trial.set_user_attr(INTERRUPTED_ATTR, True)
            self.study.tell(running.trial, state=TrialState.FAIL)
        self._tag_run(running, State.STOPPED)
        seconds = time.monotonic() - running.started
        self.emit(TrialStopped(running.number, step, running.run_id, seconds, counts))

    def fail(
        self, running: RunningTrial, reason: str, cancelled: bool = False, fail_run: bool = False
    ) -> None:
        """Tell Optuna FAIL; a failure (not a cancel) within the spec's retries is enqueued
        again with the same parameters."""
        from optuna.trial import TrialState

        trial = running.trial
        will_retry = not cancelled and running.attempt <= self.resolved.spec.retries
        with self.clock:
            trial.set_user_attr(REASON_ATTR, reason)
            if cancelled:
                trial.set_user_attr(INTERRUPTED_ATTR, True)
            if will_retry:
                trial.set_user_attr(RETRIED_ATTR, True)
            self.study.tell(trial, state=TrialState.FAIL)
            if will_retry:
                retry = {ATTEMPT_ATTR: running.attempt + 1, "netyard.retry_of": trial.number}
                self.study.enqueue_trial(running.params, user_attrs=retry)
        self._tag_run(running, State.FAILED, reason, fail_run)
        seconds = time.monotonic() - running.started
        self.emit(
            TrialFailed(running.number, reason, running.run_id, seconds, cancelled, will_retry)
        )

    def counted(self) -> int:
        """Trials that use up the budget: running, or ended and neither interrupted nor
        replaced by a retry."""
        from optuna.trial import TrialState

        count = 0
        with self.clock:
            for trial in self.study.get_trials(deepcopy=False):
                if trial.state == TrialState.RUNNING:
                    count += 1
                elif trial.state.is_finished():
                    attrs = trial.user_attrs
                    if not attrs.get(INTERRUPTED_ATTR) and not attrs.get(RETRIED_ATTR):
                        count += 1
        return count

    def _tag_run(self, running: RunningTrial, state: State, reason=None, fail_run=False) -> None:
        if running.run_id:
            client = self.parent.tracker.client
            mark_trial_run(client, running.run_id, state.trial_tag, reason, fail_run)

    # -- the best so far --------------------------------------------------------------------
    def _current_best(self) -> tuple[int, list[float]] | None:
        if self.resolved.multi_objective:
            return None
        try:
            best = self.study.best_trial
        except ValueError:
            return None
        return best.number, list(best.values)

    def announce_best(self) -> None:
        """Tell the study's best so far (a resumed sweep's, or the one a joiner finds)."""
        if self._best is None:  # none yet, or several objectives
            return
        with self.clock:
            best = self.study.best_trial
        self._best = (best.number, list(best.values))
        self.emit(BestChanged(best.number, list(best.values), dict(best.params)))

    def _update_best(self, number: int, values: list[float], params: dict[str, Any]) -> None:
        """After a trial of ours completed: the study's best, read from the storage, since
        other machines' trials (``netyard worker``) may have beaten ours meanwhile."""
        if self.resolved.multi_objective:
            with self.clock:
                front = {t.number for t in self.study.best_trials}
            if number not in front:
                return
        else:
            with self.clock:
                best = self.study.best_trial
            if self._best == (best.number, list(best.values)):
                return
            number, values, params = best.number, list(best.values), dict(best.params)
            self._best = (number, values)
        self.parent.best(number, self.resolved.metrics, values, params)
        self.emit(BestChanged(number, values, params))
