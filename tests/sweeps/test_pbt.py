"""Population-based training with real workers and checkpoints: members exploit one another
at every interval, each member's curves continue in its own MLflow run across exploits (each
step once), the exploits are recorded, and a coordinator killed with kill -9 and run again
resumes the population from the members' checkpoints."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from engine.errors import UsageError
from engine.sweeps import SweepStarted, default_storage_url, resolve_spec, runner_for
from engine.sweeps._pbt import EXPLOITED_TAG, EXPLOITS_ARTIFACT, PBT_ATTR
from engine.sweeps._storage import open_storage
from engine.tracking import open_client
from tests.sweeps.conftest import Recorder, tiny_cli_sweep, tiny_spec, wait_for_exit

STEPS, INTERVAL, POPULATION = 4, 2, 4


def _pbt_spec(workspace, name: str):
    return tiny_spec(workspace, name, "lr=1e-3:1e-1:log", algorithm="pbt", population=POPULATION,
                     interval=INTERVAL, parallel=2, fixed={"steps": STEPS})  # fmt: skip


def _study(workspace, name: str):
    return optuna.load_study(study_name=name, storage=open_storage(default_storage_url(workspace)))


def _check_members(workspace, name: str) -> list[dict]:
    """Every member complete, its run FINISHED with each step logged once from 1 to the end;
    the members as the population's state holds them."""
    study = _study(workspace, name)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * POPULATION
    members = study.user_attrs[PBT_ATTR]["members"]
    client = open_client(f"sqlite:///{workspace / 'mlflow.db'}")
    for member in members:
        assert client.get_run(member["run_id"]).info.status == "FINISHED"
        for metric in ("train_loss", "val_accuracy"):
            steps = [m.step for m in client.get_metric_history(member["run_id"], metric)]
            assert sorted(steps) == list(range(1, STEPS + 1)), (metric, steps)
    return members


def test_members_exploit_and_their_curves_continue_in_their_own_runs(workspace):
    finished = runner_for(_pbt_spec(workspace, "pbt-exploits"), Recorder()).run()
    assert finished.states == {"finished": POPULATION}

    members = _check_members(workspace, "pbt-exploits")
    exploits = [e for m in members for e in m["exploits"]]
    # The bottom quarter (one member of four) copies a top one at each interval but the end.
    assert sorted(e["step"] for e in exploits) == list(range(INTERVAL, STEPS, INTERVAL))
    client = open_client(f"sqlite:///{workspace / 'mlflow.db'}")
    kept = next(m for m in members if not m["exploits"])
    schedule = {m.step: m.value / kept["params"]["lr"]
                for m in client.get_metric_history(kept["run_id"], "lr")}  # fmt: skip
    for member in (m for m in members if m["exploits"]):
        run = client.get_run(member["run_id"])
        assert run.data.tags[EXPLOITED_TAG] == str(len(member["exploits"]))
        folder = workspace / member["run_id"]
        folder.mkdir()
        recorded = json.loads(
            Path(
                client.download_artifacts(member["run_id"], EXPLOITS_ARTIFACT, str(folder))
            ).read_text()
        )
        assert recorded == member["exploits"]
        lrs = {m.step: m.value for m in client.get_metric_history(member["run_id"], "lr")}
        for exploit in member["exploits"]:
            source = members[exploit["source"]]
            assert exploit["source_run_id"] == source["run_id"] != member["run_id"]
            assert exploit["old"] != exploit["new"]
            # Trained on with the explored learning rate from the copied step on, at the
            # point of the schedule the copied step had reached (as a member never exploited).
            after = exploit["step"] + 1
            assert math.isclose(lrs[after], exploit["new"]["lr"] * schedule[after], rel_tol=1e-6)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"population": 1}, "invalid population 1: expected a whole number of members from 2"),
        (
            {"interval": 0},
            "invalid interval 0: expected a whole number of steps between exploits from 1 to 3",
        ),
        (
            {"interval": 4},
            "invalid interval 4: expected a whole number of steps between exploits from 1 to 3",
        ),
        ({"algorithm": "bohb"}, "unknown algorithm 'bohb'; valid: pbt, asha"),
    ],
)
def test_bad_population_or_interval_is_one_sentence(workspace, fields, message):
    spec = _pbt_spec(workspace, "pbt-bad")
    for key, value in fields.items():
        setattr(spec, key, value)
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        resolve_spec(spec, check_data=False)


def test_a_killed_coordinator_resumes_the_population(workspace):
    command = tiny_cli_sweep("pbt-killed", STEPS, POPULATION, "--algorithm", "pbt",
                             "--population", str(POPULATION), "--interval", str(INTERVAL),
                             "--parallel", "2", "--workspace", str(workspace))  # fmt: skip
    coordinator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    pids, segments = set(), 0
    try:
        for line in coordinator.stdout:
            event = json.loads(line)
            if event["kind"] == "trial_started":
                pids.add(event["pid"])
                segments += 1
            if segments > POPULATION:  # the second generation has begun
                break
    finally:
        os.kill(coordinator.pid, signal.SIGKILL)
        coordinator.wait()
    for pid in pids:
        assert wait_for_exit(pid, timeout=60), f"worker {pid} outlived its coordinator"
    before = _study(workspace, "pbt-killed").user_attrs[PBT_ATTR]
    assert before["generation"] == 1

    events = Recorder()
    finished = runner_for(_pbt_spec(workspace, "pbt-killed"), events).run()
    assert events.of(SweepStarted)[0].reconciled == []  # its members were taken back
    assert finished.states == {"finished": POPULATION}
    members = _check_members(workspace, "pbt-killed")
    assert [m["run_id"] for m in members] == [m["run_id"] for m in before["members"]]
    assert sum(len(m["exploits"]) for m in members) == len(range(INTERVAL, STEPS, INTERVAL))


def test_a_search_that_changes_the_networks_shapes_is_refused(workspace):
    spec = tiny_spec(workspace, "pbt-shapes", "channels=4,8", algorithm="pbt", population=2,
                     interval=2, fixed={"steps": 4})  # fmt: skip
    with pytest.raises(UsageError, match="population-based training cannot search 'channels'"):
        runner_for(spec)
    runner_for(_pbt_spec(workspace, "pbt-lr"))  # lr keeps every shape: accepted
