"""The ``netyard`` command line: exit codes, one-line errors, nothing tracked on bad input."""

from __future__ import annotations

import re
import signal

import pytest
import torch
from netyard_test_support import all_runs, tracking_uri, without_status

from engine.cli import main

TINY = ["--set", "channels=4", "--set", "depth=2", "--set", "batch_size=16", "--threads", "1"]


def no_gpu_device() -> str:
    """A CUDA device that does not exist on this machine."""
    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.device_count()}"
    return "cuda"


BAD_RUNS = {
    "unknown-plugin": (
        ["run", "cnnn", "--dataset", "digits"],
        ["unknown plugin 'cnnn'", "did you mean cnn?", "valid: ", "cnn"],
    ),
    "unknown-hyperparameter": (
        ["run", "cnn", "--dataset", "digits", "--set", "chanels=8"],
        [
            "unknown hyperparameter 'chanels'",
            "did you mean channels?",
            "valid: architecture, channels, depth",
        ],
    ),
    "ill-typed": (
        ["run", "cnn", "--dataset", "digits", "--set", "depth=three"],
        ["invalid value 'three' for depth", "not a whole number", "int in [1, 12]"],
    ),
    "above-range": (
        ["run", "cnn", "--dataset", "digits", "--set", "depth=40"],
        ["invalid value 40 for depth", "above the maximum", "int in [1, 12]"],
    ),
    "below-range": (
        ["run", "cnn", "--dataset", "digits", "--set", "lr=0"],
        ["invalid value 0.0 for lr", "below the minimum", "float in [1e-06, 1], log scale"],
    ),
    "bad-choice": (
        ["run", "cnn", "--dataset", "digits", "--set", "optimizer=rmsprop"],
        ["invalid value 'rmsprop' for optimizer", "one of adam, adamw, sgd"],
    ),
    "bad-bool": (
        ["run", "cnn", "--dataset", "digits", "--set", "batch_norm=maybe"],
        ["invalid value 'maybe' for batch_norm", "true or false"],
    ),
    "malformed-set": (
        ["run", "cnn", "--dataset", "digits", "--set", "depth"],
        ["invalid assignment 'depth'", "expected key=value"],
    ),
    "unknown-dataset": (
        ["run", "cnn", "--dataset", "mnist2d"],
        ["unknown dataset 'mnist2d'", "did you mean mnist1d?", "valid: ", "digits"],
    ),
    "dataset-of-the-wrong-kind": (
        ["run", "nan_loss", "--dataset", "mnist1d"],
        [
            "plugin 'nan_loss' cannot take dataset 'mnist1d' (a sequence dataset)",
            "it accepts: image",
        ],
    ),
    "negative-seed": (
        ["run", "cnn", "--dataset", "digits", "--seed", "-1"],
        ["invalid seed '-1'", "expected a whole number from 0 to 4294967295"],
    ),
    "seed-not-a-number": (
        ["run", "cnn", "--dataset", "digits", "--seed", "abc"],
        ["invalid seed 'abc'", "from 0 to 4294967295"],
    ),
    "seed-too-large": (
        ["run", "cnn", "--dataset", "digits", "--seed", "4294967296"],
        ["invalid seed '4294967296'", "from 0 to 4294967295"],
    ),
    "missing-gpu": (
        ["run", "cnn", "--dataset", "digits", "--device", no_gpu_device()],
        [
            f"device {no_gpu_device()!r}",
            "does not exist" if torch.cuda.is_available() else "no CUDA GPU is available; use cpu",
        ],
    ),
    "garbage-device": (
        ["run", "cnn", "--dataset", "digits", "--device", "tpu"],
        ["invalid device 'tpu'", "expected auto, cpu, cuda or cuda:N"],
    ),
    "zero-steps": (
        ["run", "cnn", "--dataset", "digits", "--steps", "0"],
        ["invalid value '0'", "expected a whole number >= 1"],
    ),
    "model-that-cannot-be-built": (
        ["run", "cnn", "--dataset", "digits", "--set", "stride=4", "--set", "padding=0"],
        ["the CNN's 4 layers (stride 4", "shrink input of shape (1, 8, 8) to nothing"],
    ),
    "missing-dataset-flag": (["run", "cnn"], ["the following arguments are required: --dataset"]),
    "unknown-command": (["trian"], ["invalid choice: 'trian'"]),
    "unknown-plugin-shown": (["plugins", "rnnn"], ["unknown plugin 'rnnn'"]),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("argv", "fragments"), BAD_RUNS.values(), ids=BAD_RUNS.keys())
def test_bad_input_is_one_line_exit_2_and_nothing_tracked(
    argv, fragments, workspace, fixture_plugins, capsys
):
    if argv[0] == "run":
        argv = [*argv, "--workspace", str(workspace)]
        if "--steps" not in argv:  # should a case be accepted by mistake, it ends quickly
            argv += ["--steps", "2"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = without_status(captured.err).splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("netyard: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert not (workspace / "mlflow.db").exists()
    checkpoints = workspace / "checkpoints"
    assert not checkpoints.exists() or not any(checkpoints.iterdir())


def test_a_run_prints_a_summary_naming_its_mlflow_run(tracked_workspace, capsys):
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    argv = ["run", "cnn", "--dataset", "digits", "--steps", "6", "--device", "cpu", *TINY]
    argv += ["--workspace", str(tracked_workspace), "--experiment", "my-digits"]
    argv += ["--run-name", "first-try", "--seed", "4"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Status: FINISHED at step 6" in out
    match = re.search(r"MLflow run: ([0-9a-f]{32}) \(experiment (\w+)\)", out)
    assert match, out
    run_id, experiment_id = match.groups()
    assert f"Tracking store: {tracking_uri(tracked_workspace)}" in out
    assert f"#/experiments/{experiment_id}/runs/{run_id}" in out
    assert "Metrics: val_loss " in out and "test_accuracy " in out
    assert f"Training cnn on digits (run {run_id}) on cpu for 6 steps" in err
    assert "6/6 100%" in err

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(tracked_workspace))
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "first-try"
    assert client.get_experiment(experiment_id).name == "my-digits"
    assert run.data.params["seed"] == "4" and run.data.params["steps"] == "6"
    assert [r.info.run_id for r in all_runs(tracking_uri(tracked_workspace))] == [run_id]
    # The run's signal handlers (stop after this step) are gone once it returns.
    assert {s: signal.getsignal(s) for s in handlers} == handlers


def test_an_untracked_run(workspace, capsys):
    argv = ["run", "cnn", "--dataset", "digits", "--steps", "3", "--device", "cpu", *TINY]
    assert main([*argv, "--workspace", str(workspace), "--no-track"]) == 0
    out, err = capsys.readouterr()
    assert "Status: FINISHED at step 3" in out and "MLflow run" not in out
    assert "untracked run" in err
    assert not (workspace / "mlflow.db").exists()


def test_datasets_lists_the_builtins(capsys):
    assert main(["datasets"]) == 0
    table, _, user_data = capsys.readouterr().out.partition("Your own data")
    rows = {line.split()[0]: line for line in table.splitlines() if line.strip()}
    assert rows["ID"].split() == ["ID", "KIND", "TASK", "DESCRIPTION"]
    assert rows["mnist1d"].split()[1:3] == ["sequence", "classification"]
    assert rows["digits"].split()[1:3] == ["image", "classification"]
    # The user-data forms are listed with their syntax.
    assert {line.split(":")[0].strip() for line in user_data.splitlines()[1:] if line.strip()} >= {
        "csv",
        "folder",
        "text",
    }


def test_plugins_cnn_shows_every_hyperparameter(capsys):
    from plugins.cnn import CNNPlugin

    assert main(["plugins", "cnn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cnn: Convolutional network\n")
    assert "data kinds: sequence, image" in out
    assert "metrics: loss (min), accuracy (max)" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line and line[0] != " "}
    for param in CNNPlugin.full_schema():
        assert rows[param.name][1] == param.kind
        assert rows[param.name][2] == str(param.default)
    # The plugin's own default for a training option.
    assert rows["steps"][2] == str(CNNPlugin.training_defaults["steps"])
    assert "one of adam, adamw, sgd" in " ".join(rows["optimizer"])


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert "usage: netyard" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("netyard ")


def test_mlflow_progress_bars_and_info_lines_are_off_unless_the_user_set_them(monkeypatch):
    import os

    from engine.mlflow_output import quiet_mlflow_output

    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    monkeypatch.setenv("MLFLOW_LOGGING_LEVEL", "DEBUG")  # the user's choice stays
    quiet_mlflow_output()
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"
    assert os.environ["MLFLOW_LOGGING_LEVEL"] == "DEBUG"
