"""``netyard predict`` refuses an input of the wrong kind from the run's config, before the
model loads, saying what the model takes (issue 25, part 5). The runs here hold a
``config.json`` and no weights: a check made after loading would fail on the missing weights
instead."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here, tracking_uri

from engine.data import DataSpec

IMAGE_TAKES = "takes an image file (.png, .jpg, .jpeg) or a folder of them"


def run_without_weights(workspace, plugin: str, kind: str) -> str:
    """A FINISHED run of ``plugin`` on ``kind`` data with its config.json and no weights."""
    client = MlflowClient(tracking_uri(workspace))
    name = f"{plugin}-{kind}"
    experiment = client.create_experiment(name, (workspace / "artifacts" / name).as_uri())
    run_id = client.create_run(experiment).info.run_id
    client.log_param(run_id, "plugin", plugin)
    spec = DataSpec(kind=kind, task="classification", input_shape=(1, 8, 8), num_classes=10)
    config = {"plugin": plugin, "hparams": {}, "dataset": "digits", "seed": 0,
              "data_spec": spec.to_dict()}  # fmt: skip
    client.log_dict(run_id, config, "config.json")
    client.set_terminated(run_id, "FINISHED")
    return run_id


@pytest.fixture
def inputs(tmp_path):
    from PIL import Image

    csv, image, folder = tmp_path / "x.csv", tmp_path / "seven.png", tmp_path / "images"
    csv.write_text("1,2,3\n")
    Image.new("L", (8, 8)).save(image)
    folder.mkdir()
    return {"csv": str(csv), "image": str(image), "folder": str(folder)}


def test_an_input_of_the_wrong_kind_is_refused_before_the_model_loads(
    tracked_workspace, inputs, capsys
):
    image_model = run_without_weights(tracked_workspace, "cnn", "image")
    sequence_model = run_without_weights(tracked_workspace, "cnn", "sequence")
    text_model = run_without_weights(tracked_workspace, "transformer", "text")
    cases = [
        ((image_model, "--input", inputs["csv"]),
         f"input {inputs['csv']!r} is not an image: this model (cnn, trained on image data) "
         f"{IMAGE_TAKES}"),
        ((image_model, "--count", "3"), "--count is for generators; this model (cnn, "),
        ((image_model,), f"give --input FILE (what to predict on): this model (cnn, trained on "
                         f"image data) {IMAGE_TAKES}"),
        ((sequence_model, "--input", inputs["folder"]),
         "is a folder: this model (cnn, trained on sequence data) takes a CSV file with one "
         "input per row"),
        ((text_model, "--input", inputs["image"]),
         "is an image: this model (transformer, trained on text data) takes a text file of "
         "prompts, one a line"),
        # The right kind passes the check: loading the model comes next, and finds no weights.
        ((image_model, "--input", inputs["image"]), "has no model.safetensors artifact"),
        ((image_model, "--input", inputs["folder"]), "has no model.safetensors artifact"),
    ]  # fmt: skip
    for args, message in cases:
        code = netyard_here("predict", *args, "--workspace", str(tracked_workspace))
        captured = capsys.readouterr()
        assert code == 2, (args, captured)
        errors = [line for line in captured.err.splitlines() if "error" in line]
        assert len(errors) == 1 and message in errors[0], (message, captured.err)
