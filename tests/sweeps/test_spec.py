"""The sweep spec: search syntax, schema-checked ranges, YAML round trip, and every invalid
spec rejected with one message before anything runs."""

from __future__ import annotations

import pytest
from netyard_test_support import without_status
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from engine.cli import main
from engine.errors import UsageError
from engine.runner import RunConfig
from engine.sweeps import Objective, SweepSpec, parse_search, resolve_spec


def spec(*search: str, **fields) -> SweepSpec:
    return SweepSpec("cnn", "mnist1d", search=[parse_search(s) for s in search], **fields)


def test_ranges_and_choices_come_from_the_schema_by_default():
    resolved = resolve_spec(spec("lr", "channels=16,32,64", "pooling", "depth=2:4", "batch_norm"))
    d = resolved.distributions
    assert d["lr"] == FloatDistribution(1e-6, 1.0, log=True)  # the schema's range and scale
    assert d["channels"] == CategoricalDistribution([16, 32, 64])  # parsed as ints
    assert d["pooling"] == CategoricalDistribution(["none", "max", "avg"])
    assert d["depth"] == IntDistribution(2, 4)
    assert d["batch_norm"] == CategoricalDistribution([False, True])
    assert resolved.metrics == ["val_accuracy"] and resolved.directions == ["maximize"]
    assert (resolved.sampler, resolved.pruner) == ("tpe", "median")


def test_narrowing_scale_and_step():
    resolved = resolve_spec(spec("lr=1e-4:1e-1:log", "dropout=0:0.5:step=0.1", "channels=8:64"))
    d = resolved.distributions
    assert d["lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert d["dropout"] == FloatDistribution(0.0, 0.5, step=0.1)
    assert d["channels"] == IntDistribution(8, 64, log=True)  # channels is log in the schema
    assert resolve_spec(spec("channels=8:64:linear")).distributions["channels"].log is False


def test_multi_objective_defaults_to_nsgaii_and_no_pruner():
    resolved = resolve_spec(
        spec("lr", objectives=[Objective("val_accuracy"), Objective("param_count")])
    )
    assert resolved.directions == ["maximize", "minimize"]
    assert (resolved.sampler, resolved.pruner) == ("nsgaii", "none")


def test_grid_caps_the_budget_at_the_grid_size():
    resolved = resolve_spec(spec("channels=8,16", "dropout=0:0.2:step=0.1", sampler="grid"))
    assert resolved.grid == {"channels": [8, 16], "dropout": [0.0, 0.1, 0.2]}
    assert resolved.trials == 6


@pytest.mark.parametrize(
    ("search", "fields", "message"),
    [
        (["lr=1e-8:1e-1"], {}, "search range 1e-08:0.1 for lr is outside its valid range"),
        (["lr=0.1:0.01"], {}, "low must be below high"),
        (["dropout=0:0.5:log"], {}, "cannot be on a log scale"),
        (["depth=1.5:4"], {}, "whole numbers"),
        (["channels=3,4096"], {}, "invalid value 4096 for channels"),
        (["pooling=max,median"], {}, "invalid value 'median' for pooling"),
        (["pooling=0:1"], {}, "search it over choices"),
        (["lrr=1e-3:1e-2"], {}, "unknown hyperparameter 'lrr' (did you mean lr?)"),
        (["lr"], {"sampler": "grid"}, "the grid sampler cannot search the continuous range"),
        (["lr"], {"sampler": "annealing"}, "unknown sampler 'annealing'; valid: tpe, random"),
        (["lr"], {"pruner": "mean"}, "unknown pruner 'mean'"),
        (["lr"], {"objectives": [Objective("val_acc")]}, "unknown metric 'val_acc'"),
        (["lr"], {"objectives": [Objective("val_loss", "down")]}, "invalid direction 'down'"),
        (
            ["lr"],
            {
                "objectives": [Objective("val_accuracy"), Objective("param_count")],
                "pruner": "median",
            },
            "cannot prune a multi-objective sweep",
        ),
        (["lr"], {"trials": 0}, "invalid trial budget 0"),
        (["lr"], {"trials": None}, "a sweep needs a trial budget"),
        (["lr"], {"parallel": 0}, "invalid parallel 0"),
        (["lr"], {"fixed": {"lr": 0.1}}, "'lr' is both searched and fixed"),
        (["lr"], {"fixed": {"steps": -1}}, "invalid value -1 for steps"),
        ([], {}, "a sweep needs at least one searched hyperparameter"),
        (["lr"], {"name": "bad name!"}, "invalid sweep name"),
    ],
)
def test_invalid_specs_are_rejected_with_one_message(search, fields, message):
    with pytest.raises(UsageError) as caught:
        resolve_spec(spec(*search, **fields))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("option", "value", "sentence"),
    [
        ("seed", -1, "invalid seed -1: expected a whole number from 0 to 4294967295"),
        ("seed", "7", "invalid seed '7': expected a whole number from 0 to 4294967295"),
        ("threads", 0, "invalid thread count 0: expected a whole number from 1 to 1024"),
        ("threads", 2000, "invalid thread count 2000: expected a whole number from 1 to 1024"),
        ("device", "tpu", "invalid device 'tpu': expected auto, cpu, cuda or cuda:N"),
    ],
)
def test_a_run_and_a_sweep_refuse_a_bad_run_option_with_the_same_sentence(option, value, sentence):
    with pytest.raises(UsageError) as run:
        RunConfig("cnn", "digits", **{option: value}).check()  # what the app's forms do
    with pytest.raises(UsageError) as sweep:
        resolve_spec(spec("lr", **{option: value}))
    assert str(run.value) == str(sweep.value) == sentence


def test_yaml_round_trip(tmp_path):
    original = spec(
        "lr=1e-4:1e-1:log",
        "channels=16,32",
        "dropout=0:0.5:step=0.1",
        fixed={"steps": 50},
        objectives=[Objective("val_accuracy", "maximize"), Objective("param_count")],
        pruner="none",
        trials=7,
        parallel=2,
        name="round-trip",
    )
    path = tmp_path / "sweep.yaml"
    original.save(path)
    loaded = SweepSpec.load(path)
    assert loaded == original
    assert resolve_spec(loaded).distributions == resolve_spec(original).distributions


def test_yaml_accepts_the_cli_syntax_and_a_single_metric(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        "plugin: cnn\ndataset: mnist1d\nsearch:\n  lr: 1e-4:1e-1:log\n  channels: [8, 16]\n"
        "metric: val_loss\ntrials: 3\n"
    )
    resolved = resolve_spec(SweepSpec.load(path))
    assert resolved.distributions["lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert resolved.metrics == ["val_loss"] and resolved.directions == ["minimize"]


def test_yaml_int_ranges_are_not_read_as_base_60(tmp_path):
    # YAML 1.1 reads 2:6 as the base-60 integer 126 and 16:32 as 992
    path = tmp_path / "sweep.yaml"
    path.write_text(
        "plugin: cnn\ndataset: mnist1d\nsearch:\n  depth: 2:6\n  channels: 16:32\n"
        "  lr: [1e-3, 0.01]\nfixed:\n  steps: 30\n  dropout: 0.5\n"
    )
    loaded = SweepSpec.load(path)
    assert loaded.search[:2] == [parse_search("depth=2:6"), parse_search("channels=16:32")]
    assert loaded.search[2].choices == [0.001, 0.01]  # 1e-3 is a number, not the text "1e-3"
    assert loaded.fixed == {"steps": 30, "dropout": 0.5}
    d = resolve_spec(loaded).distributions
    assert d["depth"] == IntDistribution(2, 6)
    assert d["channels"] == IntDistribution(16, 32, log=True)  # channels is log in the schema
    assert d["lr"] == CategoricalDistribution([1e-3, 0.01])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plugin: cnn\ndataset: mnist1d\nsearch: {lr: null}\nsamplr: tpe\n", "unknown key(s)"),
        ("plugin: cnn\nsearch: {lr: null}\n", "needs dataset"),
        ("plugin: cnn\ndataset: [unclosed\n", "is not valid YAML at line"),
        ("plugin: cnn\ndataset: mnist1d\nsearch: {lr: {low: 1, hi: 2}}\n", "unknown key(s) hi"),
    ],
)
def test_bad_yaml_files(tmp_path, text, message):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SweepSpec.load(path)


def test_cli_rejects_an_invalid_spec_before_anything_is_written(tmp_path, capsys):
    workspace = tmp_path / "ws"
    code = main(
        [
            "sweep",
            "cnn",
            "--dataset",
            "mnist1d",
            "--search",
            "lr=1e-4:10",
            "--workspace",
            str(workspace),
        ]
    )
    err = without_status(capsys.readouterr().err).splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith("netyard: error: search range 0.0001:10 for lr is outside")
    assert not workspace.exists()


def test_cli_flags_build_the_same_spec_as_yaml(tmp_path):
    path = tmp_path / "sweep.yaml"
    code = main(
        [
            "sweep",
            "cnn",
            "--dataset",
            "mnist1d",
            "--search",
            "lr=1e-4:1e-1:log",
            "--search",
            "channels=16,32",
            "--set",
            "depth=3",
            "--steps",
            "40",
            "--trials",
            "5",
            "--metric",
            "val_loss",
            "--direction",
            "minimize",
            "--sampler",
            "random",
            "--name",
            "flags",
            "--save-config",
            str(path),
        ]
    )
    assert code == 0
    loaded = SweepSpec.load(path)
    assert loaded.fixed == {"depth": 3, "steps": 40}
    assert [s.to_text() for s in loaded.search] == ["lr=0.0001:0.1:log", "channels=16,32"]
    assert "- 16\n" in path.read_text()  # integer choices as integers, not '16'
    assert loaded.objectives == [Objective("val_loss", "minimize")]
    assert (loaded.trials, loaded.sampler, loaded.name) == (5, "random", "flags")
