"""The engine's conformance suite: run for the CNN, and shown to catch broken plugins.

The RNN, Transformer and GAN plugins run it from their own test modules
(tests/plugins/test_rnn.py, test_transformer.py, test_gan.py).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.data import Dataset, DataSpec, Split
from engine.plugin import ClassifierPlugin, Plugin
from engine.schema import Float, Schema
from engine.testing import PluginConformance, tiny_dataset, tiny_kinds
from plugins.cnn import CNNPlugin


class TestCNNConformance(PluginConformance):
    plugin_class = CNNPlugin
    hparams = {"channels": 8, "depth": 2}


# -- small plugins the suite is checked with ------------------------------------------------
class LinearPlugin(ClassifierPlugin):
    """Logistic regression by plain SGD (its updates scale with the loss, unlike Adam's)."""

    id = "linear"
    name = "Linear classifier"
    description = "One linear layer on the flattened input."
    data_kinds = ("sequence", "image")
    schema = Schema(Float("lr", 0.1, low=1e-4, high=1.0, log=True, help="Learning rate."))

    def build_model(self) -> nn.Module:
        inputs = math.prod(self.spec.input_shape)
        return nn.Sequential(nn.Flatten(), nn.Linear(inputs, self.spec.num_classes))

    def configure_optimizers(self, model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=self.hparams["lr"])


class TwoOptimizerPlugin(Plugin):
    """Manual optimisation: a body and a head, each with its own optimizer, stepped in turn."""

    id = "twoopt"
    name = "Two optimizers"
    description = "A linear body and head with separate optimizers, stepped by the plugin."
    data_kinds = ("sequence",)
    schema = Schema(Float("lr", 0.1, low=1e-4, high=1.0, log=True, help="Learning rate."))
    metrics: ClassVar = {"loss": "min"}
    monitor = "loss"
    automatic_optimization = False
    steps_head_only = False

    def build_model(self) -> nn.Module:
        inputs = math.prod(self.spec.input_shape)
        return nn.ModuleDict(
            {"body": nn.Linear(inputs, 8), "head": nn.Linear(8, self.spec.num_classes)}
        )

    def configure_optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        lr = self.hparams["lr"]
        return [
            torch.optim.SGD(model["body"].parameters(), lr=lr),
            torch.optim.SGD(model["head"].parameters(), lr=lr),
        ]

    def _loss(self, model: nn.Module, batch: Any, reduction: str = "mean") -> torch.Tensor:
        logits = model["head"](model["body"](batch.x.flatten(1)))
        return F.cross_entropy(logits, batch.y, reduction=reduction)

    def training_step(self, model, batch, step, context=None) -> dict[str, Any]:
        body, head = context.optimizers
        with context.autocast():
            loss = self._loss(model, batch)
        context.backward(loss)
        context.step(head)
        if not self.steps_head_only:
            context.step(body)
        return {"loss": loss.detach()}

    def validation_step(self, model, batch) -> dict[str, Any]:
        return {"loss": self._loss(model, batch, "sum").item()}


class TestManualOptimisationConformance(PluginConformance):
    plugin_class = TwoOptimizerPlugin
    registered = False


def _spectra(seed: int) -> Dataset:
    """Three classes of 16-point signals told apart by which third of the signal is raised."""
    generator = torch.Generator().manual_seed(seed)

    def split(size: int) -> Split:
        labels = torch.randint(0, 3, (size,), generator=generator)
        signals = 0.3 * torch.randn(size, 16, generator=generator)
        for label in range(3):
            signals[labels == label, label * 5 : label * 5 + 5] += 1.0
        return Split(signals, labels)

    spec = DataSpec("spectra", "classification", (16,), num_classes=3)
    return Dataset("spectra", spec, split(96), split(32), split(32))


class SpectraPlugin(LinearPlugin):
    id = "spectra_linear"
    data_kinds = ("spectra",)


class TestOwnTinyDatasetConformance(PluginConformance):
    """A plugin for a data kind the engine has no tiny dataset of brings its own."""

    plugin_class = SpectraPlugin
    tiny_datasets = {"spectra": _spectra}
    registered = False


# -- the suite fails plugins that break the contract ----------------------------------------
def suite_for(plugin: type[Plugin], **attributes: Any) -> PluginConformance:
    """A conformance suite instance for ``plugin``, to call its tests directly."""
    attributes = {"plugin_class": plugin, "registered": False, **attributes}
    return type(f"Suite{plugin.__name__}", (PluginConformance,), attributes)()


def test_a_kind_without_a_tiny_dataset_is_named() -> None:
    with pytest.raises(LookupError, match="no tiny dataset for data kind 'spectra'"):
        suite_for(SpectraPlugin).dataset("spectra")


def test_an_optimizer_never_stepped_fails() -> None:
    class HeadOnlyPlugin(TwoOptimizerPlugin):
        id = "headonly"
        steps_head_only = True  # the bug: the body's optimizer is never stepped

    with pytest.raises(AssertionError, match=r"optimizer\(s\) \[0\] never changed"):
        suite_for(HeadOnlyPlugin).test_one_training_step("sequence")


def test_a_loss_cut_from_the_parameters_fails() -> None:
    class DetachedPlugin(LinearPlugin):
        id = "detached"

        def training_step(self, model, batch, step, context=None):
            return {"loss": super().training_step(model, batch, step)["loss"].detach()}

    with pytest.raises(AssertionError, match="not connected to the parameters"):
        suite_for(DetachedPlugin).test_one_training_step("image")


def test_unseeded_randomness_fails() -> None:
    class UnseededPlugin(LinearPlugin):
        id = "unseeded"

        def build_model(self) -> nn.Module:
            model = super().build_model()
            # The bug: a generator seeded from the OS, not from the run's seed.
            generator = torch.Generator().manual_seed(int.from_bytes(os.urandom(8), "little"))
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.copy_(torch.randn(parameter.shape, generator=generator))
            return model

    with pytest.raises(AssertionError, match="two runs with one seed"):
        suite_for(UnseededPlugin).test_deterministic_under_a_seed("sequence")


def test_state_kept_outside_the_checkpoint_fails(tmp_path: Path) -> None:
    class ForgetfulPlugin(LinearPlugin):
        id = "forgetful"
        calls = 0

        def training_step(self, model, batch, step, context=None):
            # The bug: a count kept on the plugin object, which a checkpoint does not hold.
            self.calls += 1
            return {"loss": super().training_step(model, batch, step)["loss"] * self.calls}

    with pytest.raises(AssertionError, match="stopping, saving and resuming"):
        suite_for(ForgetfulPlugin).test_checkpoint_round_trip("sequence", tmp_path)


def test_a_declared_metric_never_reported_fails(tmp_path: Path) -> None:
    class SilentPlugin(LinearPlugin):
        id = "silent"
        metrics: ClassVar = {"loss": "min", "accuracy": "max", "f1": "max"}

    with pytest.raises(AssertionError, match="did not report val_f1"):
        suite_for(SilentPlugin).test_evaluation("image", tmp_path)


def test_a_hyperparameter_without_help_fails() -> None:
    class UndocumentedPlugin(LinearPlugin):
        id = "undocumented"
        schema = Schema(Float("lr", 0.1, low=1e-4, high=1.0))

    with pytest.raises(AssertionError, match="'lr' has no help text"):
        suite_for(UndocumentedPlugin).test_schema_is_valid()


def test_tiny_overrides_naming_no_hyperparameter_fail() -> None:
    from engine.errors import UsageError

    with pytest.raises(UsageError, match="unknown hyperparameter 'width'"):
        suite_for(LinearPlugin, hparams={"width": 4}).test_schema_is_valid()


def test_every_tiny_dataset_is_a_cut_down_registered_one() -> None:
    from engine.data import dataset_info

    assert {"sequence", "image", "timeseries", "points", "tokens"} <= set(tiny_kinds())
    for kind in tiny_kinds():
        tiny = tiny_dataset(kind)
        assert tiny.spec.kind == dataset_info(tiny.id).kind == kind
        assert tiny.sizes() == {"train": 128, "val": 32, "test": 32}
    for kind in ("sequence", "image"):
        tiny = tiny_dataset(kind)
        assert tiny.train.x.dtype == torch.float32 and tiny.train.y.dtype == torch.int64
        assert len(set(tiny.train.y.tolist())) == tiny.spec.num_classes  # every class present
