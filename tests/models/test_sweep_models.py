"""A sweep's models: the best trial always gets an MLflow Model; the others only when the
sweep is asked to (``log_models``, ``--log-models``)."""

from __future__ import annotations

import optuna
import pytest
from mlflow.tracking import MlflowClient

from engine.models import has_mlflow_model
from engine.sweeps import SweepRunner, default_storage_url, open_storage
from tests.sweeps.conftest import tiny_spec

pytestmark = pytest.mark.usefixtures("zygote")  # trial workers fork from it, as in the app


@pytest.mark.parametrize("log_models", [False, True], ids=["best-only", "every-trial"])
def test_the_best_trial_gets_a_model_and_the_others_when_asked(workspace, log_models):
    spec = tiny_spec(workspace, f"models-{log_models}", "lr=1e-3:1e-1:log", trials=3,
                     pruner="none", log_models=log_models)  # fmt: skip
    finished = SweepRunner(spec).run()
    assert finished.status == "finished"
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    trials = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], "tags.`optuna.trial_number` != ''"
    )
    by_number = {int(r.data.tags["optuna.trial_number"]): r.info.run_id for r in trials}
    assert sorted(by_number) == [0, 1, 2]
    with_model = {n for n, run_id in by_number.items() if has_mlflow_model(client, run_id)}
    study = optuna.load_study(
        study_name=spec.name, storage=open_storage(default_storage_url(workspace))
    )
    best = {trial.number for trial in study.best_trials}  # a tie gives each best trial one
    assert finished.best_number in best
    assert with_model == ({0, 1, 2} if log_models else best)
