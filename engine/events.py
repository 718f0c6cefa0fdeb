"""Plain-Python progress events, the one language between the engine and its consumers.

The training loop and the sweep runner emit them; the CLI's progress bar, the worker process
(as JSON lines on a pipe) and the app (as Qt signals, in one adapter) consume them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from engine.states import Outcome, State

_KINDS: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    """Every subclass with its own ``kind`` is readable by ``Event.from_json``."""

    kind: ClassVar[str] = "event"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _KINDS[cls.kind] = cls  # ``dataclass`` decorates the same class object afterwards

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, **asdict(self)}, allow_nan=True)

    @staticmethod
    def from_json(line: str) -> Event:
        data = json.loads(line)
        cls = _KINDS[data.pop("kind")]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_id: str | None
    plugin: str
    dataset: str
    total_steps: int
    start_step: int
    device: str
    params: dict[str, Any] = field(default_factory=dict)
    experiment_id: str | None = None
    tracking_uri: str | None = None


@dataclass(frozen=True)
class StepMetrics(Event):
    """Training metrics for a chunk of consecutive steps (one value per step per metric)."""

    kind: ClassVar[str] = "step_metrics"
    steps: list[int]
    metrics: dict[str, list[float]]
    total_steps: int

    @property
    def step(self) -> int:
        return self.steps[-1]


@dataclass(frozen=True)
class EvalMetrics(Event):
    kind: ClassVar[str] = "eval_metrics"
    step: int
    metrics: dict[str, float]
    total_steps: int


@dataclass(frozen=True)
class Snapshot(Event):
    """A plugin's live view data at an evaluation (see ``Plugin.snapshot``)."""

    kind: ClassVar[str] = "snapshot"
    step: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Checkpointed(Event):
    kind: ClassVar[str] = "checkpointed"
    step: int
    path: str


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    run_id: str | None
    step: int
    metrics: dict[str, float]
    stopped_early: bool = False
    checkpoint: str | None = None

    def outcome(self) -> Outcome:
        return Outcome(State.FINISHED, "stopped early" if self.stopped_early else "")


@dataclass(frozen=True)
class RunFailed(Event):
    kind: ClassVar[str] = "run_failed"
    run_id: str | None
    step: int
    reason: str
    traceback: str = ""

    def outcome(self) -> Outcome:
        return Outcome(State.FAILED, self.reason, self.traceback)


@dataclass(frozen=True)
class RunCancelled(Event):
    """The run stopped before its end: stopped by the user (or interrupted), resumable from
    ``checkpoint`` where it wrote one."""

    kind: ClassVar[str] = "run_cancelled"
    run_id: str | None
    step: int
    checkpoint: str | None = None

    def outcome(self) -> Outcome:
        return Outcome(State.STOPPED, f"stopped by you at step {self.step}")


@dataclass(frozen=True)
class RolledBack(Event):
    """The loss diverged (NaN, infinite, or a spike far above its recent median) and the run
    went back to its last good state (``restored_step``) with its learning rates now
    ``lr_factor`` times their start (``on_divergence=rollback``); ``number`` counts this
    run's rollbacks, ``allowed`` of them at most."""

    kind: ClassVar[str] = "rolled_back"
    step: int
    reason: str
    restored_step: int
    lr_factor: float
    number: int
    allowed: int

    @property
    def message(self) -> str:
        """One line for a terminal, a job's message and the run's summary."""
        return (
            f"rollback {self.number} of {self.allowed}: {self.reason}; went back to step "
            f"{self.restored_step}, learning rate now x{self.lr_factor:g} of its start"
        )


@dataclass(frozen=True)
class OverfittingSeen(Event):
    """Validation loss has risen at every evaluation since ``since_step`` (its lowest) while
    training loss fell: seen at evaluation ``step``."""

    kind: ClassVar[str] = "overfitting"
    step: int
    since_step: int

    @property
    def message(self) -> str:
        return (
            f"overfitting: validation loss has risen since step {self.since_step} while "
            f"training loss fell (seen at step {self.step})"
        )
