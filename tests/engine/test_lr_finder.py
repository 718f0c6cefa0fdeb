"""The learning-rate finder: a suggestion inside the working range where that range is known,
``netyard lr-find``'s JSON, one line for bad input, and the GAN told it does not apply."""

from __future__ import annotations

import json
from typing import ClassVar

import torch
import torch.nn.functional as F
from netyard_test_support import netyard_here
from torch import nn

from engine.data import Dataset, DataSpec, Split
from engine.lr_finder import find_lr
from engine.plugin import Plugin
from engine.schema import Float, Schema


class LeastSquaresPlugin(Plugin):
    """Linear regression by plain SGD on whitened inputs: the mean squared error's Hessian is
    about 2I, so gradient descent diverges once lr passes 2 / 2 = 1."""

    id = "least_squares"
    name = "Least squares (test)"
    description = "One linear layer fitted by SGD."
    data_kinds = ("sequence",)
    schema = Schema(Float("lr", 0.01, low=1e-6, high=10.0, log=True, help="Learning rate."))
    metrics: ClassVar = {"mse": "min"}
    monitor = "mse"
    training_defaults: ClassVar = {"batch_size": 64}

    def build_model(self) -> nn.Module:
        return nn.Linear(self.spec.input_shape[0], 1, bias=False)

    def configure_optimizers(self, model):
        return torch.optim.SGD(model.parameters(), lr=self.hparams["lr"])

    def training_step(self, model, batch, step, context=None):
        return {"loss": F.mse_loss(model(batch.x).squeeze(1), batch.y)}


def _least_squares_data() -> Dataset:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1024, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    split = Split(x, y)
    return Dataset("ls", DataSpec("sequence", "regression", (4,)), split, split, split)


def test_the_suggestion_lies_in_the_working_range_of_a_known_problem():
    hparams = LeastSquaresPlugin.full_schema().resolve({})
    finding = find_lr(LeastSquaresPlugin, hparams, _least_squares_data(), torch.device("cpu"),
                      steps=40, ramps=3, start_lr=1e-5, end_lr=10.0)  # fmt: skip
    # Below the divergence edge (lr = 1) with room to spare, above rates that barely move.
    assert 1e-2 <= finding.suggested_lr < 1.0
    assert all(ramp.lrs[-1] > 1.0 for ramp in finding.ramps)  # each ramp saw it diverge
    assert {ramp.safety for ramp in finding.ramps} == {4.0}  # plain SGD's margin
    low, high = finding.search_range
    assert low < finding.suggested_lr < high <= 10.0
    assert len({ramp.seed for ramp in finding.ramps}) == 3


def test_lr_find_prints_json_with_the_suggestion_and_the_curve(workspace, capsys):
    code = netyard_here("lr-find", "cnn", "--dataset", "digits", "--set", "channels=4",
                        "--set", "depth=1", "--set", "batch_size=16", "--steps", "12",
                        "--ramps", "1", "--json")  # fmt: skip
    assert code == 0
    finding = json.loads(capsys.readouterr().out)
    assert 1e-6 <= finding["suggested_lr"] <= 1.0
    low, high = finding["search_range"]
    assert low < finding["suggested_lr"] < high
    assert len(finding["curve"]["lr"]) == len(finding["curve"]["loss"]) > 0
    assert finding["ramps"][0]["seed"] == 0 and finding["plugin"] == "cnn"
    assert finding["rule"].endswith("minimum / 1.5")  # Adam's margin


def test_bad_input_is_one_line(workspace, capsys):
    assert netyard_here("lr-find", "cnn", "--dataset", "digits", "--end-lr", "1e-9") == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == "netyard: error: the ramp must rise from a positive rate: got 1e-07 to 1e-09"


def test_the_gan_is_told_the_finder_does_not_apply(workspace, capsys):
    assert netyard_here("lr-find", "gan", "--dataset", "ring8") == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "does not apply to plugin 'gan'" in error and "sweep" in error
