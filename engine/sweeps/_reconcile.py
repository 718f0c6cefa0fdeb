"""Trials left RUNNING by a coordinator that died (kill -9, power loss) become FAIL.

Optuna's heartbeat covers neither ask/tell nor the journal storage, so each trial records the
host and process id of the coordinator that runs it; on start, a RUNNING trial whose
coordinator on this host is gone is marked FAIL (not counted toward the budget, since it never
got to finish) and its MLflow run FAILED. Trials of other hosts are left to their own
coordinators.
"""

from __future__ import annotations

import os
import socket

from engine.sweeps._optuna_internals import fail_stale_trial, trial_id
from engine.tracking import open_client, process_alive

HOST_ATTR = "netyard.host"
PID_ATTR = "netyard.pid"
RUN_ATTR = "netyard.mlflow_run_id"
REASON_ATTR = "netyard.fail_reason"
INTERRUPTED_ATTR = "netyard.interrupted"
RETRIED_ATTR = "netyard.retried"
ATTEMPT_ATTR = "netyard.attempt"


def reconcile_stale_trials(study, tracking_uri: str | None) -> list[int]:
    """Mark FAIL this host's RUNNING trials whose coordinator process no longer exists."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    stale = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        pid = attrs.get(PID_ATTR)
        if attrs.get(HOST_ATTR) != host or not isinstance(pid, int):
            continue
        if pid == os.getpid() or process_alive(pid):
            continue
        reason = f"the sweep coordinator (pid {pid}) died while the trial ran"
        fail_stale_trial(study, trial, {REASON_ATTR: reason, INTERRUPTED_ATTR: True})
        if tracking_uri:
            _fail_runs(tracking_uri, study.study_name, trial, reason)
        stale.append(trial.number)
    return stale


def _fail_runs(tracking_uri: str, study_name: str, trial, reason: str) -> None:
    """Fail the trial's MLflow run, found by its tags when the coordinator died too early to
    record the run id."""
    from mlflow.entities import ViewType

    from engine.sweeps._tracking import STUDY_TAG, TRIAL_ID_TAG, mark_trial_run

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
        mark_trial_run(client, run_id, "FAIL", reason, fail_run=True)
