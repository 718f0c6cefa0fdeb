"""Asynchronous successive halving that resumes (``--algorithm asha``; Li et al. 2020).

Rungs at ``r``, ``r*eta``, ``r*eta^2``... steps and the full ``steps`` last (``r``: the
spec's ``interval``, else ``steps / eta^3``). A trial trains to its rung and pauses there
with a checkpoint (``RunConfig.pause_at``). Whenever a slot is free the coordinator looks,
from the highest rung down, for a paused trial in the top ``1/eta`` of all the trials that
reached its rung so far (the rule of Optuna's ``SuccessiveHalvingPruner``): it is promoted
and CONTINUES from its checkpoint, in its own MLflow run, to the next rung. Otherwise a new
trial starts while the budget lasts. Optuna's pruner can only stop a trial: a trial pruned
early and promoted later would have to start over; here no step is trained twice. Once no
trial runs, none can be promoted and the budget is spent, the paused trials end PRUNED,
keeping their last checkpoint (``retain_checkpoints``).
"""

from __future__ import annotations

import math
import time
from typing import Any

from engine.checkpoint_files import LAST
from engine.events import EvalMetrics, RunCancelled
from engine.sweeps._crash_resume import retain_checkpoints
from engine.sweeps._events import TrialStarted
from engine.sweeps._outcomes import RunningTrial
from engine.sweeps._runner import SweepRunner, _intermediate_metric

ETA = 3  # the reduction factor: one trial in three goes on to the next rung
RUNGS_BELOW_THE_TOP = 3  # the default smallest rung: steps / eta^3


def rungs(steps: int, minimum: int | None, eta: int = ETA) -> list[int]:
    """The steps at which trials pause: ``minimum`` times powers of ``eta``, then ``steps``."""
    first = minimum or max(1, steps // eta**RUNGS_BELOW_THE_TOP)
    found, rung = [], first
    while rung < steps:
        found.append(rung)
        rung *= eta
    return [*found, steps]


def promotable(values: dict[int, float], maximize: bool, eta: int = ETA) -> list[int]:
    """The trials in the top ``1/eta`` of those that reached a rung (``values``: their
    objective there), best first; a value that is not finite never is."""
    finite = {n: v for n, v in values.items() if math.isfinite(v)}
    ranked = sorted(finite, key=lambda n: -finite[n] if maximize else finite[n])
    return ranked[: len(values) // eta]


class AshaRunner(SweepRunner):
    """A ``SweepRunner`` whose trials pause at rungs and are promoted by resuming."""

    def __init__(self, spec, emit=lambda event: None, *, join: bool = False) -> None:
        super().__init__(spec, emit, join=join)
        self.rungs = rungs(self.resolved.steps, spec.interval)
        self._rung: dict[int, int] = {}  # trial number -> the rung it trains to or paused at
        self._reached: list[dict[int, float]] = [{} for _ in self.rungs]
        self._promoted: set[tuple[int, int]] = set()
        self._paused: dict[int, RunningTrial] = {}
        self._score: dict[int, float] = {}  # each running trial's last objective value

    def _loop(self, started: float) -> None:
        timeout = self.spec.timeout
        deadline = started + timeout if timeout is not None else None
        while True:
            self._drain_commands()
            accepting = not self._stopping and (deadline is None or time.monotonic() < deadline)
            for slot in range(len(self.environments)):
                if slot in self._running or not accepting:
                    continue
                promotion = self._promotion()
                if promotion is not None:
                    self._promote(slot, promotion)
                elif self._budget_left():
                    self._start_trial(slot)
            if not self._running:
                self._end_paused()
                return
            self._next_event()

    # -- promotions -------------------------------------------------------------------------
    def _promotion(self) -> RunningTrial | None:
        maximize = self.resolved.directions[0] == "maximize"
        for index in range(len(self.rungs) - 2, -1, -1):
            for number in promotable(self._reached[index], maximize):
                if (number, index) not in self._promoted and number in self._paused:
                    return self._paused[number]
        return None

    def _promote(self, slot: int, running: RunningTrial) -> None:
        number = running.number
        self._promoted.add((number, self._rung[number]))
        self._rung[number] += 1
        del self._paused[number]
        running.worker = self.slots.worker(slot, self.environments[slot])
        self._running[slot] = running
        self._start_seed(slot, running)  # from its checkpoint, to its next rung
        self.emit(TrialStarted(number, running.params, slot, running.worker.pid,
                               running.attempt, resumed_step=running.checkpoint_step))  # fmt: skip

    def _segment(self, running: RunningTrial, config: dict[str, Any]) -> dict[str, Any]:
        rung = self._rung.setdefault(running.number, 0)
        stop = self.rungs[rung]
        config = {**config, "pause_at": stop if stop < self.resolved.steps else None}
        if rung and running.checkpoint:
            config["resume"] = running.checkpoint  # its own: it goes on in its own run
        return config

    # -- one worker event -------------------------------------------------------------------
    def _handle(self, slot: int, event: Any) -> None:
        running = self._running.get(slot)
        if running is not None and isinstance(event, EvalMetrics):
            metric = _intermediate_metric(self.resolved.metrics[0])
            value = event.metrics.get(metric) if metric else None
            self._score[running.number] = float(value) if value is not None else math.nan
        if (
            running is not None
            and isinstance(event, RunCancelled)
            and not running.cancelled
            and event.step >= self.rungs[self._rung[running.number]]
        ):
            # Paused at its rung: it waits there for a promotion.
            del self._running[slot]
            running.checkpoint, running.checkpoint_step = event.checkpoint, event.step
            self._reached[self._rung[running.number]][running.number] = self._score.get(
                running.number, math.nan
            )
            self._paused[running.number] = running
            return
        super()._handle(slot, event)

    def _end_paused(self) -> None:
        """The trials left at their rungs: PRUNED (stopped with the sweep: stopped), each
        keeping the checkpoint a later promotion would resume."""
        for running in self._paused.values():
            running.pruned_step = running.checkpoint_step
            running.last_step = running.checkpoint_step
            if self._stopping:
                self.outcomes.stop(running, running.checkpoint_step, counts=False)
            else:
                self.outcomes.prune(running)
            retain_checkpoints(running.checkpoint, LAST)
        self._paused.clear()
