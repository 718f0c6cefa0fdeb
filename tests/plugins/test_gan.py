"""The GAN plugin: real runs into a real MLflow store, every loss, packing, artifacts."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient

from engine.errors import UsageError
from engine.events import Snapshot
from engine.runner import RunConfig, execute_run, prepare_run
from engine.testing import PluginConformance, from_registered, tiny_dataset, train_tiny
from engine.workspace import Workspace
from plugins.gan import GANPlugin
from plugins.gan._plugin import LOSSES

# Tiny networks: a few steps take a fraction of a second.
TINY = {
    "latent_dim": 4,
    "g_width": 16,
    "g_depth": 1,
    "d_width": 16,
    "d_depth": 1,
    "batch_size": 32,
    "amp": False,
}


class TestGANConformance(PluginConformance):
    plugin_class = GANPlugin
    hparams = {key: value for key, value in TINY.items() if key not in ("batch_size", "amp")}
    tiny_datasets = {"points": from_registered("ring8")}


def tracked_run(workspace: Path, dataset: str, **hparams) -> tuple[object, list, MlflowClient]:
    config = RunConfig(
        "gan",
        dataset,
        {**TINY, "steps": 4, "eval_every": 2, **hparams},
        workspace=str(workspace),
        threads=1,
    )
    events: list = []
    outcome = execute_run(prepare_run(config), events.append)
    return outcome, events, MlflowClient(Workspace.resolve(workspace).tracking_uri)


def artifact_names(client: MlflowClient, run_id: str, folder: str | None = None) -> set[str]:
    return {Path(item.path).name for item in client.list_artifacts(run_id, folder)}


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
def test_points_run_tracks_metrics_samples_and_snapshots(
    tracked_workspace: Path, tmp_path: Path, dataset: str
) -> None:
    outcome, events, client = tracked_run(tracked_workspace, dataset)
    assert outcome.status == "finished", outcome.error
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FINISHED"
    for prefix in ("val", "test"):
        for metric in ("modes", "high_quality", "reverse_kl"):
            assert math.isfinite(run.data.metrics[f"{prefix}_{metric}"])
    # Logged at every evaluation, so sweeps and the dashboards see them over time.
    history = client.get_metric_history(outcome.run_id, "val_modes")
    assert sorted({m.step for m in history}) == [2, 4]
    assert {"train_d_loss", "train_g_loss"} <= set(run.data.metrics)

    assert {"samples.csv", "samples.png", "model.safetensors"} <= artifact_names(
        client, outcome.run_id
    )
    folder = Path(client.download_artifacts(outcome.run_id, "samples.csv", str(tmp_path)))
    with folder.open() as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["x", "y"]
    assert len(rows) == 1 + 2500
    assert all(len(row) == 2 and all(math.isfinite(float(v)) for v in row) for row in rows[1:])

    assert artifact_names(client, outcome.run_id, "snapshots") == {
        "step_0000002.json",
        "step_0000004.json",
    }
    snapshot_file = client.download_artifacts(
        outcome.run_id, "snapshots/step_0000004.json", str(tmp_path)
    )
    snapshot = json.loads(Path(snapshot_file).read_text())
    assert snapshot["type"] == "points"
    assert len(snapshot["points"]) == 512 and len(snapshot["points"][0]) == 2
    assert len(snapshot["modes"]) == {"ring8": 8, "grid25": 25}[dataset]
    assert [e.step for e in events if isinstance(e, Snapshot)] == [2, 4]


def test_digits_run_writes_a_sample_grid_and_image_snapshots(tracked_workspace: Path) -> None:
    outcome, events, client = tracked_run(tracked_workspace, "digits")
    assert outcome.status == "finished", outcome.error
    run = client.get_run(outcome.run_id)
    # The classifier judge names the digit of each generated image.
    assert 0 <= run.data.metrics["test_modes"] <= 10
    assert 0.0 <= run.data.metrics["val_high_quality"] <= 1.0
    names = artifact_names(client, outcome.run_id)
    assert "samples.png" in names and "samples.csv" not in names
    snapshot = next(e for e in events if isinstance(e, Snapshot)).data
    assert snapshot["type"] == "images" and snapshot["shape"] == [1, 8, 8]
    assert len(snapshot["images"]) == 16 and len(snapshot["images"][0]) == 64
    assert all(0.0 <= v <= 1.0 for v in snapshot["images"][0])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("packing", [1, 4])
def test_every_loss_trains_with_and_without_packing(loss: str, packing: int) -> None:
    hparams = GANPlugin.full_schema().resolve(
        {**TINY, "loss": loss, "packing": packing, "d_steps": 2, "steps": 3, "eval_every": 3}
    )
    run = train_tiny(GANPlugin, hparams, from_registered("ring8")(0))
    assert run.result.status == "finished"
    series = run.train_metrics()
    assert len(series["train_d_loss"]) == 3 and len(series["train_g_loss"]) == 3
    assert all(math.isfinite(v) for values in series.values() for v in values)
    assert run.optimizers_left_unchanged() == []
    assert 0 <= run.result.metrics["test_modes"] <= 8


def test_discriminator_sees_packs_of_samples() -> None:
    dataset = tiny_dataset("image")
    hparams = GANPlugin.full_schema().resolve({**TINY, "packing": 3})
    model = GANPlugin(hparams, dataset.spec).build_model()
    assert model.discriminator[0].in_features == 3 * 64
    with torch.no_grad():
        fake = model.sample(30)
    assert fake.shape == (30, 1, 8, 8)
    assert float(fake.min()) >= 0.0 and float(fake.max()) <= 1.0  # images live in [0, 1]
    assert model.criticize(fake).shape == (10,)


def test_packing_larger_than_the_batch_is_a_usage_error(tmp_path: Path) -> None:
    config = RunConfig(
        "gan", "ring8", {**TINY, "packing": 8, "batch_size": 4}, workspace=str(tmp_path / "ws")
    )
    with pytest.raises(UsageError, match="packing 8 is larger than batch_size 4"):
        prepare_run(config)
    assert not (tmp_path / "ws" / "mlflow.db").exists()


def test_samples_come_from_the_generator_weight_average_which_is_saved() -> None:
    dataset = from_registered("ring8")(0)
    hparams = GANPlugin.full_schema().resolve({**TINY, "g_ema": 0.75})
    model = GANPlugin(hparams, dataset.spec).build_model()
    assert any(key.startswith("generator_ema.") for key in model.state_dict())  # checkpointed
    with torch.no_grad():
        for parameter in model.generator.parameters():
            parameter.add_(1.0)
    before = [p.clone() for p in model.generator_ema.parameters()]
    model.update_ema()
    for average, old, current in zip(
        model.generator_ema.parameters(), before, model.generator.parameters(), strict=True
    ):
        torch.testing.assert_close(average, 0.75 * old + 0.25 * current)
        assert not average.requires_grad
    noise = model.noise(8, torch.Generator().manual_seed(1))
    with torch.no_grad():
        sampled = model.sample(8, torch.Generator().manual_seed(1))
        # The networks work in standardised units; samples come back in the data's.
        assert model.scale.item() == dataset.spec.extra["scale"] != 1.0
        in_data_units = model.generator_ema(noise) * model.scale + model.center
        torch.testing.assert_close(sampled, in_data_units)
        assert not torch.allclose(sampled, model.generator(noise) * model.scale + model.center)

    plain = GANPlugin(GANPlugin.full_schema().resolve({**TINY, "g_ema": 0.0}), dataset.spec)
    model = plain.build_model()
    assert model.generator_ema is None
    with torch.no_grad():
        torch.testing.assert_close(
            model.sample(8, torch.Generator().manual_seed(1)),
            model.generator(noise) * model.scale + model.center,
        )
