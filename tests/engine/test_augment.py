"""Augmentation: declared once in the CNN's schema, applied to training batches only (never
to evaluation), vectorised, seeded by the run, checkpointed, and logged as params."""

from __future__ import annotations

import pytest
import torch
from netyard_test_support import TINY_CNN, all_runs, tracking_uri

from engine.augment import Augmenter, augmentation_params, check_augmentation, with_augmented
from engine.cli import main
from engine.data import BatchSampler, DataSpec
from engine.data._preview import describe
from engine.errors import UsageError
from engine.testing import tiny_dataset, train_tiny
from engine.training import load_checkpoint
from plugins.cnn import CNNPlugin

COLOUR = DataSpec("image", "classification", (3, 8, 8), num_classes=2)
GREY = DataSpec("image", "classification", (1, 8, 8), num_classes=2)
SIGNALS = DataSpec("sequence", "classification", (40,), num_classes=2)
KIND = {p.name: kind for kind in ("image", "sequence") for p in augmentation_params(kind)}
STRONG = {
    "augment_crop": 2,
    "augment_flip": 1.0,
    "augment_brightness": 0.5,
    "augment_contrast": 0.5,
    "augment_saturation": 0.5,
    "augment_cutout": 0.5,
    "augment_jitter": 0.5,
    "augment_scaling": 0.5,
    "augment_shift": 0.25,
}


def batches(kind: str) -> list[torch.Tensor]:
    draw = torch.Generator().manual_seed(1)
    if kind == "image":
        return [torch.rand(16, 3, 8, 8, generator=draw)]
    return [torch.randn(16, 40, generator=draw), torch.randn(16, 2, 40, generator=draw)]


def hparams(**changes) -> dict:
    return CNNPlugin.full_schema().resolve({**TINY_CNN, **changes})


def test_the_cnn_declares_every_augmentation_off_by_default():
    defaults = CNNPlugin.full_schema().defaults()
    assert {name: defaults[name] for name in STRONG} == dict.fromkeys(STRONG, 0)
    for spec in (COLOUR, SIGNALS):
        assert Augmenter.for_run(hparams(), spec, 0, "cpu") is None  # strength 0: no change


@pytest.mark.parametrize("name", sorted(STRONG))
def test_each_augmentation_changes_a_batch_and_keeps_its_shape_dtype_and_device(name):
    for x in batches(KIND[name]):
        before = x.clone()
        augmented = Augmenter({name: STRONG[name]}, KIND[name], 0, "cpu")(x)
        assert (augmented.shape, augmented.dtype, augmented.device) == (x.shape, x.dtype, x.device)
        assert not torch.equal(augmented, x), name
        assert torch.equal(x, before), f"{name} changed its input in place"
        if KIND[name] == "image":
            assert 0.0 <= float(augmented.min()) and float(augmented.max()) <= 1.0


def test_the_same_seed_gives_the_same_augmented_batches():
    images = {name: value for name, value in STRONG.items() if KIND[name] == "image"}
    (x,) = batches("image")
    first, again, other = (Augmenter(images, "image", seed, "cpu") for seed in (3, 3, 4))
    one, two = first(x), first(x)
    assert torch.equal(one, again(x)) and torch.equal(two, again(x))
    assert not torch.equal(one, two)  # the stream moves on from batch to batch
    assert not torch.equal(one, other(x))


def test_bad_strengths_and_settings_the_data_cannot_take_are_one_sentence():
    schema = CNNPlugin.full_schema()
    with pytest.raises(UsageError) as above:
        schema.parse_assignments(["augment_flip=1.5"])
    assert str(above.value) == (
        "invalid value 1.5 for augment_flip (above the maximum): expected float in [0, 1]"
    )
    with pytest.raises(UsageError, match=r"invalid value -1 for augment_crop \(below the min"):
        schema.parse_assignments(["augment_crop=-1"])
    with pytest.raises(UsageError) as wrong_kind:
        check_augmentation(hparams(augment_flip=0.5), SIGNALS)
    assert str(wrong_kind.value) == (
        "augment_flip=0.5 augments images, but this dataset holds 1-D signals; for them use "
        "augment_jitter, augment_scaling, augment_shift (0 turns it off)"
    )
    with pytest.raises(UsageError, match="augment_saturation=0.2 needs colour"):
        check_augmentation(hparams(augment_saturation=0.2), GREY)


class RecordingCNN(CNNPlugin):
    """The CNN, keeping the inputs of every training and evaluation batch it is given."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trained: list[torch.Tensor] = []
        self.evaluated: list[torch.Tensor] = []

    def training_step(self, model, batch, step, context=None):
        self.trained.append(batch.x.clone())
        return super().training_step(model, batch, step, context)

    def validation_step(self, model, batch):
        self.evaluated.append(batch.x.clone())
        return super().validation_step(model, batch)


@pytest.mark.parametrize("augment", [{"augment_cutout": 0.5, "augment_crop": 1}, {}])
def test_training_batches_are_augmented_and_evaluation_batches_never(augment):
    dataset = tiny_dataset("image")
    settings = hparams(steps=2, **augment)
    run = train_tiny(RecordingCNN, settings, dataset, seed=7)
    plugin = run.trainer.plugin
    sampler = BatchSampler(dataset.train, settings["batch_size"], seed=7)
    for trained in plugin.trained:
        plain = sampler.next().x
        assert trained.shape == plain.shape
        assert torch.equal(trained, plain) == (not augment)
    splits = [dataset.val.x, dataset.test.x]  # each small enough to be one batch
    seen = [[torch.equal(x, split) for split in splits] for x in plugin.evaluated]
    assert all(any(found) for found in seen) and all(map(any, zip(*seen, strict=True)))


def test_a_resumed_run_continues_the_augmentations_of_an_uninterrupted_one(tmp_path):
    dataset = tiny_dataset("sequence")
    settings = hparams(steps=4, augment_jitter=0.3, augment_shift=0.1, augment_scaling=0.2)
    whole = train_tiny(CNNPlugin, settings, dataset, seed=2)
    path = tmp_path / "half.ckpt"
    train_tiny(CNNPlugin, settings, dataset, seed=2, stop_after=2, checkpoint_path=path)
    resumed = train_tiny(CNNPlugin, settings, dataset, seed=2, resume_state=load_checkpoint(path))
    for key, tensor in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], tensor), key


def test_the_preview_shows_its_samples_augmented_only_when_asked():
    shown = describe(tiny_dataset("image"), samples=4)
    assert with_augmented(shown, hparams()).augmented == ()
    augmented = with_augmented(shown, hparams(augment_cutout=0.5), seed=1).augmented
    assert [s.label for s in augmented] == [s.label for s in shown.samples]
    for sample, original in zip(augmented, shown.samples, strict=True):
        assert sample.data.shape == original.data.shape
        assert not (sample.data == original.data).all()
    with pytest.raises(UsageError, match="augment_jitter=0.1 augments 1-D signals"):
        with_augmented(shown, hparams(augment_jitter=0.1))
    signals = describe(tiny_dataset("sequence"), samples=4)
    shifted = with_augmented(signals, hparams(augment_shift=0.2), seed=1).augmented
    assert [s.data.shape for s in shifted] == [s.data.shape for s in signals.samples]
    assert any((s.data != o.data).any() for s, o in zip(shifted, signals.samples, strict=True))


def test_a_runs_mlflow_params_hold_its_augmentation(tracked_workspace, capsys):
    argv = ["run", "cnn", "--dataset", "digits", "--steps", "2", "--device", "cpu"]
    argv += ["--set", "channels=4", "--set", "depth=2", "--set", "batch_size=16"]
    argv += ["--set", "augment_crop=1", "--set", "augment_cutout=0.25", "--threads", "1"]
    assert main([*argv, "--workspace", str(tracked_workspace)]) == 0
    (run,) = all_runs(tracking_uri(tracked_workspace))
    params = run.data.params
    assert params["augment_crop"] == "1" and params["augment_cutout"] == "0.25"
    assert params["augment_flip"] == "0.0" and params["augment_jitter"] == "0.0"
