"""What the queue holds: its entries (a run or a sweep each) and its settings, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.states import State

KINDS = ("run", "sweep")
# An entry waits, runs, then ends: finished, stopped (by you), failed, or killed (older
# queue files; its process was killed).
ENDED_STATES = (State.FINISHED, State.STOPPED, State.FAILED, State.KILLED)
STATES = (State.QUEUED, State.RUNNING, *ENDED_STATES)


@dataclass
class QueueEntry:
    """One job waiting, running or done: ``payload`` is a ``RunConfig.to_dict()`` (kind "run")
    or a ``SweepSpec.to_dict()`` (kind "sweep")."""

    id: int
    kind: str
    payload: dict[str, Any]
    title: str
    state: str = State.QUEUED
    message: str = ""
    added_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    # The process running it ({"pid", "host", "since"}): who to ask whether it is still alive.
    owner: dict[str, Any] | None = None

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueEntry:
        return cls(**data)

    def weight(self, jobs_at_once: int) -> int:
        """The share of the queue's concurrency this entry takes while it runs: one for a run;
        a sweep takes its parallel trials (at most all of it)."""
        if self.kind == "sweep":
            return max(1, min(int(self.payload.get("parallel") or 1), jobs_at_once))
        return 1


@dataclass
class QueueState:
    """The whole queue as stored: settings and entries in the order they run."""

    entries: list[QueueEntry] = field(default_factory=list)
    paused: bool = False
    # Jobs at once; None: one per GPU where there are GPUs, else one.
    max_jobs: int | None = None
    # True pauses the queue when an entry fails; by default the next entry starts anyway.
    stop_on_failure: bool = False
    next_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "paused": self.paused,
            "max_jobs": self.max_jobs,
            "stop_on_failure": self.stop_on_failure,
            "next_id": self.next_id,
            "entries": [entry.to_dict() for entry in self.entries],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueState:
        return cls(
            entries=[QueueEntry.from_dict(e) for e in data.get("entries", [])],
            paused=bool(data.get("paused", False)),
            max_jobs=data.get("max_jobs"),
            stop_on_failure=bool(data.get("stop_on_failure", False)),
            next_id=int(data.get("next_id", 1)),
        )

    def queued(self) -> list[QueueEntry]:
        return [entry for entry in self.entries if entry.state == State.QUEUED]

    def running(self) -> list[QueueEntry]:
        return [entry for entry in self.entries if entry.state == State.RUNNING]


def entry_title(kind: str, payload: dict[str, Any]) -> str:
    """What lists show: ``cnn on digits (seed 0)`` or ``sweep NAME: cnn on digits, 20 trials``."""
    where = f"{payload.get('plugin')} on {payload.get('dataset')}"
    if kind == "run":
        steps = (payload.get("hparams") or {}).get("steps")
        extra = f", {steps} steps" if steps else ""
        return f"{where} (seed {payload.get('seed', 0)}{extra})"
    name = f" {payload['name']}" if payload.get("name") else ""
    trials = payload.get("trials", 20)
    return f"sweep{name}: {where}, {trials or 'unbounded'} trials"
