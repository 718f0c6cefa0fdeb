"""``netyard predict`` on files of each data kind, and every bad input: one line, exit 2,
nothing written. The CLI's ``main`` runs in this process (the imports are paid once); the
store, the runs and the files are real."""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import without_status

from engine.cli import main


def predict(workspace, *args):
    """``netyard predict ARGS``: its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["predict", *map(str, args), "--workspace", str(workspace)])
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def rows(path) -> list[dict]:
    return json.loads(path.read_text())


def test_images_in_a_folder_get_a_label_each(trained_runs, model_workspace, tmp_path):
    from PIL import Image
    from sklearn.datasets import load_digits

    images = tmp_path / "images"
    images.mkdir()
    digits = load_digits()
    for index in range(3):  # 32x32 files: resized to the model's 8x8
        pixels = (digits.images[index] * 16).clip(0, 255).astype(np.uint8)
        Image.fromarray(pixels).resize((32, 32)).save(images / f"digit{index}.png")
    out = tmp_path / "labels.json"
    done = predict(model_workspace, trained_runs["cnn"], "--input", str(images), "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = rows(out)
    assert [row["input"] for row in table] == ["digit0.png", "digit1.png", "digit2.png"]
    for row in table:
        probabilities = [row[f"p_{i}"] for i in range(10)]
        assert abs(sum(probabilities) - 1) < 1e-5
        assert row["label"] == str(int(np.argmax(probabilities)))


def test_a_series_is_forecast_after_its_last_window_in_its_own_units(
    trained_runs, model_workspace, tmp_path
):
    """The file's values are scaled with the training statistics before the network and
    its forecast scaled back: the CLI's number is the network's output in the series' units."""
    import torch

    from engine.models import load_run_model

    client = MlflowClient(f"sqlite:///{model_workspace / 'mlflow.db'}")
    trained, _run = load_run_model(client, trained_runs["rnn"])
    extra = trained.plugin.spec.extra
    values = np.sin(np.arange(100) / 3.0) * 2.0 + 0.5
    path = tmp_path / "series.csv"
    path.write_text("time,value\n" + "\n".join(f"{i},{v:.6f}" for i, v in enumerate(values)))
    done = predict(model_workspace, trained_runs["rnn"], "--input", str(path))
    assert done.returncode == 0, done.stderr
    header, line = done.stdout.strip().splitlines()
    assert header == "input,value_t+1"
    window = (values[-32:] - extra["channel_means"][0]) / extra["channel_stds"][0]
    with torch.no_grad():
        raw = trained.model(torch.tensor(window, dtype=torch.float32).reshape(1, 32, 1))
    expected = float(raw[0, 0]) * extra["target_std"] + extra["target_mean"]
    assert float(line.split(",")[1]) == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_token_rows_prompts_and_a_count_of_samples(trained_runs, model_workspace, tmp_path):
    tokens = tmp_path / "tokens.csv"
    tokens.write_text("2,0,1,1,0,2\n0,0,2,1,1,1\n")
    done = predict(model_workspace, trained_runs["sort"], "--input", str(tokens))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "input," + ",".join(f"token_{i}" for i in range(1, 7)) and len(lines) == 3

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("the quick brown\nlazy dog\n")
    out = tmp_path / "next.json"
    done = predict(model_workspace, trained_runs["text"], "--input", str(prompts), "--out", out)
    assert done.returncode == 0, done.stderr
    assert [row["input"] for row in rows(out)] == ["the quick brown", "lazy dog"]
    assert all(len(row["next"]) == 1 for row in rows(out))
    args = (trained_runs["text"], "--input", prompts, "--out", out, "--generate", 30, "--seed", 4)
    assert predict(model_workspace, *args).returncode == 0
    first = rows(out)
    assert predict(model_workspace, *args).returncode == 0
    assert [len(row["continuation"]) for row in first] == [30, 30]
    assert rows(out) == first  # the same seed writes the same text
    done = predict(model_workspace, trained_runs["sort"], "--input", tokens, "--generate", 5)
    assert done.returncode == 2 and "does not continue its inputs" in done.stderr

    out = tmp_path / "samples.csv"
    done = predict(model_workspace, trained_runs["gan"], "--count", "7", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "input,x0,x1"
    assert len(out.read_text().splitlines()) == 8


def test_bad_inputs_get_one_line_exit_2_and_write_nothing(trained_runs, model_workspace, tmp_path):
    client = MlflowClient(f"sqlite:///{model_workspace / 'mlflow.db'}")
    experiment = client.get_run(trained_runs["cnn"]).info.experiment_id
    running = client.create_run(experiment).info.run_id
    stranger = client.create_run(experiment)
    client.log_param(stranger.info.run_id, "plugin", "nope")
    client.set_terminated(stranger.info.run_id, "FINISHED")
    wrong_width = tmp_path / "wrong.csv"
    wrong_width.write_text("1,2,3\n")
    out = tmp_path / "out.json"
    cases = [
        ((running, "--input", str(wrong_width)), f"run {running} is RUNNING, not FINISHED"),
        ((stranger.info.run_id, "--input", str(wrong_width)), "unknown plugin 'nope'"),
        ((trained_runs["sort"], "--input", str(wrong_width), "--out", str(out)),
         "has 3 values a row; this model takes 6 (inputs of shape (6,)"),
        ((trained_runs["sort"], "--input", str(wrong_width), "--out", "/no/such/dir/x.csv"),
         "folder '/no/such/dir' does not exist"),
        ((trained_runs["sort"], "--input", str(tmp_path / "missing.csv")), "does not exist"),
        (("models:/nothing/3", "--input", str(wrong_width)), "no version '3' of a registered"),
    ]  # fmt: skip
    for args, message in cases:
        done = predict(model_workspace, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (message, done.stderr)
        assert len(without_status(done.stderr).splitlines()) == 1, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.csv"]


def test_netyard_export_writes_a_checked_file_or_one_line_exit_2(
    trained_runs, model_workspace, tmp_path
):
    def export(*args):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(err):
            code = main(["export", *map(str, args), "--workspace", str(model_workspace)])
        return code, out.getvalue(), err.getvalue()

    code, out, _err = export(
        trained_runs["cnn"], "--format", "torchscript", "--out", tmp_path / "m.pt"
    )
    assert code == 0 and "max abs diff" in out and (tmp_path / "m.pt").is_file()
    code, _out, err = export(trained_runs["cnn"], "--format", "onnx", "--out", "/no/dir/m.onnx")
    assert code == 2 and "folder '/no/dir' does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
