"""The CNN plugin's own behaviour (the shared conformance suite runs in test_conformance.py).

Its model must be what its hyperparameters say (the MNIST-1D paper's ConvBase, exactly, for
the documented settings), and ``check`` must refuse precisely the settings the model cannot
be built with.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from engine.data import DataSpec
from engine.errors import UsageError
from plugins.cnn import CONVBASE, CNNPlugin
from plugins.cnn._model import output_extent

SEQUENCE = DataSpec("sequence", "classification", (40,), num_classes=10)
IMAGE = DataSpec("image", "classification", (1, 8, 8), num_classes=10)


def build(spec: DataSpec, **overrides) -> nn.Module:
    hparams = CNNPlugin.full_schema().resolve(overrides)
    plugin = CNNPlugin(hparams, spec)
    plugin.check()
    return plugin.build_model()


def test_the_documented_settings_are_the_mnist1d_convbase():
    # greydanus/mnist1d ConvBase: conv(1->25, k5, s2, p1), 2 x conv(25->25, k3, s2, p1),
    # ReLU after each, linear(125 -> 10); 5,210 parameters.
    model = build(SEQUENCE, **CONVBASE)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 25), (25, 25), (25, 25)]
    assert [c.kernel_size for c in convs] == [(5,), (3,), (3,)]
    assert all(c.stride == (2,) and c.padding == (1,) for c in convs)
    assert not any(isinstance(m, nn.BatchNorm1d | nn.MaxPool1d) for m in model.modules())
    assert (model.classifier.in_features, model.classifier.out_features) == (125, 10)
    assert sum(p.numel() for p in model.parameters()) == 5210


@pytest.mark.parametrize(
    ("spec", "batch"),
    [
        (SEQUENCE, torch.zeros(5, 40)),
        (IMAGE, torch.zeros(5, 1, 8, 8)),
        (DataSpec("sequence", "classification", (3, 20), num_classes=4), torch.zeros(5, 3, 20)),
    ],
    ids=["sequence", "image", "multichannel-sequence"],
)
def test_logits_for_each_input_kind(spec, batch):
    model = build(spec, channels=8, depth=3)
    conv = nn.Conv2d if len(spec.input_shape) == 3 else nn.Conv1d
    assert any(isinstance(m, conv) for m in model.modules())
    assert model.eval()(batch).shape == (5, spec.num_classes)


def test_average_head_and_layer_options():
    model = build(IMAGE, channels=6, depth=4, head="avg", pooling="avg", activation="gelu")
    assert model.classifier.in_features == 6
    assert sum(isinstance(m, nn.AvgPool2d) for m in model.modules()) == 2  # after layers 2, 4
    assert sum(isinstance(m, nn.GELU) for m in model.modules()) == 4
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 4
    assert model.dropout.p == pytest.approx(0.1)


def test_check_refuses_a_model_that_shrinks_its_input_to_nothing():
    hparams = CNNPlugin.full_schema().resolve({"depth": 2, "stride": 4, "padding": "0"})
    with pytest.raises(UsageError) as refused:
        CNNPlugin(hparams, IMAGE).check()
    message = str(refused.value)
    assert "2 layers (stride 4, pooling max)" in message
    assert "shape (1, 8, 8) to nothing" in message
    assert "use fewer layers or less striding" in message
    CNNPlugin(hparams, SEQUENCE).check()  # a length-40 sequence is long enough


@pytest.mark.parametrize(
    ("depth", "stride", "padding", "pooling"),
    list(itertools.product((1, 3, 5), (1, 2, 3), ("same", "0"), ("none", "max"))),
)
def test_check_agrees_with_the_model(depth, stride, padding, pooling):
    """``check`` (which computes sizes without torch) accepts exactly what can be built."""
    overrides = {
        "channels": 2,
        "depth": depth,
        "stride": stride,
        "padding": padding,
        "pooling": pooling,
    }
    hparams = CNNPlugin.full_schema().resolve(overrides)
    for spec in (SEQUENCE, IMAGE):
        extent = output_extent(spec.input_shape, hparams)
        plugin = CNNPlugin(hparams, spec)
        if extent < 1:
            with pytest.raises(UsageError):
                plugin.check()
            with pytest.raises(RuntimeError):  # what the user would otherwise meet
                plugin.build_model()
            continue
        plugin.check()
        model = plugin.build_model()  # also when it ends at 1 x 1 with batch norm
        features = model.eval().features(torch.zeros(1, *model.in_shape))
        assert features.shape[-1] == extent
        assert model.train()(torch.zeros(2, *spec.input_shape)).shape == (2, 10)
