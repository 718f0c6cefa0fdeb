"""One vocabulary of states for everything that runs: a run, a trial, a sweep, a queue entry,
a job in the app; and its mappings to MLflow's run status, Optuna's trial state and the
command line's exit status.

``STOPPED`` is "stopped by you": a run, trial or sweep the user stopped (MLflow KILLED; a run
keeps a checkpoint to resume from). ``KILLED`` is a process that was killed or vanished
without reporting. Events that end something say how through ``Outcome`` (``outcome_of``),
so the app, the queue and the sweeps turn events into a final state in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FINISHED = "finished"
    PRUNED = "pruned"
    STOPPED = "stopped"
    FAILED = "failed"
    KILLED = "killed"

    @property
    def active(self) -> bool:
        return self in ACTIVE

    @property
    def ended(self) -> bool:
        return self in ENDED

    @property
    def label(self) -> str:
        """What lists show: the state in capitals."""
        return self.value.upper()

    @property
    def mlflow_status(self) -> str:
        """The MLflow run status a run in this state has."""
        return _MLFLOW[self]

    @property
    def trial_state(self) -> str:
        """The Optuna ``TrialState`` name of a trial in this state (a stopped trial is FAIL
        for Optuna: samplers then ignore it, as they should a trial that did not end)."""
        return _OPTUNA[self]

    @property
    def trial_tag(self) -> str:
        """The value of a trial run's ``netyard.trial_state`` tag: Optuna's name, except that a
        trial stopped by the user says so."""
        return "STOPPED" if self is State.STOPPED else self.trial_state

    @property
    def exit_code(self) -> int:
        """The command line's exit status for a run or sweep that ended so (the full-disk and
        usage exits, 3 and 2, come from ``engine.errors``)."""
        return {State.FINISHED: 0, State.STOPPED: 130, State.KILLED: 130}.get(self, 1)


ACTIVE = frozenset({State.STARTING, State.RUNNING, State.STOPPING})
ENDED = frozenset({State.FINISHED, State.PRUNED, State.STOPPED, State.FAILED, State.KILLED})

_MLFLOW = {
    State.QUEUED: "SCHEDULED",
    State.STARTING: "RUNNING",
    State.RUNNING: "RUNNING",
    State.STOPPING: "RUNNING",
    State.FINISHED: "FINISHED",
    State.PRUNED: "KILLED",
    State.STOPPED: "KILLED",
    State.FAILED: "FAILED",
    State.KILLED: "KILLED",
}
_OPTUNA = {
    State.QUEUED: "WAITING",
    State.STARTING: "RUNNING",
    State.RUNNING: "RUNNING",
    State.STOPPING: "RUNNING",
    State.FINISHED: "COMPLETE",
    State.PRUNED: "PRUNED",
    State.STOPPED: "FAIL",
    State.FAILED: "FAIL",
    State.KILLED: "FAIL",
}


def from_mlflow(status: str) -> State:
    """A run's state from its MLflow status (KILLED reads as stopped: Netyard ends a run
    KILLED when it was stopped; a killed process's run is ended FAILED by reconciling)."""
    return {
        "FINISHED": State.FINISHED,
        "FAILED": State.FAILED,
        "KILLED": State.STOPPED,
        "SCHEDULED": State.QUEUED,
    }.get(status, State.RUNNING)


def from_trial_tag(tag: str) -> State | None:
    """A trial run's state from its ``trial_tag`` (None: not a known tag)."""
    return next((state for state in _TAGGED if state.trial_tag == tag), None)


# The state each trial tag reads back as (FAIL: failed, not killed).
_TAGGED = (State.RUNNING, State.FINISHED, State.PRUNED, State.STOPPED, State.FAILED)


@dataclass(frozen=True)
class Outcome:
    """How something ended, and the one line that says why."""

    state: State
    message: str = ""
    details: str = ""


def outcome_of(event: object) -> Outcome | None:
    """The outcome an event reports (a run or sweep ended, a job refused), or None for an event
    that ends nothing. Events that end something define ``outcome()``."""
    outcome = getattr(event, "outcome", None)
    return outcome() if callable(outcome) else None


def exited_outcome(
    what: str, returncode: int | None, stderr_tail: str = "", *, killed: bool = False
) -> Outcome:
    """The outcome of a process that ended without reporting one: killed (by the user, or
    while it was being stopped), or it exited or crashed."""
    if killed:
        return Outcome(State.KILLED, "killed", stderr_tail)
    lines = [line.strip() for line in stderr_tail.strip().splitlines() if line.strip()]
    last = f": {lines[-1]}" if lines else ""
    return Outcome(
        State.FAILED,
        f"the {what} process exited with code {returncode} before reporting an outcome{last}",
        stderr_tail,
    )
