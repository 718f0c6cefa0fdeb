"""The worker's own event: its input was refused before anything ran."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.events import Event, register_event


@register_event
@dataclass(frozen=True)
class UsageProblem(Event):
    """The config was invalid (``UsageError``); nothing was tracked."""

    kind: ClassVar[str] = "usage_problem"
    message: str
