"""The finder's events, as the worker program prints them and the app reads them (no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.events import Event
from engine.states import Outcome, State


@dataclass(frozen=True)
class LrFindProgress(Event):
    """A ramp's step done (ramps counted from 0)."""

    kind: ClassVar[str] = "lr_find_progress"
    ramp: int
    ramps: int
    step: int
    steps: int


@dataclass(frozen=True)
class LrFound(Event):
    """The finding: ``LrFinding.to_dict()``."""

    kind: ClassVar[str] = "lr_found"
    finding: dict[str, Any] = field(default_factory=dict)

    def outcome(self) -> Outcome:
        return Outcome(State.FINISHED)
