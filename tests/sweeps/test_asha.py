"""Successive halving that resumes: trials pause at their rung, the best third is promoted
and goes on from its checkpoint in the same MLflow run (its steps after the rung, each once);
the others end PRUNED keeping their last checkpoint."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from engine.sweeps import TrialStarted, default_storage_url, runner_for
from engine.sweeps._asha import promotable, rungs
from engine.sweeps._storage import open_storage
from engine.tracking import open_client
from tests.sweeps.conftest import Recorder, tiny_spec


def test_rungs_and_the_top_third():
    assert rungs(100, 4) == [4, 12, 36, 100]
    assert rungs(270, None) == [10, 30, 90, 270]  # steps / eta^3 first
    assert promotable({0: 0.5, 1: 0.9, 2: 0.7}, maximize=True) == [1]
    assert promotable({0: 0.5, 1: 0.9, 2: 0.7}, maximize=False) == [0]
    assert promotable({0: 0.5, 1: 0.9}, maximize=True) == []  # not three yet
    assert promotable({0: float("nan"), 1: 0.1, 2: 0.2}, maximize=True) == [2]


def test_a_promoted_trial_goes_on_from_its_rung_in_its_own_run(workspace):
    events = Recorder()
    spec = tiny_spec(workspace, "asha-resumes", "lr=1e-3:1e-1:log", algorithm="asha",
                     interval=2, trials=3, parallel=2, fixed={"steps": 4})  # fmt: skip
    finished = runner_for(spec, events).run()
    assert finished.states == {"finished": 1, "pruned": 2}

    study = optuna.load_study(
        study_name="asha-resumes", storage=open_storage(default_storage_url(workspace))
    )
    client = open_client(f"sqlite:///{workspace / 'mlflow.db'}")
    for trial in study.get_trials():
        run_id = trial.user_attrs["netyard.mlflow_run_id"]
        steps = [m.step for m in client.get_metric_history(run_id, "train_loss")]
        if trial.state == TrialState.COMPLETE:
            assert sorted(steps) == [1, 2, 3, 4]  # on from step 2, not again from 1
            promoted = [e for e in events.of(TrialStarted) if e.number == trial.number]
            assert [e.resumed_step for e in promoted] == [None, 2]
            assert client.get_run(run_id).info.status == "FINISHED"
        else:
            assert trial.state == TrialState.PRUNED and sorted(steps) == [1, 2]
            folder = workspace / "checkpoints" / run_id
            assert (folder / "last.ckpt").is_file()  # what a later promotion resumes
