"""The multi-machine path: a study in PostgreSQL, a coordinator and two ``netyard worker``
processes sharing its budget, every trial logged to the same MLflow store.

.ci/run starts a throwaway server (.ci/postgres.sh) and exports NETYARD_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from engine.cli import main
from engine.sweeps import list_studies
from engine.sweeps._storage import open_storage
from tests.sweeps.conftest import netyard, tiny_cli_sweep

URL = os.environ.get("NETYARD_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="NETYARD_TEST_POSTGRES_URL is unset: source .ci/postgres.sh to start a server"
)


def test_two_workers_join_a_postgres_study(tmp_path, capsys):
    name = f"pg-{uuid.uuid4().hex[:8]}"
    tracking = f"sqlite:///{tmp_path / 'shared-mlflow.db'}"
    # Trials long enough (about 1.5 s each) that the coordinator cannot use up the budget
    # alone while the two workers start (their imports take seconds).
    budget = 8
    coordinator = subprocess.Popen(
        tiny_cli_sweep(
            name,
            2000,
            budget,
            "--storage",
            URL,
            "--workspace",
            str(tmp_path / "coordinator"),
            "--tracking-uri",
            tracking,
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    workers = []
    try:
        for line in coordinator.stdout:
            if json.loads(line)["kind"] == "sweep_started":
                break
        # Two machines' worth of workers, each with its own workspace (its own data cache).
        for index in range(2):
            workers.append(
                subprocess.Popen(
                    netyard(
                        "worker",
                        "--study",
                        name,
                        "--storage",
                        URL,
                        "--workspace",
                        str(tmp_path / f"machine{index}"),
                        "--json",
                    ),
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        outputs = [worker.communicate(timeout=240)[0] for worker in workers]
        coordinator.communicate(timeout=240)
    finally:
        for process in [coordinator, *workers]:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert coordinator.returncode == 0
    assert [worker.returncode for worker in workers] == [0, 0]

    study = optuna.load_study(study_name=name, storage=open_storage(URL))
    trials = study.get_trials()
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers))  # no trial twice
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    # Each process checks the shared budget before asking, so it is met; two processes that
    # check at the same moment may each start one more.
    assert budget <= len(complete) <= budget + 2
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    coordinators = {t.user_attrs["netyard.pid"] for t in complete}
    assert len(coordinators) >= 2, "the workers ran no trial"
    worker_trials = [
        json.loads(line)["number"]
        for output in outputs
        for line in output.splitlines()
        if json.loads(line)["kind"] == "trial_finished"
    ]
    assert worker_trials

    client = MlflowClient(tracking)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"tags.`netyard.sweep` = '{name}'")
    parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parent) == 1
    assert sorted(int(r.data.tags["optuna.trial_number"]) for r in children) == sorted(
        t.number for t in trials
    )
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent[0].info.run_id}

    assert main(["sweeps", "--storage", URL]) == 0
    listing = capsys.readouterr().out
    assert name in listing
    listed = {s.name: s for s in list_studies(URL)}
    assert listed[name].states["COMPLETE"] == len(complete)
