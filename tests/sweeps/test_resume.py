"""Resume after the coordinator is killed with kill -9: workers die with it, stale trials and
their MLflow runs are failed on the next start, and the budget is still met."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import optuna
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from engine.sweeps import SweepRunner, default_storage_url
from engine.sweeps._storage import open_storage
from tests.sweeps.conftest import Recorder, tiny_cli_sweep, tiny_spec, wait_for_exit


def test_resume_after_kill_9(workspace):
    command = tiny_cli_sweep("resume", 5000, 3, "--parallel", "2", "--workspace", str(workspace))
    coordinator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    pids, progressed = {}, set()
    try:
        for line in coordinator.stdout:
            event = json.loads(line)
            if event["kind"] == "trial_started":
                pids[event["number"]] = event["pid"]
            elif event["kind"] == "trial_progress" and event["run_id"]:
                progressed.add(event["number"])
            if len(progressed) == 2:
                break
    finally:
        os.kill(coordinator.pid, signal.SIGKILL)
        coordinator.wait()
    assert sorted(pids) == [0, 1]
    for pid in pids.values():  # the workers follow their coordinator: no orphans
        assert wait_for_exit(pid, timeout=60), f"worker {pid} outlived its coordinator"

    storage = open_storage(default_storage_url(workspace))
    stale = optuna.load_study(study_name="resume", storage=storage).get_trials()
    assert [t.state for t in stale] == [TrialState.RUNNING, TrialState.RUNNING]

    events = Recorder()
    spec = tiny_spec(workspace, "resume", "lr=1e-3:1e-1:log", trials=3, parallel=2, pruner="none")
    finished = SweepRunner(spec, events).run()

    assert events[0].reconciled == [0, 1]
    study = optuna.load_study(
        study_name="resume", storage=open_storage(default_storage_url(workspace))
    )
    trials = study.get_trials()
    for trial in trials[:2]:
        assert trial.state == TrialState.FAIL
        assert "died while the trial ran" in trial.user_attrs["netyard.fail_reason"]
    assert [t.state for t in trials[2:]] == [TrialState.COMPLETE] * 3  # the budget is met
    assert finished.states == {"failed": 2, "finished": 3}

    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    assert not client.search_runs(experiments, "attributes.status = 'RUNNING'")
    runs = client.search_runs(experiments, "tags.`netyard.sweep` = 'resume'")
    by_number = {
        int(r.data.tags["optuna.trial_number"]): r
        for r in runs
        if "optuna.trial_number" in r.data.tags
    }
    for number in (0, 1):
        assert by_number[number].info.status == "FAILED"
        assert by_number[number].data.tags["optuna.state"] == "FAIL"
    parents = [r for r in runs if "optuna.trial_number" not in r.data.tags]
    assert len(parents) == 1  # the re-run continued the same parent run
    assert parents[0].info.status == "FINISHED"
