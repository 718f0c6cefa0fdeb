"""A short real run into a real MLflow SQLite store, read back with ``MlflowClient``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from netyard_test_support import TINY_CNN, all_runs, tracking_uri

from engine.events import Checkpointed, EvalMetrics, RunFinished, RunStarted, StepMetrics
from engine.runner import RunConfig, experiment_name, run
from plugins.cnn import CNNPlugin

STEPS = 12
EVAL_EVERY = 4
SEED = 3


@pytest.fixture(scope="module")
def finished(tmp_path_factory, _empty_mlflow_store):
    """One finished tracked run of the CNN on digits, shared by the tests below."""
    root = tmp_path_factory.mktemp("tracked") / "workspace"
    root.mkdir()
    shutil.copyfile(_empty_mlflow_store, root / "mlflow.db")
    events = []
    hparams = {**TINY_CNN, "steps": STEPS, "eval_every": EVAL_EVERY}
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams=hparams,
        seed=SEED,
        device="cpu",
        threads=1,
        workspace=str(root),
    )
    outcome = run(config, events.append)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(root))
    return {
        "root": root,
        "outcome": outcome,
        "events": events,
        "client": client,
        "run": client.get_run(outcome.run_id),
    }


def test_the_run_finished_in_the_default_experiment(finished):
    outcome, mlflow_run, client = finished["outcome"], finished["run"], finished["client"]
    assert outcome.status == "finished" and outcome.step == STEPS
    assert outcome.tracking_uri == tracking_uri(finished["root"])
    assert mlflow_run.info.status == "FINISHED"
    assert mlflow_run.info.run_name == f"cnn-digits-seed{SEED}"
    experiment = client.get_experiment(mlflow_run.info.experiment_id)
    assert experiment.name == "cnn-digits" == experiment_name("cnn", "digits")
    assert experiment.artifact_location.startswith((finished["root"] / "artifacts").as_uri())
    assert [r.info.run_id for r in all_runs(tracking_uri(finished["root"]))] == [outcome.run_id]


def test_params_hold_every_resolved_hyperparameter_and_the_context(finished):
    params = finished["run"].data.params
    resolved = CNNPlugin.full_schema().resolve(
        {**TINY_CNN, "steps": STEPS, "eval_every": EVAL_EVERY}
    )
    for name, value in resolved.items():
        assert params[name] == str(value), name
    assert params["plugin"] == "cnn"
    assert params["dataset"] == "digits"
    assert params["seed"] == str(SEED)
    assert params["device"] == "cpu"
    import torch

    import engine

    assert params["torch_version"] == torch.__version__
    assert params["netyard_version"] == engine.__version__
    assert params["python_version"].count(".") == 2


def test_tags(finished):
    tags = finished["run"].data.tags
    assert tags["netyard.plugin"] == "cnn"
    assert tags["netyard.dataset"] == "digits"
    assert tags["netyard.stopped_early"] == "false"
    assert Path(tags["netyard.checkpoint"]).is_file()
    assert tags["netyard.checkpoint"] == finished["outcome"].checkpoint
    assert "netyard.error" not in tags


def test_metric_history_has_step_indices(finished):
    client, run_id = finished["client"], finished["outcome"].run_id

    def history(key):
        return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]

    train = history("train_loss")
    assert [step for step, _ in train] == list(range(1, STEPS + 1))
    evaluations = list(range(EVAL_EVERY, STEPS + 1, EVAL_EVERY))
    for key in ("val_loss", "val_accuracy", "lr"):
        assert [step for step, _ in history(key)] == evaluations, key
    assert all(0.0 <= value <= 1.0 for _, value in history("val_accuracy"))
    for key in ("test_loss", "test_accuracy"):
        assert [step for step, _ in history(key)] == [STEPS]

    # What the store holds is what the run reported, value for value.
    reported = [
        (step, value)
        for event in finished["events"]
        if isinstance(event, StepMetrics)
        for step, value in zip(event.steps, event.metrics["train_loss"], strict=True)
    ]
    assert [step for step, _ in train] == [step for step, _ in reported]
    assert [value for _, value in train] == pytest.approx([value for _, value in reported])
    assert history("test_accuracy")[0][1] == pytest.approx(
        finished["outcome"].metrics["test_accuracy"]
    )


def test_events_tell_the_same_story(finished):
    events, outcome = finished["events"], finished["outcome"]
    started, last = events[0], events[-1]
    assert isinstance(started, RunStarted) and isinstance(last, RunFinished)
    assert started.run_id == outcome.run_id and started.total_steps == STEPS
    assert started.start_step == 0 and started.device == "cpu"
    assert started.params["channels"] == TINY_CNN["channels"]
    assert last.step == STEPS and last.metrics == outcome.metrics
    evaluations = [e.step for e in events if isinstance(e, EvalMetrics)]
    assert evaluations == list(range(EVAL_EVERY, STEPS + 1, EVAL_EVERY))
    checkpoints = [e for e in events if isinstance(e, Checkpointed)]
    assert [e.step for e in checkpoints] == [STEPS]
    for event in events:  # every event survives the worker's JSON lines
        assert type(event).from_json(event.to_json()) == event


def test_artifacts(finished, tmp_path):
    client, run_id = finished["client"], finished["outcome"].run_id
    names = {artifact.path for artifact in client.list_artifacts(run_id)}
    assert {"model.safetensors", "config.json", "confusion_matrix.png"} <= names
    assert not any(name.startswith("snapshots") for name in names)  # the CNN takes none

    local = Path(client.download_artifacts(run_id, "", str(tmp_path)))
    config = json.loads((local / "config.json").read_text())
    assert config["plugin"] == "cnn" and config["dataset"] == "digits"
    assert config["seed"] == SEED and config["device"] == "cpu"
    assert config["hparams"]["channels"] == TINY_CNN["channels"]
    assert config["data_spec"]["input_shape"] == [1, 8, 8]
    assert (local / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    matrix = [
        [int(cell) for cell in line.split(",")]
        for line in (local / "confusion_matrix.csv").read_text().splitlines()
    ]
    test_size = round(1797 * 0.2)  # digits: 1797 images, 20 % held out for testing
    assert len(matrix) == 10 and sum(map(sum, matrix)) == test_size
    accuracy = sum(matrix[i][i] for i in range(10)) / test_size
    assert accuracy == pytest.approx(finished["outcome"].metrics["test_accuracy"])

    # The saved weights are the trained model's: they load into a fresh CNN exactly.
    from safetensors.torch import load_model

    from engine.data import DataSpec
    from engine.training import load_checkpoint

    spec = DataSpec(**{**config["data_spec"], "input_shape": (1, 8, 8)})
    model = CNNPlugin(config["hparams"], spec).build_model()
    load_model(model, str(local / "model.safetensors"))
    trained = load_checkpoint(finished["outcome"].checkpoint)["model"]
    for key, tensor in model.state_dict().items():
        assert (tensor == trained[key]).all(), key


def test_experiment_names():
    assert experiment_name("cnn", "mnist1d") == "cnn-mnist1d"
    assert experiment_name("rnn", "csv:/data/prices/") == "rnn-prices"
    assert experiment_name("gan", "folder:C:\\images\\cats") == "gan-cats"


def test_a_run_finished_in_the_background_ends_the_same(tracked_workspace):
    """A sweep trial's way: ``execute_run`` returns once trained, a forked helper draws the
    artifacts and ends the run, and ``wait_for_helpers`` waits for it."""
    from mlflow.tracking import MlflowClient

    from engine.tracking import wait_for_helpers

    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": STEPS, "eval_every": EVAL_EVERY},
        seed=SEED,
        device="cpu",
        threads=1,
        workspace=str(tracked_workspace),
        finish_in_background=True,
    )
    outcome = run(config)
    wait_for_helpers()

    client = MlflowClient(tracking_uri=tracking_uri(tracked_workspace))
    finished_run = client.get_run(outcome.run_id)
    assert outcome.status == "finished" and finished_run.info.status == "FINISHED"
    assert finished_run.data.tags["netyard.stopped_early"] == "false"
    assert finished_run.data.metrics["test_accuracy"] == outcome.metrics["test_accuracy"]
    history = client.get_metric_history(outcome.run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(1, STEPS + 1))
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)}
    assert {"model.safetensors", "config.json", "confusion_matrix.png"} <= artifacts


def test_a_classifier_logs_per_class_scores_calibration_and_its_surest_mistakes(finished, tmp_path):
    """The test set's diagnostics, read back: per-class metrics beside their table artifact,
    the calibration error, the reliability diagram and the gallery of mistakes."""
    client, run_id = finished["client"], finished["outcome"].run_id
    metrics = client.get_run(run_id).data.metrics
    local = Path(client.download_artifacts(run_id, "", str(tmp_path)))
    table = json.loads((local / "per_class.json").read_text())
    assert [row["class"] for row in table] == [str(digit) for digit in range(10)]
    assert sum(row["support"] for row in table) == round(1797 * 0.2)
    for row in table:
        for score in ("precision", "recall", "f1"):
            assert metrics[f"test_{score}/{row['class']}"] == pytest.approx(row[score])
    header = (local / "per_class.csv").read_text().splitlines()[0]
    assert header == "class,precision,recall,f1,support"
    assert metrics["test_macro_f1"] == pytest.approx(sum(r["f1"] for r in table) / 10)
    assert 0.0 <= metrics["test_ece"] <= 1.0
    history = client.get_metric_history(run_id, "test_ece")
    assert [point.step for point in history] == [STEPS]
    for name in ("reliability.png", "mistakes.png"):
        assert (local / name).read_bytes().startswith(b"\x89PNG")


def test_the_html_report_of_a_classifier_has_its_per_class_table(finished, tmp_path):
    from engine.reports import html_report

    client, run_id = finished["client"], finished["outcome"].run_id
    page = html_report(client, [run_id], tmp_path / "report.html").read_text()
    assert '<h4>Per class (test)</h4><table class="per-class">' in page
    assert "<tr><th>class</th><th>precision</th><th>recall</th><th>f1</th></tr>" in page
    runs_table = page[page.index('<table class="runs">') : page.index("</table>")]
    assert "test_ece" in runs_table and "test_f1/" not in runs_table  # a table, not columns
    for name in ("reliability.png", "mistakes.png"):
        assert f'alt="artifact: {name}"' in page
