"""The CNN's per-channel normalisation: measured on the training split only, kept as buffers
of the model (so in its state dict, weights file and exports), and harmless to models saved
before it existed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_model, save_model

from engine.data import Dataset, DataSpec, Split
from engine.testing import one_thread, train_tiny
from plugins.cnn import CNNPlugin
from plugins.cnn._normalize import channel_statistics

TINY = {"channels": 4, "depth": 2, "batch_size": 8, "steps": 2, "eval_every": 2, "patience": 0}
SPEC = DataSpec("image", "classification", (2, 4, 4), num_classes=2)


def plugin_for(spec: DataSpec, **overrides) -> CNNPlugin:
    return CNNPlugin(CNNPlugin.full_schema().resolve({**TINY, **overrides}), spec)


def known_dataset() -> Dataset:
    """Training images whose channel 0 alternates 0 and 0.5 (mean 0.25, std 0.25) and whose
    channel 1 is 0.75 everywhere (std 0: kept at 1); validation and test are all 1.0."""
    train = torch.zeros(16, 2, 4, 4)
    train[::2, 0] = 0.5
    train[:, 1] = 0.75
    labels = torch.arange(16) % 2
    other = Split(torch.ones(4, 2, 4, 4), torch.arange(4) % 2)
    return Dataset("known", SPEC, Split(train, labels), other, other)


def test_statistics_come_from_the_training_split_only():
    plugin = plugin_for(SPEC)
    plugin.setup(known_dataset())
    state = plugin.build_model().state_dict()
    assert state["standardize.mean"].tolist() == pytest.approx([0.25, 0.75])
    assert state["standardize.std"].tolist() == pytest.approx([0.25, 1.0])


def test_statistics_of_a_large_split_are_read_in_chunks_and_stay_exact_far_from_zero():
    # 2500 samples: three chunks. Channel 2 sits at 1000 with a std of about 0.003, where
    # float32's E[x^2] - E[x]^2 would give noise.
    x = torch.rand(2500, 3, 5, 5) * torch.tensor([1.0, 2.0, 0.01]).view(1, 3, 1, 1)
    x[:, 2] += 1000.0
    mean, std = channel_statistics(Split(x, None), 3)
    per_channel = x.double().transpose(0, 1).reshape(3, -1)
    assert mean.tolist() == pytest.approx(per_channel.mean(dim=1).tolist(), rel=1e-6)
    assert std.tolist() == pytest.approx(per_channel.std(dim=1, correction=0).tolist(), rel=1e-3)


def test_off_builds_no_normalisation_layer():
    plugin = plugin_for(SPEC, normalize=False)
    plugin.setup(known_dataset())
    model = plugin.build_model()
    assert model.standardize is None
    assert not any("standardize" in key for key in model.state_dict())


def offset_dataset(spec: DataSpec) -> Dataset:
    """Random inputs of ``spec``'s shape around 0.4, far from the centred data a network
    expects; labels by the sign of the first value."""
    generator = torch.Generator().manual_seed(0)

    def split(size: int) -> Split:
        x = 0.4 + 0.1 * torch.randn(size, *spec.input_shape, generator=generator)
        return Split(x, (x.reshape(size, -1)[:, 0] > 0.4).long())

    return Dataset("offset", spec, split(32), split(8), split(8))


@pytest.mark.parametrize(
    "spec",
    [SPEC, DataSpec("sequence", "classification", (24,), num_classes=2)],
    ids=["image", "sequence"],
)
def test_a_trained_models_statistics_are_in_its_weights_and_rebuild_it(spec, tmp_path: Path):
    dataset = offset_dataset(spec)
    with one_thread():
        run = train_tiny(
            CNNPlugin, CNNPlugin.full_schema().resolve(TINY), dataset, device="cpu", seed=0
        )
    state = run.model.state_dict()
    mean, std = channel_statistics(dataset.train, state["standardize.mean"].numel())
    assert torch.equal(state["standardize.mean"], mean)
    assert torch.equal(state["standardize.std"], std)
    assert mean.tolist() == pytest.approx([0.4] * len(mean), abs=0.02)
    path = tmp_path / "model.safetensors"
    save_model(run.model, str(path))
    fresh = plugin_for(dataset.spec).build_model()  # as predict builds it: no setup
    load_model(fresh, str(path))
    x = dataset.test.take(slice(0, 4)).x
    with torch.no_grad():
        assert torch.allclose(fresh.eval()(x), run.model.eval()(x))


def test_models_saved_before_normalisation_load_and_compute_what_they_did(tmp_path: Path):
    before = plugin_for(SPEC, normalize=False).build_model().eval()  # the old model
    path = tmp_path / "model.safetensors"
    save_model(before, str(path))
    x = torch.rand(3, *SPEC.input_shape)
    # A run's config.json from before has no normalize (nor architecture) hyperparameter.
    old_config = {k: v for k, v in plugin_for(SPEC).hparams.items() if k != "normalize"}
    del old_config["architecture"]
    rebuilt = CNNPlugin(old_config, SPEC).build_model()
    load_model(rebuilt, str(path))
    # An old checkpoint resumed: its hyperparameters resolve to the new default (on) and
    # the training statistics are measured, but its state dict has none: the layer keeps
    # the identity, so the resumed model is the old one.
    resumed_plugin = plugin_for(SPEC)
    resumed_plugin.setup(known_dataset())
    resumed = resumed_plugin.build_model()
    resumed.load_state_dict(before.state_dict())
    with torch.no_grad():
        assert torch.allclose(rebuilt.eval()(x), before(x))
        assert torch.allclose(resumed.eval()(x), before(x))
