"""The RNN plugin: both tasks, its readouts and cells, real runs into a real MLflow store."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from engine.data import Batch, Split, load_dataset
from engine.errors import UsageError
from engine.runner import RunConfig, execute_run, prepare_run
from engine.testing import PluginConformance, from_registered, write_small_mnist1d
from engine.workspace import Workspace
from plugins.rnn import RNNPlugin
from plugins.rnn._forecasting import last_value_forecast

TINY = {"hidden_size": 4, "batch_size": 16, "amp": False}


class TestRNNConformance(PluginConformance):
    plugin_class = RNNPlugin
    hparams = {"hidden_size": 4}
    tiny_datasets = {"timeseries": from_registered("sines")}


@pytest.fixture(scope="module")
def mnist1d_cache(tmp_path_factory) -> Path:
    """A small real MNIST-1D made once for the module, copied into each test's workspace."""
    folder = tmp_path_factory.mktemp("mnist1d")
    write_small_mnist1d(folder)
    return folder


@pytest.fixture(scope="module")
def loaded(mnist1d_cache) -> dict:
    """The real datasets the model tests build for, loaded once."""
    return {name: load_dataset(name, mnist1d_cache) for name in ("mnist1d", "sines")}


@pytest.fixture
def rnn_workspace(tracked_workspace, mnist1d_cache) -> Workspace:
    """A workspace with an empty MLflow store and MNIST-1D already cached."""
    workspace = Workspace.resolve(tracked_workspace).ensure()
    for cached in mnist1d_cache.iterdir():
        shutil.copy(cached, workspace.datasets_dir / cached.name)
    return workspace


@pytest.fixture
def wave_csv(tmp_path) -> Path:
    time = np.arange(300)
    rows = [f"{np.sin(t / 4):.5f},{np.cos(t / 9):.5f},label{t}" for t in time]
    path = tmp_path / "wave.csv"
    path.write_text("wave,other,name\n" + "\n".join(rows) + "\n")
    return path


def plugin_for(dataset, **hparams) -> tuple[RNNPlugin, object]:
    if isinstance(dataset, str):
        dataset = load_dataset(dataset, Path(tempfile.mkdtemp(prefix="rnn-test-")))
    monitor = f"val_{RNNPlugin.monitor_for(dataset.spec.task)}"
    resolved = RNNPlugin.full_schema().resolve({**TINY, "monitor": monitor, **hparams})
    return RNNPlugin(resolved, dataset.spec), dataset


# -- building -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("readout", ["last", "mean", "flatten"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_builds_for_each_data_kind(loaded, cell, readout, bidirectional):
    options = {"cell": cell, "readout": readout, "bidirectional": bidirectional, "layers": 2}
    for dataset_id, width in (("mnist1d", 10), ("sines", 1)):
        plugin, dataset = plugin_for(loaded[dataset_id], **options)
        plugin.check()
        model = plugin.build_model()
        assert model(dataset.train.x[:5]).shape == (5, width)


def test_last_readout_reads_both_directions_final_states(loaded):
    plugin, dataset = plugin_for(loaded["mnist1d"], readout="last", cell="lstm")
    model = plugin.build_model()
    x = dataset.train.x[:3]
    outputs, _ = model.rnn(x.unsqueeze(-1))
    hidden = model.rnn.hidden_size
    # Forward direction ends at the last step, backward at the first.
    expected = torch.cat([outputs[:, -1, :hidden], outputs[:, 0, hidden:]], dim=1)
    model.eval()
    assert torch.allclose(model(x), model.head(expected), atol=1e-6)


def test_sequence_channels_are_read_as_features():
    from plugins.rnn._model import time_major_shape

    assert time_major_shape("sequence", (40,)) == (40, 1)
    assert time_major_shape("sequence", (3, 40)) == (40, 3)
    assert time_major_shape("timeseries", (32, 2)) == (32, 2)


# -- the naive baseline -------------------------------------------------------------------------
def test_naive_forecast_repeats_the_last_target_value():
    x = torch.tensor([[[1.0, 9.0], [2.0, 8.0]], [[5.0, 0.0], [-3.0, 1.0]]])
    assert torch.equal(last_value_forecast(x, 3), torch.tensor([[2.0] * 3, [-3.0] * 3]))


def test_naive_mse_is_measured_in_target_units(wave_csv):
    plugin, dataset = plugin_for(f"csv:{wave_csv}?target=wave&horizon=2&window=6")
    model = plugin.build_model().eval()
    with torch.no_grad():
        metrics = plugin.evaluate(model, dataset.test)
    spec = dataset.spec
    raw = np.sin(np.arange(300) / 4).round(5)
    start = spec.extra["boundaries"][1]
    errors = [(raw[t : t + 2] - raw[t - 1]) ** 2 for t in range(start, 299)]
    assert metrics["naive_mse"] == pytest.approx(np.mean(errors), rel=1e-4)
    assert metrics["mse_ratio"] == pytest.approx(metrics["mse"] / metrics["naive_mse"])
    assert metrics["mse"] == pytest.approx(metrics["loss"] * spec.extra["target_std"] ** 2)


def test_residual_model_with_a_zero_head_is_the_naive_forecast(wave_csv):
    # The network alone (the linear path off): its residual starts from the last value.
    plugin, dataset = plugin_for(f"csv:{wave_csv}?target=wave&inputs=other", linear_head=False)
    model = plugin.build_model().eval()
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    with torch.no_grad():
        metrics = plugin.evaluate(model, dataset.val)
    assert metrics["mse_ratio"] == pytest.approx(1.0)
    assert metrics["mse"] == pytest.approx(metrics["naive_mse"])


def test_forecasting_loss_is_mean_squared_error(wave_csv):
    plugin, dataset = plugin_for(f"csv:{wave_csv}?target=wave", dropout=0.0, linear_head=False)
    model = plugin.build_model()
    batch = Batch(dataset.train.x[:8], dataset.train.y[:8])
    loss = plugin.training_step(model, batch, 1)["loss"]
    assert loss.item() == pytest.approx(((model(batch.x) - batch.y) ** 2).mean().item())
    with torch.no_grad():
        metrics = plugin.evaluate(model.eval(), Split(batch.x, batch.y))
        assert metrics["loss"] == pytest.approx(loss.item(), rel=1e-5)


# -- real runs ------------------------------------------------------------------------------------
def run_into_store(workspace: Workspace, dataset: str, **hparams):
    config = RunConfig(
        "rnn",
        dataset,
        {**TINY, "steps": 4, "eval_every": 2, **hparams},
        workspace=str(workspace.root),
        threads=1,
    )
    outcome = execute_run(prepare_run(config))
    run = MlflowClient(workspace.tracking_uri).get_run(outcome.run_id)
    return outcome, run


def artifact_names(workspace: Workspace, run) -> set[str]:
    return {a.path for a in MlflowClient(workspace.tracking_uri).list_artifacts(run.info.run_id)}


def test_classifies_mnist1d_into_mlflow(rnn_workspace):
    outcome, run = run_into_store(rnn_workspace, "mnist1d", readout="last", cell="lstm")
    assert outcome.status == "finished" and run.info.status == "FINISHED"
    assert {"val_accuracy", "test_accuracy", "test_loss", "train_loss"} <= set(run.data.metrics)
    assert run.data.params["monitor"] == "val_accuracy"
    names = artifact_names(rnn_workspace, run)
    assert "confusion_matrix.png" in names


def test_forecasts_sines_into_mlflow(rnn_workspace):
    outcome, run = run_into_store(rnn_workspace, "sines")
    assert outcome.status == "finished" and run.info.status == "FINISHED"
    expected = {"val_mse_ratio", "test_mse", "test_naive_mse", "test_mse_ratio", "train_loss"}
    assert expected <= set(run.data.metrics)
    assert "test_accuracy" not in run.data.metrics
    # Forecasting runs watch the forecast's ratio to the naive one unless told otherwise.
    assert run.data.params["monitor"] == "val_mse_ratio"
    names = artifact_names(rnn_workspace, run)
    assert {"forecast.png", "forecast.csv"} <= names


def test_forecasts_a_csv_column_into_mlflow(rnn_workspace, wave_csv):
    dataset = f"csv:{wave_csv}?target=wave&inputs=other&window=8&horizon=2"
    outcome, run = run_into_store(rnn_workspace, dataset, monitor="val_mse", patience=5)
    assert outcome.status == "finished" and run.info.status == "FINISHED"
    assert run.data.params["dataset"] == dataset
    assert np.isfinite(run.data.metrics["test_mse_ratio"])


def test_sines_defaults_beat_the_naive_forecast_quickly(rnn_workspace):
    outcome, _ = run_into_store(rnn_workspace, "sines", hidden_size=16, steps=150, eval_every=150)
    assert outcome.metrics["test_mse_ratio"] < 0.9


# -- bad input leaves nothing behind -------------------------------------------------------------
def assert_nothing_tracked(workspace: Workspace) -> None:
    client = MlflowClient(workspace.tracking_uri)
    runs = [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]
    assert runs == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a,price\n1,x\n", "column 'price' is not numeric: line 2 holds 'x'"),
        ("a,b\n1,2\n", "has no column 'price'; its columns: a, b"),
        ("a,price\n" + "1,2\n" * 10, "has 10 rows, too few for window 32"),
    ],
)
def test_bad_csv_is_a_usage_error_before_any_run_exists(rnn_workspace, tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    config = RunConfig("rnn", f"csv:{path}?target=price", workspace=str(rnn_workspace.root))
    with pytest.raises(UsageError, match=problem):
        prepare_run(config)
    assert_nothing_tracked(rnn_workspace)


def test_a_monitor_the_task_does_not_report_is_refused(rnn_workspace):
    config = RunConfig(
        "rnn", "sines", {"monitor": "val_accuracy"}, workspace=str(rnn_workspace.root)
    )
    with pytest.raises(UsageError, match="val_accuracy' is not reported on forecasting data"):
        prepare_run(config)
    assert_nothing_tracked(rnn_workspace)
