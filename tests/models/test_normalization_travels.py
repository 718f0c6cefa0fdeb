"""The CNN's input normalisation travels with the model: a raw PNG gets the same prediction
from ``netyard predict``, the MLflow pyfunc model (what ``mlflow models serve`` runs) and the
ONNX export, and each applies the training split's per-channel statistics.

The session's real CNN run on digits (tests/models/conftest.py), in a real MLflow store;
the per-channel figures of colour images are tested in tests/plugins/test_cnn_normalize.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from netyard_test_support import netyard_here


def write_png(path: Path, seed: int) -> None:
    """A grey 32x32 PNG (the model reads digits of 8x8: predict resizes it)."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (32, 32)).astype(np.uint8)
    Image.fromarray(pixels, "L").save(path)


def test_a_raw_png_gets_one_prediction_from_predict_pyfunc_and_onnx(
    trained_runs, model_workspace, tracking, tmp_path, capsys
):
    import mlflow
    import onnxruntime
    from mlflow.tracking import MlflowClient

    from engine.data import image_for
    from engine.models import load_run_model
    from engine.models._export import export_model
    from engine.workspace import Workspace
    from plugins.cnn._normalize import channel_statistics

    run_id = trained_runs["cnn"]
    png = tmp_path / "new.png"
    write_png(png, seed=99)

    out = tmp_path / "predicted.json"
    argv = ("predict", run_id, "--input", str(png), "--out", str(out))
    assert netyard_here(*argv, "--workspace", str(model_workspace)) == 0, capsys.readouterr().err
    (row,) = json.loads(out.read_text())
    columns = [f"p_{digit}" for digit in range(10)]
    by_cli = np.asarray([row[column] for column in columns])

    trained, _run = load_run_model(MlflowClient(tracking), run_id)
    pixels = image_for(png, trained.plugin.input_shape())[None]  # as predict reads the file
    mlflow.set_tracking_uri(tracking)
    frame = mlflow.pyfunc.load_model(f"runs:/{run_id}/model").predict(pixels)
    by_pyfunc = frame[columns].to_numpy()[0]

    onnx_file = tmp_path / "model.onnx"
    export_model(trained, pixels, "onnx", onnx_file)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {session.get_inputs()[0].name: pixels.astype(np.float32)})
    by_onnx = np.exp(logits[0] - logits[0].max()) / np.exp(logits[0] - logits[0].max()).sum()

    np.testing.assert_allclose(by_pyfunc, by_cli, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_onnx, by_cli, rtol=1e-4, atol=1e-5)
    assert row["label"] == frame["label"][0] == str(int(np.argmax(by_onnx)))

    # What all three applied is the training split's statistics, read from the weights.
    dataset = trained.run_dataset(Workspace(model_workspace).datasets_dir)
    mean, std = channel_statistics(dataset.train, 1)
    layer = trained.module.standardize
    np.testing.assert_allclose(layer.mean.numpy(), mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.std.numpy(), std.numpy(), rtol=1e-6)
    assert 0.1 < float(layer.mean[0]) < 0.9 and 0.1 < float(layer.std[0]) < 0.9  # not 0 and 1
