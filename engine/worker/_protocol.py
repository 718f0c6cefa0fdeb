"""The worker's own events, besides the run's: a refused job, a model's size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.events import Event
from engine.states import Outcome, State


@dataclass(frozen=True)
class UsageProblem(Event):
    """The job's config was invalid (``UsageError``); nothing was tracked."""

    kind: ClassVar[str] = "usage_problem"
    message: str

    def outcome(self) -> Outcome:
        return Outcome(State.FAILED, self.message)


@dataclass(frozen=True)
class JobModelSize(Event):
    """The model's parameter count, asked for by a sweep that minimises it (an objective)."""

    kind: ClassVar[str] = "job_model_size"
    param_count: int
