"""The residual network of the CNN plugin (``architecture=resnet``), 1-D or 2-D.

He et al.'s CIFAR ResNet (2016, section 4.2): a 3x3 convolution, then three stages of
``blocks`` basic blocks (two convolutions with batch norm, added to the block's input), the
second and third stage halving the extent and doubling the width, then global average
pooling and a linear classifier. ``blocks=3`` and ``channels=64`` (stages of 16, 32, 64
feature maps) is ResNet-20. A block that changes the shape adds a 1x1 convolution of its
input (the paper's option B) rather than zero padding: a few hundred more weights, and no
shape tricks for the 1-D case. Signals take the same network with 1-D layers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from plugins.cnn._model import ACTIVATIONS, network_input_shape

STAGES = 3


def stage_widths(channels: int) -> tuple[int, ...]:
    """Feature maps of each stage: ``channels`` / 4, / 2 and ``channels`` (at least one)."""
    return tuple(max(1, channels // 2 ** (STAGES - 1 - stage)) for stage in range(STAGES))


class BasicBlock(nn.Module):
    def __init__(
        self,
        layers: dict[str, type[nn.Module]],
        width_in: int,
        width: int,
        stride: int,
        kernel: int,
        activation: Callable[[], nn.Module],
    ) -> None:
        super().__init__()
        conv, norm = layers["conv"], layers["norm"]
        # Declared first, so the last convolution of the network (Grad-CAM's layer) is a
        # block's second 3x3 convolution, never a 1x1 shortcut.
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or width_in != width:
            self.shortcut = nn.Sequential(
                conv(width_in, width, 1, stride=stride, bias=False), norm(width)
            )
        padding = kernel // 2
        self.conv1 = conv(width_in, width, kernel, stride=stride, padding=padding, bias=False)
        self.norm1 = norm(width)
        self.activation1 = activation()
        self.conv2 = conv(width, width, kernel, padding=padding, bias=False)
        self.norm2 = norm(width)
        self.activation2 = activation()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.activation1(self.norm1(self.conv1(x)))
        return self.activation2(self.norm2(self.conv2(h)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(
        self,
        input_shape: Sequence[int],
        num_classes: int,
        hparams: Mapping[str, Any],
        standardize: nn.Module | None = None,
    ) -> None:
        super().__init__()
        # Sequences arrive as (length,) or (channels, length); images as (channels, h, w).
        self.in_shape = network_input_shape(input_shape)
        two_d = len(self.in_shape) == 3
        layers = {
            "conv": nn.Conv2d if two_d else nn.Conv1d,
            "norm": nn.BatchNorm2d if two_d else nn.BatchNorm1d,
        }
        activation = ACTIVATIONS[hparams["activation"]]
        kernel = int(hparams["kernel_size"])
        widths = stage_widths(int(hparams["channels"]))
        self.standardize = standardize
        self.stem = nn.Sequential(
            layers["conv"](self.in_shape[0], widths[0], kernel, padding=kernel // 2, bias=False),
            layers["norm"](widths[0]),
            activation(),
        )
        blocks: list[nn.Module] = []
        width_in = widths[0]
        for stage, width in enumerate(widths):
            for block in range(int(hparams["blocks"])):
                stride = 2 if stage > 0 and block == 0 else 1
                blocks.append(BasicBlock(layers, width_in, width, stride, kernel, activation))
                width_in = width
        self.blocks = nn.Sequential(*blocks)
        p = float(hparams["dropout"])
        self.dropout = nn.Dropout(p) if p > 0 else nn.Identity()
        self.classifier = nn.Linear(widths[-1], num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.in_shape)
        if self.standardize is not None:
            x = self.standardize(x)
        h = self.blocks(self.stem(x))
        return self.classifier(self.dropout(h.mean(dim=tuple(range(2, h.dim())))))


def odd_kernel_problem(hparams: Mapping[str, Any]) -> str | None:
    """Why these hyperparameters cannot make a residual network, or None."""
    kernel = int(hparams["kernel_size"])
    if kernel % 2 == 0:
        return (
            f"architecture=resnet needs an odd kernel_size (each block must keep its input's "
            f"size to add it back), not {kernel}; use 3, 5, 7..."
        )
    return None
