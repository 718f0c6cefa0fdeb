"""How a parent talks to an engine process, and the worker's own events.

Commands go in as one JSON object per line on stdin, ``{"command": NAME, ...}``:

- to ``python -m engine.worker``: ``run`` (``job``: N, ``config``: a ``RunConfig.to_dict()``,
  ``param_count``: bool) and ``stop`` (``job``: N: stop after its current step; it may come
  before the job started);
- to ``python -m engine.sweeps``: ``sweep`` (``spec``: a ``SweepSpec.to_dict()``, first),
  then ``stop`` (no new trial), ``cancel`` (stop the running trials too) and
  ``cancel_trial`` (``trial``: N).

Events come back as JSON lines (``engine.events``); besides the run's, a refused job and a
model's size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

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


def command(name: str, **fields: Any) -> str:
    """One command line: ``{"command": name, **fields}``."""
    return json.dumps({"command": name, **fields})


def read_command(line: str) -> dict[str, Any] | None:
    """A command line's fields (``command`` among them); None for a line that is none."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) and isinstance(fields.get("command"), str) else None
