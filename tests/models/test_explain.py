"""``netyard explain``: arrays of the inputs' shape for each kind of model, a method that does
not apply in one line, and explanations that are faithful (the deletion property). The CLI's
``main`` runs in this process on the session's tiny trained runs (tests/models/conftest.py)."""

from __future__ import annotations

import contextlib
import io
from types import SimpleNamespace

import numpy as np
import pytest
from netyard_test_support import without_status

from engine.cli import main


def explain(workspace, *args):
    """``netyard explain ARGS``: its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["explain", *map(str, args), "--workspace", str(workspace)])
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.mark.parametrize(
    ("run", "method"),
    [
        ("cnn", "saliency"),
        ("cnn", "integrated_gradients"),
        ("cnn", "occlusion"),
        ("cnn", "gradcam"),
        ("rnn", "integrated_gradients"),  # a forecast: which steps of its window
        ("rnn", "occlusion"),
        ("sort", "integrated_gradients"),  # tokens: over their embeddings
        ("text", "integrated_gradients"),
    ],
)
def test_test_samples_are_explained_in_arrays_of_their_shape(
    trained_runs, model_workspace, tmp_path, run, method
):
    out = tmp_path / "explained.npz"
    done = explain(model_workspace, trained_runs[run], "--test", 3, "--method", method,
                   "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    arrays = np.load(out)
    assert sorted(arrays) == ["attributions", "inputs", "labels", "predictions"]
    inputs, attributions = arrays["inputs"], arrays["attributions"]
    assert len(inputs) == 3 and attributions.shape == inputs.shape
    assert np.isfinite(attributions).all() and np.abs(attributions).sum() > 0
    assert len(arrays["predictions"]) == len(arrays["labels"]) == 3
    assert f"by {method}" in done.stderr


def test_a_file_of_inputs_is_explained_without_labels(trained_runs, model_workspace, tmp_path):
    from PIL import Image

    pixels = np.zeros((8, 8), dtype=np.uint8)
    pixels[1:7, 3:5] = 255  # a one
    Image.fromarray(pixels).save(tmp_path / "one.png")
    out = tmp_path / "explained.npz"
    done = explain(model_workspace, trained_runs["cnn"], "--input", tmp_path / "one.png",
                   "--method", "gradcam", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    arrays = np.load(out)
    assert "labels" not in arrays
    assert arrays["attributions"].shape == arrays["inputs"].shape == (1, 1, 8, 8)
    assert arrays["predictions"].shape == (1,) and 0 <= arrays["predictions"][0] < 10


@pytest.mark.parametrize(
    ("run", "method", "said"),
    [
        ("rnn", "gradcam", "use saliency, integrated_gradients, occlusion"),
        ("sort", "saliency", "use integrated_gradients"),
        ("gan", "saliency", "it has no input to explain"),
    ],
)
def test_a_method_that_does_not_apply_names_those_that_do(
    trained_runs, model_workspace, tmp_path, run, method, said
):
    out = tmp_path / "explained.npz"
    done = explain(model_workspace, trained_runs[run], "--test", 2, "--method", method,
                   "--out", out)  # fmt: skip
    assert done.returncode == 2
    error = without_status(done.stderr)
    assert error.count("\n") == 1 and said in error, done.stderr
    assert method in error or run == "gan"
    assert not out.exists()


def test_out_must_be_an_npz_file(trained_runs, model_workspace, tmp_path):
    done = explain(model_workspace, trained_runs["cnn"], "--test", 1, "--out", tmp_path / "a.csv")
    assert done.returncode == 2 and "ending in .npz" in done.stderr


@pytest.mark.parametrize("method", ["integrated_gradients", "occlusion"])
def test_masking_the_most_attributed_pixels_lowers_accuracy_more_than_masking_at_random(
    trained_runs, model_workspace, method
):
    """The deletion test of benchmarks/bench_explain_faithfulness.py, on the tiny CNN's first
    100 digits: 20 % of the pixels masked, most attributed first against at random."""
    from engine.explain import deletion_curves, explain, first_test_samples
    from engine.models import load_run_model
    from engine.tracking import open_client
    from engine.workspace import Workspace

    workspace = Workspace.resolve(str(model_workspace))
    trained, _ = load_run_model(open_client(workspace.tracking_uri), trained_runs["cnn"])
    inputs, labels = first_test_samples(trained, workspace.datasets_dir, 100)
    explanation = explain(trained, inputs, method, labels)
    most, at_random = deletion_curves(trained, inputs, labels, explanation.attributions,
                                      fractions=(0.0, 0.2))  # fmt: skip
    assert most[0] == at_random[0] > 0.3  # nothing masked: the model's own accuracy
    assert most[1] < at_random[1] - 0.1


def report(workspace, *args):
    """``netyard report ARGS``: its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", *map(str, args), "--workspace", str(workspace)])
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_the_html_report_explains_each_run_or_says_why_not(trained_runs, model_workspace, tmp_path):
    out = tmp_path / "explained.html"
    runs = [trained_runs[key] for key in ("cnn", "rnn", "sort", "gan")]
    done = report(model_workspace, *runs, "--out", out, "--explain", "integrated_gradients",
                  "--explain-samples", 2)  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    sections = {key: page.split(f'id="run-{trained_runs[key]}"')[1].split("</section>")[0]
                for key in ("cnn", "rnn", "sort", "gan")}  # fmt: skip
    title = "Explanations: Integrated gradients on the first 2 test samples"
    for key in ("cnn", "rnn"):  # pictures: the digits under heat maps, the windows coloured
        assert title in sections[key]
        assert (
            'alt="integrated_gradients attributions" src="data:image/png;base64,' in (sections[key])
        )
    assert title in sections["sort"] and sections["sort"].count("background-color: rgb(") >= 2
    assert (
        "Not explained by Integrated gradients: plugin &#x27;gan&#x27; generates from "
        in (sections["gan"])
    )


def test_explanations_go_in_the_html_report_only(trained_runs, model_workspace, tmp_path):
    out = tmp_path / "runs.csv"
    done = report(model_workspace, trained_runs["cnn"], "--out", out, "--explain", "saliency")
    assert done.returncode == 2
    assert (
        without_status(done.stderr)
        .strip()
        .endswith(
            "explanations go in the HTML report only: give a .html file, or leave out --explain"
        )
    )
    assert not out.exists()


def test_every_lazily_loaded_name_of_engine_explain_is_public_and_loads():
    import engine.explain as explained

    eager = {"METHODS", "METHOD_NAMES", "applicable_methods", "check_method"}
    assert set(explained.__all__) == set(explained._MODULE_OF) | eager
    assert all(getattr(explained, name) is not None for name in explained.__all__)
