"""The Transformer plugin: its three tasks, attention and generation, real runs into MLflow."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from engine.data import Dataset, load_dataset
from engine.errors import UsageError
from engine.runner import RunConfig, execute_run, prepare_run
from engine.testing import PluginConformance, from_registered, shrink
from engine.workspace import Workspace
from plugins.transformer import TransformerPlugin

TINY = {"d_model": 8, "heads": 2, "d_ff": 16, "layers": 2, "batch_size": 16, "amp": False}
CORPUS = "".join(f"line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(40))


def tiny_text(seed: int) -> Dataset:
    """A ``text:`` dataset read from a small file by the real loader."""
    with tempfile.TemporaryDirectory(prefix="netyard-tiny-") as folder:
        path = Path(folder) / "corpus.txt"
        path.write_text(CORPUS, encoding="utf-8")
        return shrink(load_dataset(f"text:{path}?block=12", Path(folder), seed))


class TestTransformerConformance(PluginConformance):
    plugin_class = TransformerPlugin
    hparams = {"d_model": 8, "heads": 2, "d_ff": 16, "layers": 1}
    tiny_datasets = {"tokens": from_registered("sort"), "text": tiny_text}


@pytest.fixture(scope="module")
def mnist1d_cache(tmp_path_factory) -> Path:
    """A small real MNIST-1D cache (400 samples), made once for the module in a second."""
    from mnist1d.data import get_dataset_args, make_dataset

    from engine.data._mnist1d import CACHE_NAME

    args = get_dataset_args()
    args.num_samples = 400
    data = make_dataset(args)
    path = tmp_path_factory.mktemp("mnist1d") / CACHE_NAME
    np.savez(path, **{key: data[key] for key in ("x", "y", "x_test", "y_test")})
    return path


@pytest.fixture
def workspace(tmp_path, mnist1d_cache) -> Workspace:
    workspace = Workspace.resolve(tmp_path / "ws").ensure()
    shutil.copy(mnist1d_cache, workspace.datasets_dir / mnist1d_cache.name)
    return workspace


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def plugin_for(dataset: Dataset, **hparams) -> TransformerPlugin:
    monitor = {"sort": "val_exact_match", "language_modeling": "val_loss"}
    overrides = {**TINY, "monitor": monitor.get(dataset.spec.task, "val_accuracy"), **hparams}
    plugin = TransformerPlugin(TransformerPlugin.full_schema().resolve(overrides), dataset.spec)
    plugin.check()
    return plugin


# -- building ------------------------------------------------------------------------------------
@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_builds_for_each_task(workspace, corpus, positions):
    cache = workspace.datasets_dir
    cases = [
        (load_dataset("mnist1d", cache), (5, 10)),
        (load_dataset("sort", cache), (5, 6, 3)),
        (load_dataset(f"text:{corpus}?block=12", cache), None),
    ]
    for dataset, shape in cases:
        model = plugin_for(dataset, positions=positions).build_model().eval()
        logits = model(dataset.train.x[:5])
        expected = shape or (5, 12, dataset.spec.vocab_size)
        assert logits.shape == expected, dataset.id


def test_sinusoidal_positions_are_fixed_and_learned_ones_train(tmp_path):
    dataset = load_dataset("sort", tmp_path)
    learned = plugin_for(dataset).build_model()
    fixed = plugin_for(dataset, positions="sinusoidal").build_model()
    assert "positions" in dict(learned.named_parameters())
    assert "positions" not in dict(fixed.named_parameters())
    assert "positions" in fixed.state_dict()


def test_language_model_does_not_see_the_future(corpus, tmp_path):
    dataset = load_dataset(f"text:{corpus}?block=12", tmp_path)
    model = plugin_for(dataset).build_model().eval()
    x = dataset.train.x[:2].clone()
    changed = x.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % dataset.spec.vocab_size
    with torch.no_grad():
        assert torch.allclose(model(x)[:, :8], model(changed)[:, :8], atol=1e-6)
        assert not torch.allclose(model(x)[:, 8:], model(changed)[:, 8:])


def test_attention_maps_are_distributions_and_match_the_fast_path(tmp_path):
    from plugins.transformer._artifacts import attention_maps

    dataset = load_dataset("sort", tmp_path)
    model = plugin_for(dataset, layers=3, heads=2).build_model().eval()
    x = dataset.test.x[0]
    with torch.no_grad():
        maps = attention_maps(model, x)
        recorded: list[torch.Tensor] = []
        assert torch.allclose(model(x[None], record=recorded), model(x[None]), atol=1e-5)
    assert maps.shape == (3, 2, 6, 6)
    assert np.allclose(maps.sum(axis=-1), 1.0, atol=1e-5)


def test_sort_metrics_count_whole_sequences(tmp_path):
    dataset = load_dataset("sort", tmp_path)
    plugin = plugin_for(dataset)
    model = plugin.build_model().eval()
    batch = dataset.test.take(slice(0, 64))
    with torch.no_grad():
        predicted = model(batch.x).argmax(dim=-1)
        sums = plugin.validation_step(model, batch)
    correct = predicted == batch.y
    assert sums["exact_match"] == int(correct.all(dim=1).sum())
    assert sums["token_accuracy"] == pytest.approx(float(correct.float().mean(dim=1).sum()))


def test_generation_is_reproducible_and_in_the_alphabet(corpus, tmp_path):
    dataset = load_dataset(f"text:{corpus}?block=12", tmp_path)
    plugin = plugin_for(dataset, temperature=1.0)
    model = plugin.build_model().eval()
    prompt = dataset.test.x[0]
    with torch.no_grad():
        first, second = (plugin._generate(model, prompt, 30) for _ in range(2))
    assert first == second and len(first) == 12 + 30
    assert set(first) <= set(dataset.spec.extra["alphabet"])


# -- hyperparameter checks -----------------------------------------------------------------------
def assert_nothing_tracked(workspace: Workspace) -> None:
    # No tracking store was even created, and no artifact or checkpoint written.
    assert not (workspace.root / "mlflow.db").exists()
    assert not any(workspace.artifacts_dir.iterdir())
    assert not any(workspace.checkpoints_dir.iterdir())


@pytest.mark.parametrize(
    ("dataset", "hparams", "problem"),
    [
        ("sort", {"d_model": 10, "heads": 4}, "d_model=10 cannot be divided among heads=4"),
        ("sort", {"monitor": "val_accuracy"}, "'val_accuracy' is not reported on sort data"),
        ("mnist1d", {"monitor": "val_perplexity"}, "not reported on classification data"),
    ],
)
def test_bad_hyperparameters_are_refused_before_any_run(workspace, dataset, hparams, problem):
    config = RunConfig("transformer", dataset, {**TINY, **hparams}, workspace=str(workspace.root))
    with pytest.raises(UsageError, match=problem):
        prepare_run(config)
    assert_nothing_tracked(workspace)


@pytest.mark.parametrize(
    ("content", "problem"),
    [("", "is empty"), (b"\xff\xfe\x00bad", "is not UTF-8 text"), ("tiny", "holds 4 characters")],
)
def test_bad_text_file_is_a_usage_error_and_nothing_is_tracked(
    workspace, tmp_path, content, problem
):
    path = tmp_path / "bad.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    config = RunConfig("transformer", f"text:{path}", TINY, workspace=str(workspace.root))
    with pytest.raises(UsageError, match=problem):
        prepare_run(config)
    assert_nothing_tracked(workspace)


@pytest.mark.parametrize(
    ("dataset", "monitor"),
    [("mnist1d", "val_accuracy"), ("sort", "val_exact_match"), ("text", "val_loss")],
)
def test_default_monitor_follows_the_task(workspace, corpus, dataset, monitor):
    dataset_id = f"text:{corpus}?block=12" if dataset == "text" else dataset
    prepared = prepare_run(
        RunConfig("transformer", dataset_id, TINY, workspace=str(workspace.root))
    )
    assert prepared.hparams["monitor"] == monitor


# -- real runs -----------------------------------------------------------------------------------
def run_into_store(workspace: Workspace, dataset: str):
    config = RunConfig(
        "transformer",
        dataset,
        {**TINY, "steps": 4, "eval_every": 2, "warmup_steps": 2},
        workspace=str(workspace.root),
        threads=1,
    )
    outcome = execute_run(prepare_run(config))
    client = MlflowClient(workspace.tracking_uri)
    run = client.get_run(outcome.run_id)
    artifacts = {item.path for item in client.list_artifacts(outcome.run_id)}
    snapshots = [item.path for item in client.list_artifacts(outcome.run_id, "snapshots")]
    return outcome, run, artifacts, snapshots, client


def test_sort_run_is_tracked_with_its_metrics_and_attention_map(workspace):
    outcome, run, artifacts, snapshots, client = run_into_store(workspace, "sort")
    assert outcome.status == "finished" and run.info.status == "FINISHED"
    for metric in ("val_exact_match", "val_token_accuracy", "test_exact_match", "test_loss"):
        assert metric in run.data.metrics
    assert 0.0 <= run.data.metrics["test_exact_match"] <= 1.0
    assert {"attention.png", "model.safetensors", "config.json"} <= artifacts
    assert len(snapshots) == 2
    local = client.download_artifacts(outcome.run_id, snapshots[-1], str(workspace.root))
    snapshot = json.loads(Path(local).read_text())
    assert snapshot["tokens"] and np.asarray(snapshot["attention"]).shape == (2, 6, 6)


def test_text_run_logs_perplexity_and_generated_text(workspace, corpus):
    outcome, run, artifacts, snapshots, client = run_into_store(
        workspace, f"text:{corpus}?block=12"
    )
    assert outcome.status == "finished"
    metrics = run.data.metrics
    assert metrics["test_perplexity"] == pytest.approx(np.exp(metrics["test_loss"]), rel=1e-4)
    assert metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss"]), rel=1e-4)
    assert {"attention.png", "generated.txt"} <= artifacts
    local = client.download_artifacts(outcome.run_id, "generated.txt", str(workspace.root))
    generated = Path(local).read_text(encoding="utf-8")
    assert len(generated) > 500 and set(generated) <= set(CORPUS)
    snapshot = client.download_artifacts(outcome.run_id, snapshots[-1], str(workspace.root))
    assert json.loads(Path(snapshot).read_text())["generated"]


def test_mnist1d_run_logs_accuracy_confusion_matrix_and_attention(workspace):
    outcome, run, artifacts, snapshots, client = run_into_store(workspace, "mnist1d")
    assert outcome.status == "finished"
    assert {"val_accuracy", "test_accuracy", "test_loss"} <= set(run.data.metrics)
    assert {"attention.png", "confusion_matrix.png"} <= artifacts
    local = client.download_artifacts(outcome.run_id, snapshots[-1], str(workspace.root))
    snapshot = json.loads(Path(local).read_text())
    # The signal itself (drawn as a curve) and every position's attention to every other.
    assert len(snapshot["input"]) == 40
    assert np.asarray(snapshot["attention"]).shape == (2, 40, 40)
