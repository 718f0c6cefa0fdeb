"""The sweep runner's events: plain data, JSON round-trip like every ``engine.events`` kind.

The CLI draws them as a progress display; the app turns them into Qt signals. Trial numbers
are Optuna's (0, 1, 2... per study).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.events import Event
from engine.states import Outcome, State


@dataclass(frozen=True)
class SweepStarted(Event):
    kind: ClassVar[str] = "sweep_started"
    name: str
    plugin: str
    dataset: str
    storage: str
    metrics: list[str]
    directions: list[str]
    trials: int | None  # the budget; None when only a timeout bounds the sweep
    parallel: int
    done_before: int = 0  # trials kept from earlier runs of this sweep (resume)
    reconciled: list[int] = field(default_factory=list)  # stale trials marked FAIL on start
    parent_run_id: str | None = None
    experiment_id: str | None = None
    tracking_uri: str | None = None
    seeds_per_config: int = 1  # each trial trains this many seeds; its values are their mean
    warm_start: str = ""  # what a warm start enqueued from a past study (one line), if any


@dataclass(frozen=True)
class TrialStarted(Event):
    kind: ClassVar[str] = "trial_started"
    number: int
    params: dict[str, Any]
    worker: int  # index of the worker slot (0..parallel-1); -1: another coordinator's
    pid: int  # the worker process (another coordinator's trial: that coordinator)
    attempt: int = 1
    host: str = ""  # another coordinator's trial: the machine it runs on
    # Its worker died and it goes on from its checkpoint at this step (``resumes``-th time).
    resumed_step: int | None = None
    resumes: int = 0


@dataclass(frozen=True)
class TrialProgress(Event):
    """An evaluation inside a trial (the value the pruner saw is ``metrics[metric]``)."""

    kind: ClassVar[str] = "trial_progress"
    number: int
    step: int
    total_steps: int
    metrics: dict[str, float]
    run_id: str | None = None
    seed_index: int = 0  # which of the trial's seeds (0: the first, the one pruners watch)


@dataclass(frozen=True)
class TrialFinished(Event):
    """A complete trial; with several seeds per configuration ``values`` are the seeds'
    means and ``std_errors`` their standard errors (empty for one seed)."""

    kind: ClassVar[str] = "trial_finished"
    number: int
    values: list[float]
    params: dict[str, Any]
    run_id: str | None
    seconds: float
    std_errors: list[float] = field(default_factory=list)
    seeds: int = 1


@dataclass(frozen=True)
class TrialPruned(Event):
    kind: ClassVar[str] = "trial_pruned"
    number: int
    step: int
    value: float | None
    run_id: str | None
    seconds: float


@dataclass(frozen=True)
class TrialStopped(Event):
    """A trial the user stopped (Optuna FAIL, its run KILLED). ``counts``: it uses up one of the
    budget's trials (the sweep's default); else another trial replaces it."""

    kind: ClassVar[str] = "trial_stopped"
    number: int
    step: int
    run_id: str | None
    seconds: float
    counts: bool = True


@dataclass(frozen=True)
class TrialFailed(Event):
    """A trial ended FAIL: an error, a NaN/inf loss, out of memory, a dead worker, a sweep
    interrupted (``cancelled``: it does not use up the budget)."""

    kind: ClassVar[str] = "trial_failed"
    number: int
    reason: str
    run_id: str | None
    seconds: float
    cancelled: bool = False
    will_retry: bool = False


@dataclass(frozen=True)
class BestChanged(Event):
    """A new best trial (single objective) or a new member of the Pareto front."""

    kind: ClassVar[str] = "best_changed"
    number: int
    values: list[float]
    params: dict[str, Any]


@dataclass(frozen=True)
class SweepFinished(Event):
    kind: ClassVar[str] = "sweep_finished"
    name: str
    status: str  # a State: finished (budget or timeout reached), stopped (by you) or failed
    states: dict[str, int]  # trial counts by State (finished, pruned...) over the whole study
    best_number: int | None
    best_values: list[float] | None
    best_params: dict[str, Any] | None
    seconds: float
    reason: str = ""
    optuna_seconds: float = 0.0  # time the coordinator spent in sampler, pruner and storage

    def outcome(self) -> Outcome:
        return Outcome(State(self.status), self.reason)
