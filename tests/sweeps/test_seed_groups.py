"""Seeds in groups (k runs per configuration, the mean optimised) and warm starts from a past
study, with real workers, a real journal storage and a real MLflow store."""

from __future__ import annotations

import math

import optuna
import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here

from engine.errors import UsageError
from engine.sweeps import SweepRunner, SweepSpec, SweepStarted, TrialFinished, default_storage_url
from engine.sweeps._seeds import mean_and_error
from engine.sweeps._storage import open_storage
from engine.sweeps._warm_start import FROM_ATTR, fit_to_space, parse_warm_start
from tests.sweeps.conftest import Recorder, tiny_spec


def _study(workspace, name):
    return optuna.load_study(study_name=name, storage=open_storage(default_storage_url(workspace)))


def test_two_seeds_per_configuration_give_two_runs_and_their_mean(workspace):
    events = Recorder()
    spec = tiny_spec(workspace, "seeds2", "lr=1e-3:1e-1:log", trials=1, seeds_per_config=2,
                     seed=7, fixed={"steps": 6})  # fmt: skip
    assert SweepRunner(spec, events).run().status == "finished"

    trial = _study(workspace, "seeds2").trials[0]
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, "tags.`optuna.study_name` = 'seeds2'")
    runs = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert sorted(r.data.tags["netyard.seed"] for r in runs) == ["7", "8"]
    assert sorted(r.data.params["seed"] for r in runs) == ["7", "8"]
    assert len({r.data.tags["netyard.group"] for r in runs}) == 1  # one configuration
    by_run = {r.info.run_id: r.data.metrics["val_accuracy"] for r in runs}
    assert sorted(trial.user_attrs["netyard.seed_runs"]) == sorted(by_run)
    seeds = [by_run[run] for run in trial.user_attrs["netyard.seed_runs"]]
    assert trial.user_attrs["netyard.seed_values"] == [[v] for v in seeds]
    assert trial.value == pytest.approx(sum(seeds) / 2)
    error = abs(seeds[0] - seeds[1]) / 2  # sample std of two values over sqrt(2)
    assert trial.user_attrs["netyard.std_error"] == [pytest.approx(error)]
    (finished,) = events.of(TrialFinished)
    assert finished.seeds == 2 and finished.std_errors == [pytest.approx(error)]


def test_mean_and_standard_error():
    assert mean_and_error([[1.0, 10.0], [3.0, 10.0]]) == ([2.0, 10.0], [1.0, 0.0])
    assert mean_and_error([[0.5]]) == ([0.5], [0.0])


def _past_study(workspace, name: str) -> list:
    """A finished study in the workspace's storage (its values made up: no training needed),
    its trials best first."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    storage = open_storage(default_storage_url(workspace))
    past = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    space = {
        "lr": FloatDistribution(1e-4, 1.0, log=True),
        "channels": CategoricalDistribution([4, 8]),
    }
    for lr, channels, value in [(0.5, 4, 0.3), (2e-3, 8, 0.9), (3e-2, 4, 0.7)]:
        trial = optuna.trial.create_trial(params={"lr": lr, "channels": channels},
                                          distributions=space, value=value)  # fmt: skip
        past.add_trial(trial)
    return sorted(past.trials, key=lambda t: -t.value)


def test_warm_start_enqueues_the_best_configurations_of_a_past_study(workspace):
    ranked = _past_study(workspace, "warm-past")

    events = Recorder()
    new = tiny_spec(workspace, "warm-new", "lr=1e-3:1e-1:log", trials=2, pruner="none",
                    warm_start="warm-past:2", fixed={"steps": 4})  # fmt: skip
    SweepRunner(new, events).run()

    first = sorted(_study(workspace, "warm-new").trials, key=lambda t: t.number)
    assert [t.params for t in first] == [{"lr": 2e-3}, {"lr": 3e-2}]  # the best two
    assert [t.user_attrs[FROM_ATTR] for t in first] == [f"warm-past#{t.number}" for t in ranked[:2]]
    (started,) = events.of(SweepStarted)
    assert "2 configuration(s) of sweep 'warm-past'" in started.warm_start
    assert "dropped channels (not searched now)" in started.warm_start


def test_a_warm_start_from_no_such_study_names_the_studies(workspace):
    _past_study(workspace, "warm-known")
    spec = tiny_spec(workspace, "warm-bad", "lr", trials=1, warm_start="warm-nope:3")
    with pytest.raises(UsageError, match="no such study; studies in this storage: .*warm-known"):
        SweepRunner(spec, Recorder()).run()
    storage = open_storage(default_storage_url(workspace))
    assert "warm-bad" not in optuna.get_all_study_names(storage)  # nothing half-made


def test_past_parameters_are_fitted_to_the_new_space():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    space = {
        "lr": FloatDistribution(1e-3, 1e-2, log=True),
        "depth": IntDistribution(2, 6, step=2),
        "act": CategoricalDistribution(["relu", "gelu"]),
        "dropout": FloatDistribution(0.0, 0.5),
    }
    past = [{"lr": 0.5, "depth": 7, "act": "tanh", "width": 64}, {"lr": 5e-3, "depth": 4}]
    fitted, notes = fit_to_space(past, space)
    assert fitted == [{"lr": 1e-2, "depth": 6}, {"lr": 5e-3, "depth": 4}]
    assert notes == [
        "dropped width (not searched now)",
        "clipped depth into its range in 1",
        "clipped lr into its range in 1",
        "drew act afresh in 1 (its value is not a choice now)",
        "dropout drawn by the sampler (not in the past study)",
    ]
    assert not math.isnan(fitted[0]["lr"])


def test_warm_start_text():
    assert parse_warm_start("past") == ("past", 5)
    assert parse_warm_start("past:3") == ("past", 3)
    assert parse_warm_start("a:b") == ("a:b", 5)
    with pytest.raises(UsageError, match="STUDY:N"):
        parse_warm_start("past:0")


def test_the_cli_flags_go_into_the_spec_and_a_bad_study_is_one_sentence(
    workspace, tmp_path, capsys
):
    path = tmp_path / "spec.yaml"
    common = [
        "sweep",
        "cnn",
        "--dataset",
        "mnist1d",
        "--search",
        "lr",
        "--workspace",
        str(workspace),
    ]
    flags = ["--seeds-per-config", "3", "--warm-start", "past:2", "--save-config", str(path)]
    assert netyard_here(*common, *flags) == 0
    spec = SweepSpec.load(path)
    assert (spec.seeds_per_config, spec.warm_start) == (3, "past:2")

    _past_study(workspace, "warm-listed")
    code = netyard_here(*common, "--name", "warm-cli", "--warm-start", "warm-gone", "--trials", "1")
    assert code == 2
    assert "no such study; studies in this storage:" in capsys.readouterr().err
