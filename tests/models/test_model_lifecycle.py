"""From a finished run to a used model, on real runs of every plugin and a real MLflow store:
the MLflow Model loads in a fresh process and predicts what the engine predicts, exports
reload (ONNX Runtime, torch.jit) and match, the registry gets versions, predict reads files.

One fresh process loads every plugin's model (a process of its own per model would only
import MLflow and torch again); ``netyard register`` runs in this process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here

from engine.models import load_run_model
from engine.models._export import FORMATS, export_model

PLUGINS = ["cnn", "rnn", "sort", "text", "gan"]
GAN_SAMPLING = {"count": 3, "seed": 5}  # a GAN's model also takes a count and a seed

# Loads each model named in argv[2] ({key: [model URI, params]}) and predicts its example.
FRESH_PROCESS = """
import json, sys
import mlflow, numpy as np
mlflow.set_tracking_uri(sys.argv[1])
results = {}
for key, (uri, params) in json.loads(sys.argv[2]).items():
    model = mlflow.pyfunc.load_model(uri)
    example = model.input_example
    frame = model.predict(example, params=params or None)
    results[key] = {"input": np.asarray(example).tolist(), "columns": list(frame.columns),
                    "rows": frame.astype(object).values.tolist()}
print(json.dumps(results))
"""


def predicted_in_a_fresh_process(tracking: str, models: dict[str, tuple[str, dict]]) -> dict:
    """What each model (key: model URI and predict params) predicts for its own input
    example when loaded by MLflow alone in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, tracking, json.dumps(models)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def fresh_predictions(trained_runs, tracking) -> dict:
    models = {key: (f"runs:/{trained_runs[key]}/model", {}) for key in PLUGINS}
    models["gan-sampled"] = (f"runs:/{trained_runs['gan']}/model", GAN_SAMPLING)
    return predicted_in_a_fresh_process(tracking, models)


def engine_prediction(client, run_id, inputs):
    trained, _run = load_run_model(client, run_id)
    return trained.predict(np.asarray(inputs))


@pytest.mark.parametrize("key", PLUGINS)
def test_the_mlflow_model_predicts_in_a_fresh_process_what_the_engine_does(
    key, trained_runs, tracking, fresh_predictions
):
    run_id = trained_runs[key]
    for params in ({}, GAN_SAMPLING) if key == "gan" else ({},):
        result = fresh_predictions[f"{key}-sampled" if params else key]
        client = MlflowClient(tracking)
        trained, _run = load_run_model(client, run_id)
        inputs = trained.noise(3, 5) if params else np.asarray(result["input"])
        expected = trained.predict(inputs)
        assert result["columns"] == list(expected)
        for index, column in enumerate(result["columns"]):
            got = [row[index] for row in result["rows"]]
            want = expected[column]
            if want.dtype == object:
                assert got == list(want), column
            else:
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=column)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", PLUGINS)
def test_an_export_reloads_and_matches_the_model(key, fmt, trained_runs, tracking, tmp_path):
    trained, _run = load_run_model(MlflowClient(tracking), trained_runs[key])
    examples = trained.noise(4) if trained.plugin.generative else None
    if examples is None:  # the run's own input example, as the MLflow Model holds it
        import mlflow

        mlflow.set_tracking_uri(tracking)
        examples = mlflow.pyfunc.load_model(f"runs:/{trained_runs[key]}/model").input_example
    out = tmp_path / f"model.{fmt}"
    exported = export_model(trained, np.asarray(examples), fmt, out)
    assert out.is_file() and exported.max_abs_diff <= 1e-4
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no partial file left
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        batch = trained.plugin.network_input(np.concatenate([examples] * 3)).numpy()
        (result,) = session.run(None, {session.get_inputs()[0].name: batch})
        assert result.shape[0] == len(batch)  # the batch axis is dynamic


def test_netyard_register_creates_a_version_with_the_runs_metrics_and_tags(
    trained_runs, tracking, model_workspace, capsys
):
    command = ["register", trained_runs["cnn"], "--name", "digits-cnn",
               "--tracking-uri", tracking, "--workspace", str(model_workspace)]  # fmt: skip
    for expected_version in ("1", "2"):
        code = netyard_here(*command)
        done = capsys.readouterr()
        assert code == 0, done.err[-2000:]
        assert f"version {expected_version}" in done.out
    versions = MlflowClient(tracking).search_model_versions("name = 'digits-cnn'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    version = versions[0]
    assert version.run_id == trained_runs["cnn"]
    assert version.tags == {"netyard.plugin": "cnn", "netyard.dataset": "digits"}
    assert "test_accuracy" in version.description


def test_a_run_logged_without_a_model_gets_one_when_registered(tracking, model_workspace, capsys):
    from engine.models._registry import has_mlflow_model
    from engine.runner import RunConfig, run

    outcome = run(RunConfig(plugin="cnn", dataset="digits", device="cpu", threads=1,
                            hparams={"channels": 4, "depth": 2, "steps": 5}, log_model=False,
                            workspace=str(model_workspace)))  # fmt: skip
    client = MlflowClient(tracking)
    assert not has_mlflow_model(client, outcome.run_id)
    code = netyard_here("register", outcome.run_id, "--name", "late",
                        "--workspace", str(model_workspace))  # fmt: skip
    assert code == 0, capsys.readouterr().err[-2000:]
    assert has_mlflow_model(client, outcome.run_id)
    predicted = predicted_in_a_fresh_process(tracking, {"late": ("models:/late/1", {})})
    assert predicted["late"]["columns"][0] == "label"
