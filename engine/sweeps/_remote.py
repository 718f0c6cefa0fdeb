"""The trials other coordinators run (``netyard worker`` on other machines), told as the same
events a coordinator emits for its own, so a view of the sweep shows every trial alike.

The study (shared storage) says which trials exist, their parameters, state and values; the
tracking server holds their runs' metric histories, from which their live curves are read.
A ``RemoteTrials`` is polled: each ``poll`` returns only what changed since the last one.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from engine.events import Event
from engine.sweeps._events import (
    TrialFailed,
    TrialFinished,
    TrialProgress,
    TrialPruned,
    TrialStarted,
    TrialStopped,
)
from engine.sweeps._reconcile import (
    ATTEMPT_ATTR,
    HOST_ATTR,
    INTERRUPTED_ATTR,
    PID_ATTR,
    REASON_ATTR,
    RUN_ATTR,
    STOPPED_ATTR,
)

REMOTE_SLOT = -1  # TrialStarted.worker of a trial no worker slot of ours runs


@dataclass
class _Seen:
    ended: bool = False
    last_step: int = -1


@dataclass
class RemoteTrials:
    """Events for the trials of study ``name`` not run by the coordinator ``own_pid`` on this
    host. ``metric`` is the one the live curves show (the objective's validation form)."""

    storage: str
    name: str
    own_pid: int
    tracking_uri: str | None = None
    metric: str | None = None
    total_steps: int = 0
    _seen: dict[int, _Seen] = field(default_factory=dict)
    _study: object = None

    def poll(self) -> list[Event]:
        import optuna

        from engine.sweeps._storage import open_storage

        if self._study is None:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            storage = open_storage(self.storage)
            self._study = optuna.load_study(study_name=self.name, storage=storage)
        host = socket.gethostname()
        events: list[Event] = []
        client = None
        for trial in self._study.get_trials(deepcopy=False):
            attrs = trial.user_attrs
            if attrs.get(HOST_ATTR) == host and attrs.get(PID_ATTR) == self.own_pid:
                continue  # ours: its coordinator tells it
            if PID_ATTR not in attrs:
                continue  # just asked; who runs it is not written yet
            seen = self._seen.get(trial.number)
            if seen is None:
                seen = self._seen[trial.number] = _Seen()
                events.append(TrialStarted(trial.number, dict(trial.params), REMOTE_SLOT,
                                           int(attrs[PID_ATTR]), int(attrs.get(ATTEMPT_ATTR, 1)),
                                           str(attrs.get(HOST_ATTR, ""))))  # fmt: skip
            if seen.ended:
                continue
            run_id = attrs.get(RUN_ATTR)
            if run_id and self.tracking_uri and self.metric:
                if client is None:
                    from engine.tracking import open_client

                    client = open_client(self.tracking_uri)
                events += self._progress(client, trial.number, run_id, seen)
            ended = _ended_event(trial, run_id)
            if ended is not None:
                seen.ended = True
                events.append(ended)
        return events

    def _progress(self, client, number: int, run_id: str, seen: _Seen) -> list[Event]:
        from mlflow.exceptions import MlflowException

        try:
            history = client.get_metric_history(run_id, self.metric)
        except MlflowException:
            return []
        fresh = sorted((m for m in history if m.step > seen.last_step), key=lambda m: m.step)
        if fresh:
            seen.last_step = fresh[-1].step
        return [
            TrialProgress(number, m.step, self.total_steps, {self.metric: m.value}, run_id)
            for m in fresh
        ]


def _ended_event(trial, run_id: str | None) -> Event | None:
    from optuna.trial import TrialState

    seconds = 0.0
    if trial.datetime_start is not None:
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
        seconds = end - trial.datetime_start.timestamp()
    if trial.state == TrialState.COMPLETE:
        return TrialFinished(trial.number, list(trial.values), dict(trial.params), run_id, seconds)
    if trial.state == TrialState.PRUNED:
        steps = trial.intermediate_values
        step = max(steps) if steps else 0
        return TrialPruned(trial.number, step, steps.get(step), run_id, seconds)
    if trial.state == TrialState.FAIL:
        attrs = trial.user_attrs
        if attrs.get(STOPPED_ATTR):
            steps = trial.intermediate_values
            step = max(steps) if steps else 0
            counts = not attrs.get(INTERRUPTED_ATTR)
            return TrialStopped(trial.number, step, run_id, seconds, counts)
        reason = str(attrs.get(REASON_ATTR, "failed"))
        return TrialFailed(trial.number, reason, run_id, seconds, bool(attrs.get(INTERRUPTED_ATTR)))
    return None
