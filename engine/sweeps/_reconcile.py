"""Trials left RUNNING by a coordinator that died (kill -9, power loss) become FAIL.

Optuna's heartbeat covers neither ask/tell nor the journal storage, so each trial records the
host and process id of the coordinator that runs it, and that coordinator stamps the trial's
``netyard.heartbeat`` (wall-clock seconds) every ``HEARTBEAT_SECONDS`` while it runs. On start
and then periodically, a RUNNING trial is marked FAIL (not counted toward the budget, since it
never got to finish) and its MLflow run FAILED when its coordinator on this host is gone, or,
for a trial of another machine (a ``netyard worker`` that shares nothing with this one), when
its heartbeat is older than ``grace_seconds()``: a worker killed with kill -9 or cut off for
that long. Machines' clocks must agree to well within the grace (NTP does).
"""

from __future__ import annotations

import os
import socket

from engine.states import State
from engine.sweeps._optuna_internals import fail_stale_trial, trial_id
from engine.tracking import open_client, process_alive

HOST_ATTR = "netyard.host"
PID_ATTR = "netyard.pid"
RUN_ATTR = "netyard.mlflow_run_id"
REASON_ATTR = "netyard.fail_reason"
INTERRUPTED_ATTR = "netyard.interrupted"  # does not use up the budget: run again
STOPPED_ATTR = "netyard.stopped"  # stopped by the user
RETRIED_ATTR = "netyard.retried"
ATTEMPT_ATTR = "netyard.attempt"
HEARTBEAT_ATTR = "netyard.heartbeat"
HEARTBEAT_SECONDS = 10.0
GRACE_ENV = "NETYARD_TRIAL_GRACE_SECONDS"
DEFAULT_GRACE_SECONDS = 90.0


_FROM_OPTUNA = {"COMPLETE": State.FINISHED, "PRUNED": State.PRUNED, "FAIL": State.FAILED,
                "RUNNING": State.RUNNING, "WAITING": State.QUEUED}  # fmt: skip


def trial_state(trial) -> State:
    """A trial's state in Netyard's words: Optuna's FAIL is stopped (by you) or failed."""
    if trial.state.name == "FAIL" and trial.user_attrs.get(STOPPED_ATTR):
        return State.STOPPED
    return _FROM_OPTUNA[trial.state.name]


def count_states(trials) -> dict[str, int]:
    """How many trials are in each state (``trial_state``)."""
    counts: dict[str, int] = {}
    for trial in trials:
        state = trial_state(trial).value
        counts[state] = counts.get(state, 0) + 1
    return counts


def grace_seconds() -> float:
    """How long another machine's trial may go without a heartbeat before it counts as dead
    (``$NETYARD_TRIAL_GRACE_SECONDS``, default 90: several missed beats, so a worker that
    lost the database for a minute and came back keeps its trial)."""
    text = os.environ.get(GRACE_ENV, "")
    try:
        return max(float(text), 1.0) if text else DEFAULT_GRACE_SECONDS
    except ValueError:
        return DEFAULT_GRACE_SECONDS


def heartbeat_seconds() -> float:
    """A beat at least three times per grace, so one late beat never fails a live trial."""
    return min(HEARTBEAT_SECONDS, grace_seconds() / 3)


def _stale_reason(attrs: dict, host: str, now: float) -> str | None:
    """Why a RUNNING trial's coordinator counts as dead, or None while it may be alive."""
    pid = attrs.get(PID_ATTR)
    if attrs.get(HOST_ATTR) == host:
        if not isinstance(pid, int) or pid == os.getpid() or process_alive(pid):
            return None
        return f"the sweep coordinator (pid {pid}) died while the trial ran"
    beat = attrs.get(HEARTBEAT_ATTR)
    grace = grace_seconds()
    if not isinstance(beat, (int, float)) or now - beat <= grace:
        return None
    return (
        f"the worker on {attrs.get(HOST_ATTR, 'another machine')} (pid {pid}) sent no "
        f"heartbeat for {now - beat:.0f} s (over {grace:.0f} s): killed or cut off"
    )


def reconcile_stale_trials(study, tracking_uri: str | None) -> list[int]:
    """Mark FAIL the RUNNING trials whose coordinator is dead: gone from this host, or, on
    another machine, silent for longer than the grace."""
    import time

    from optuna.trial import TrialState

    host, now = socket.gethostname(), time.time()
    stale = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        reason = _stale_reason(trial.user_attrs, host, now)
        if reason is None:
            continue
        fail_stale_trial(study, trial, {REASON_ATTR: reason, INTERRUPTED_ATTR: True})
        if tracking_uri:
            _fail_runs(tracking_uri, study.study_name, trial, reason)
        stale.append(trial.number)
    return stale


def _fail_runs(tracking_uri: str, study_name: str, trial, reason: str) -> None:
    """Fail the trial's MLflow run, found by its tags when the coordinator died too early to
    record the run id."""
    from mlflow.entities import ViewType

    from engine.sweeps._tracking import TRIAL_ID_TAG, mark_trial_run
    from engine.tracking import STUDY_TAG

    client = open_client(tracking_uri)
    run_ids = {trial.user_attrs[RUN_ATTR]} if trial.user_attrs.get(RUN_ATTR) else set()
    experiments = [e.experiment_id for e in client.search_experiments(ViewType.ACTIVE_ONLY)]
    if experiments:
        runs = client.search_runs(
            experiments,
            filter_string=(
                f"tags.`{STUDY_TAG}` = '{study_name}' and "
                f"tags.`{TRIAL_ID_TAG}` = '{trial_id(trial)}'"
            ),
        )
        run_ids.update(run.info.run_id for run in runs)
    for run_id in run_ids:
        mark_trial_run(client, run_id, State.FAILED.trial_tag, reason, fail_run=True)
