"""A sweep job (the coordinator in ``python -m engine.sweeps``) and its trials.

Trials are not processes of ours (the coordinator owns their workers); a ``TrialJob`` is the
trial's state as the sweep's events tell it, with Stop (cancel that trial), Kill (its worker
process) and Re-run (the same hyperparameters as a plain run).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app._tasks import run_in_background
from app.jobs._job import Job, ProcessJob
from engine.events import Event
from engine.runner import RunConfig
from engine.states import State, outcome_of
from engine.sweeps import (
    REMOTE_SLOT,
    RemoteTrials,
    SweepFinished,
    SweepSpec,
    SweepStarted,
    TrialFailed,
    TrialFinished,
    TrialProgress,
    TrialPruned,
    TrialStarted,
    TrialStopped,
)
from engine.worker import command

REMOTE_POLL_MS = 3000  # other machines' trials: new ones, their curves, their ends


class TrialJob(Job):
    kind = "trial"

    def __init__(self, sweep: SweepJob, number: int, params: dict[str, Any]) -> None:
        super().__init__(f"trial {number}", parent=sweep)
        self.sweep = sweep
        self.trial_number = number
        self.params = dict(params)
        self.values: list[float] | None = None
        self.std_errors: list[float] = []  # the values' standard errors over several seeds
        self.run_id: str | None = None
        self.pid: int | None = None
        self.state = State.RUNNING
        self.counts = True  # uses up one of the sweep's trials once it ended (else replaced)
        self.intermediate: list[tuple[int, float]] = []
        self.total = sweep.steps_per_trial
        self.remote = False  # run by another machine's worker: shown, not ours to stop

    @property
    def active(self) -> bool:
        return not self.remote and self.state == State.RUNNING and self.sweep.active

    def stop(self) -> None:
        if self.active:
            self.sweep.command("cancel_trial", trial=self.trial_number)
            self.message = "cancelling…"
            self.changed.emit()

    def kill(self) -> None:
        if self.active and self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def rerun_config(self) -> RunConfig:
        """A plain run with this trial's hyperparameters and the sweep's fixed ones."""
        spec = SweepSpec.from_dict(self.sweep.spec)
        return RunConfig(
            spec.plugin, spec.dataset, {**spec.fixed, **self.params}, seed=spec.seed,
            device=spec.device, threads=spec.threads, workspace=spec.workspace,
            tracking_uri=spec.tracking_uri, experiment=spec.experiment,
            run_name=f"{self.sweep.name}-trial{self.trial_number}-rerun",
        )  # fmt: skip

    def end(self, state: State, message: str = "", values: list[float] | None = None) -> None:
        self.state = state
        self.message = message
        if values is not None:
            self.values = list(values)
        self.ended_at = time.monotonic()
        self.changed.emit()


class SweepJob(ProcessJob):
    kind = "sweep"
    child_added = Signal(object)
    can_rerun = False

    def __init__(
        self,
        spec: Mapping[str, Any],
        env: Mapping[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        title = f"sweep {spec.get('name') or ''}".rstrip()
        # The coordinator is forked from the zygote too (it holds no CUDA; its workers start
        # fresh where they use a GPU).
        super().__init__(
            f"{title} ({spec['plugin']} on {spec['dataset']})",
            "engine.sweeps",
            command("sweep", spec=dict(spec)),
            env,
            parent=parent,
        )
        self.spec = dict(spec)
        self.name = spec.get("name") or ""
        self.trials: dict[int, TrialJob] = {}
        self.metrics: list[str] = []
        self.directions: list[str] = []
        self.storage = ""
        self.tracking_uri: str | None = None
        self.experiment_id: str | None = None
        self.parent_run_id: str | None = None
        self.best_number: int | None = None  # once the sweep finished
        self.done_before = 0
        self.total = int(spec.get("trials") or 0)
        self.steps_per_trial = int(spec.get("fixed", {}).get("steps") or 0)
        self._remote: RemoteTrials | None = None
        self._polling = False
        self._remote_timer = QTimer(self)
        self._remote_timer.setInterval(REMOTE_POLL_MS)
        self._remote_timer.timeout.connect(self._poll_other_machines)

    def command(self, name: str, **fields: Any) -> None:
        self.adapter.send(command(name, **fields))

    def stop(self) -> None:
        """Graceful: no new trials; running trials finish."""
        if self.active:
            self.state = State.STOPPING
            self.command("stop")
            self.changed.emit()

    def shutdown_stop(self) -> None:
        """For closing the app: running trials are cancelled (and run again when the sweep is
        resumed)."""
        if self.active:
            self.state = State.STOPPING
            self.command("cancel")
            self.changed.emit()

    # -- events ---------------------------------------------------------------------------------
    def _trial(self, number: int, params: dict[str, Any] | None = None) -> TrialJob:
        trial = self.trials.get(number)
        if trial is None:
            trial = self.trials[number] = TrialJob(self, number, params or {})
            self.child_added.emit(trial)
        return trial

    def _finished_trials(self) -> int:
        """The sweep's trials that used up the budget, earlier runs' included (a retried,
        replaced or interrupted one did not): the progress, never past the budget."""
        done = self.done_before + sum(1 for t in self.trials.values() if t.state.ended and t.counts)
        return min(done, self.total) if self.total else done

    def eta(self) -> float | None:
        """At the rate of this run's trials (those of earlier runs took no time of it)."""
        ran = self.progress - self.done_before
        if not self.active or ran <= 0 or self.total <= 0:
            return None
        return max(0.0, (self.total - self.progress) * self.elapsed() / ran)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SweepStarted):
            # The event's storage has its password hidden (it is printed): the spec's is whole.
            self.name, self.storage = event.name, self.spec.get("storage") or event.storage
            self.metrics, self.directions = list(event.metrics), list(event.directions)
            self.tracking_uri, self.experiment_id = event.tracking_uri, event.experiment_id
            self.parent_run_id = event.parent_run_id
            self.done_before = event.done_before
            self.total = event.trials or 0
            self.title = f"sweep {event.name}"
            self._watch_other_machines()
            if self.state == State.STARTING:
                self.state = State.RUNNING
        elif isinstance(event, TrialStarted):
            trial = self._trial(event.number, event.params)
            trial.params, trial.pid, trial.state = dict(event.params), event.pid, State.RUNNING
            trial.counts = True
            trial.remote = event.worker == REMOTE_SLOT
            where = f"on {event.host or 'another machine'}" if trial.remote else "worker"
            trial.message = f"{where} {event.worker}" if not trial.remote else where
            if event.attempt > 1:
                trial.message += f", attempt {event.attempt}"
            if event.resumes:  # its worker died: it goes on from its checkpoint
                trial.message += f", resumed from step {event.resumed_step} after a crash"
            trial.started_at, trial.ended_at = time.monotonic(), None
            trial.changed.emit()
        elif isinstance(event, TrialProgress):
            trial = self._trial(event.number)
            trial.progress, trial.total = event.step, event.total_steps
            trial.run_id = event.run_id or trial.run_id
            if self.metrics and self.metrics[0] in event.metrics and not event.seed_index:
                trial.intermediate.append((event.step, event.metrics[self.metrics[0]]))
            trial.changed.emit()
        elif isinstance(event, TrialFinished):
            trial = self._trial(event.number, event.params)
            trial.run_id = event.run_id
            trial.progress = trial.total
            trial.std_errors = list(event.std_errors)
            trial.end(State.FINISHED, "", event.values)
        elif isinstance(event, TrialPruned):
            trial = self._trial(event.number)
            trial.run_id = event.run_id or trial.run_id
            trial.end(State.PRUNED, f"pruned at step {event.step}")
        elif isinstance(event, TrialStopped):
            trial = self._trial(event.number)
            trial.run_id = event.run_id or trial.run_id
            trial.counts = event.counts
            replaced = "" if event.counts else "; another trial replaces it"
            trial.end(State.STOPPED, f"stopped by you at step {event.step}{replaced}")
        elif isinstance(event, TrialFailed):
            trial = self._trial(event.number)
            trial.run_id = event.run_id or trial.run_id
            trial.counts = not (event.cancelled or event.will_retry)
            trial.end(State.FAILED, event.reason + (" (will retry)" if event.will_retry else ""))
        elif isinstance(event, SweepFinished):
            self.best_number = event.best_number
            self._end_running_trials("the sweep ended")
        outcome = outcome_of(event)
        if outcome is not None:
            self.event.emit(event)
            self._end(outcome)
            return
        self.progress = self._finished_trials()
        self.event.emit(event)
        self.changed.emit()

    # -- trials of other machines ----------------------------------------------------------
    def _watch_other_machines(self) -> None:
        """Poll the study for trials other coordinators run (``netyard worker`` elsewhere) and
        their runs' curves on the tracking server, while this sweep runs and then until the
        last of them ends."""
        if self._remote is not None or not self.storage or not self.adapter.pid:
            return
        metric = self.metrics[0] if self.metrics else None
        self._remote = RemoteTrials(self.storage, self.name, self.adapter.pid, self.tracking_uri,
                                    metric, self.steps_per_trial)  # fmt: skip
        self._remote_timer.start()

    def _poll_other_machines(self) -> None:
        others_running = any(t.remote and t.state == State.RUNNING for t in self.trials.values())
        if not (self.active or others_running):
            self._remote_timer.stop()
            return
        if self._polling:
            return
        self._polling = True
        run_in_background(self._remote.poll, self._other_machines_events,
                          self._other_machines_failed, queue="optuna", owner=self)  # fmt: skip

    def _other_machines_events(self, events: list[Event]) -> None:
        self._polling = False
        for event in events:
            self._on_event(event)

    def _other_machines_failed(self, message: str, _details: str) -> None:
        self._polling = False  # a storage that does not answer now may answer next time
        self.message = f"cannot read other machines' trials: {message}"
        self.changed.emit()

    def _end_running_trials(self, reason: str) -> None:
        for trial in self.trials.values():
            if trial.state == State.RUNNING and not trial.remote:  # others still run theirs
                trial.counts = False
                trial.end(State.FAILED, reason)

    def _on_ended(self, exit_code: int) -> None:
        self._end_running_trials("the sweep process ended")
        super()._on_ended(exit_code)

    def best_run_id(self) -> str | None:
        """The MLflow run of the best trial, once the sweep has finished (one objective)."""
        trial = self.trials.get(self.best_number) if self.best_number is not None else None
        return trial.run_id if trial is not None else None
