"""A job: one run (or one sweep) in an engine process, its state, progress and timing."""

from __future__ import annotations

import time
from collections.abc import Mapping

from PySide6.QtCore import QObject, Signal

from app.jobs._adapter import WorkerAdapter
from engine.events import Event, OverfittingSeen, RolledBack, RunStarted, StepMetrics
from engine.runner import RunConfig
from engine.states import Outcome, State, exited_outcome, outcome_of
from engine.worker import can_fork_for, command


class Job(QObject):
    """What the jobs panel and the dashboards see of any job.

    ``event`` forwards every engine event; ``changed`` fires when state or progress moved.
    """

    event = Signal(object)
    changed = Signal()

    kind = "job"
    _next_number = 1

    def __init__(self, title: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.number = Job._next_number
        Job._next_number += 1
        self.title = title
        self.state = State.STARTING
        self.message = ""
        self.details = ""
        self.progress = 0
        self.total = 0
        self.started_at = time.monotonic()
        self.ended_at: float | None = None

    @property
    def active(self) -> bool:
        return self.state.active

    def elapsed(self) -> float:
        return (self.ended_at or time.monotonic()) - self.started_at

    def eta(self) -> float | None:
        """Seconds left at the rate so far; None until there is progress to go by."""
        if not self.active or self.progress <= 0 or self.total <= 0:
            return None
        rate = self.progress / max(self.elapsed(), 1e-6)
        return max(0.0, (self.total - self.progress) / rate)

    def _end(self, outcome: Outcome) -> None:
        if not self.active:
            return
        self.state = outcome.state
        self.message = outcome.message or self.message
        self.details = outcome.details or self.details
        self.ended_at = time.monotonic()
        self.changed.emit()

    # Overridden by concrete jobs.
    def stop(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout_ms: int) -> bool:
        return True

    def pids(self) -> list[int]:
        return []


class ProcessJob(Job):
    """A job that is one engine process (``WorkerAdapter``): ``python -m module`` given
    ``first_line``; subclasses handle its events (``_on_event``) and its end (``_on_ended``)."""

    def __init__(
        self,
        title: str,
        module: str,
        first_line: str,
        env: Mapping[str, str] | None,
        fork: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(title, parent)
        self._killed = False
        self.adapter = WorkerAdapter(module, first_line, env, fork=fork, parent=self)
        self.adapter.event.connect(self._on_event)
        self.adapter.ended.connect(self._on_ended)

    def start(self) -> None:
        self.adapter.start()
        self.changed.emit()

    def kill(self) -> None:
        if self.active:
            self._killed = True
            self.adapter.kill()

    def wait(self, timeout_ms: int) -> bool:
        return self.adapter.wait(timeout_ms)

    def pids(self) -> list[int]:
        return [self.adapter.pid] if self.adapter.running else []

    def _on_ended(self, exit_code: int) -> None:
        """The process ended; without having reported an outcome, that is the outcome."""
        killed = self._killed or self.state == State.STOPPING
        self._end(exited_outcome(self.kind, exit_code, self.adapter.stderr_tail, killed=killed))


class RunJob(ProcessJob):
    """One training run, the only job of a ``python -m engine.worker`` process."""

    kind = "run"

    def __init__(
        self, config: RunConfig, env: Mapping[str, str] | None = None, parent: QObject | None = None
    ) -> None:
        env = dict(env or {})
        super().__init__(
            f"{config.plugin} on {config.dataset} (seed {config.seed})",
            "engine.worker",
            command("run", job=0, config=config.to_dict()),
            env,
            # Forked from the app's zygote (training starts at once) unless it may use CUDA.
            fork=can_fork_for(config.device),
            parent=parent,
        )
        self.config, self.env = config, env
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.metrics: dict[str, float] = {}
        self.total = int(config.hparams.get("steps", 0))  # 0: the plugin's, told when it starts

    def stop(self) -> None:
        if self.active:
            self.state = State.STOPPING
            self.adapter.send(command("stop", job=0))  # after its current step, resumable
            self.changed.emit()

    def shutdown_stop(self) -> None:
        """For closing the app: stop as Stop does, and end the worker's input now. The app
        then waits with its event loop blocked, so the run's end would never reach
        ``_end``; end of file lets the worker exit once the run has ended stopped."""
        if self.active:
            self.stop()
            self.adapter.close_input()

    def _end(self, outcome: Outcome) -> None:
        super()._end(outcome)
        self.adapter.close_input()  # its one job is over: end of file lets the worker exit

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_id = event.run_id
            self.experiment_id = event.experiment_id
            self.total = event.total_steps
            self.progress = event.start_step
            if self.state == State.STARTING:
                self.state = State.RUNNING
        elif isinstance(event, StepMetrics):
            self.progress = event.step
            self.total = event.total_steps
        elif isinstance(event, RolledBack | OverfittingSeen):
            self.message = event.message  # the panel's message column, kept if it finishes
        outcome = outcome_of(event)
        if outcome is not None and outcome.state == State.FINISHED:
            self.progress = event.step
            self.metrics = dict(event.metrics)
        self.event.emit(event)
        if outcome is not None:
            self._end(outcome)
        else:
            self.changed.emit()
