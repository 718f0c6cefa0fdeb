"""The CNN plugin's residual network (``architecture=resnet``): ResNet-20 by default, 1-D for
signals, a clear refusal of an even kernel, and the conformance suite on this variant."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from engine.data import DataSpec
from engine.errors import UsageError
from engine.testing import PluginConformance
from plugins.cnn import CNNPlugin
from plugins.cnn._resnet import BasicBlock

IMAGE = DataSpec("image", "classification", (3, 32, 32), num_classes=10)
SIGNAL = DataSpec("sequence", "classification", (40,), num_classes=10)


class TestCNNResNetConformance(PluginConformance):
    plugin_class = CNNPlugin
    hparams = {"architecture": "resnet", "channels": 8, "blocks": 1}


def plugin(spec: DataSpec, **overrides) -> CNNPlugin:
    built = CNNPlugin(
        CNNPlugin.full_schema().resolve({"architecture": "resnet", **overrides}), spec
    )
    built.check()
    return built


def test_the_defaults_are_resnet20():
    # He et al. 2016, section 4.2: 6n + 2 = 20 weighted layers for n = 3, stages of 16, 32
    # and 64 feature maps, about 0.27 M parameters.
    model = plugin(IMAGE).build_model()
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert [b.conv2.out_channels for b in blocks] == [16] * 3 + [32] * 3 + [64] * 3
    weighted = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(weighted) + 1 == 20  # and the classifier
    assert 0.26e6 < sum(p.numel() for p in model.parameters()) < 0.28e6
    assert model(torch.zeros(2, *IMAGE.input_shape)).shape == (2, 10)


@pytest.mark.parametrize("spec", [IMAGE, SIGNAL], ids=["image", "signal"])
def test_it_trains_a_step_on_images_and_signals(spec):
    torch.manual_seed(0)
    built = plugin(spec, channels=8, blocks=1)
    model = built.build_model()
    conv = nn.Conv2d if spec.kind == "image" else nn.Conv1d
    assert all(isinstance(m, conv) for m in model.modules() if isinstance(m, nn.Conv1d | nn.Conv2d))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = built.configure_optimizers(model)
    from engine.data import Batch

    batch = Batch(torch.rand(4, *spec.input_shape), torch.tensor([0, 1, 2, 3]))
    built.training_step(model, batch, 1)["loss"].backward()
    optimizer.step()
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_an_even_kernel_is_refused_in_one_sentence():
    with pytest.raises(UsageError, match="architecture=resnet needs an odd kernel_size") as error:
        plugin(IMAGE, kernel_size=4)
    assert "not 4" in str(error.value)


def test_an_unknown_architecture_names_the_valid_ones():
    with pytest.raises(UsageError, match="plain, resnet"):
        CNNPlugin.full_schema().resolve({"architecture": "vgg"})


@pytest.mark.parametrize("spec", [IMAGE, SIGNAL], ids=["image", "signal"])
def test_grad_cam_reads_a_block_convolution_and_maps_every_input(spec):
    from engine.explain import explain
    from engine.explain._methods import last_convolution
    from engine.models._trained import TrainedModel

    torch.manual_seed(0)
    built = plugin(spec, channels=8, blocks=1)
    model = built.build_model().eval()
    assert last_convolution(model) is model.blocks[-1].conv2  # never a 1x1 shortcut
    inputs = torch.rand(3, *spec.input_shape).numpy()
    explained = explain(TrainedModel(built, model, {}), inputs, "gradcam")
    assert explained.attributions.shape == inputs.shape
    assert np.isfinite(explained.attributions).all()
