"""The plain CNN module (``architecture=plain``), 1-D or 2-D by the rank of the input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def network_input_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    """One sample as the convolutions take it: (channels, length) or (channels, h, w)."""
    return tuple(input_shape) if len(input_shape) > 1 else (1, int(input_shape[0]))


def _padding(hparams: Mapping[str, Any], kernel: int) -> int:
    return kernel // 2 if hparams["padding"] == "same" else int(hparams["padding"])


def _pools_after(layer: int, hparams: Mapping[str, Any], extent: int) -> bool:
    return hparams["pooling"] != "none" and layer % 2 == 1 and extent >= 2


def output_extent(input_shape: Sequence[int], hparams: Mapping[str, Any]) -> int:
    """Length (or side) of the feature maps after all layers; < 1 means the model can't work."""
    extent = int(input_shape[-1])
    for layer in range(int(hparams["depth"])):
        kernel = int(hparams["first_kernel"] if layer == 0 else hparams["kernel_size"])
        extent = (extent + 2 * _padding(hparams, kernel) - kernel) // int(hparams["stride"]) + 1
        if extent < 1:
            return extent
        if _pools_after(layer, hparams, extent):
            extent //= 2
    return extent


class ConvNet(nn.Module):
    def __init__(
        self,
        input_shape: Sequence[int],
        num_classes: int,
        hparams: Mapping[str, Any],
        standardize: nn.Module | None = None,
    ) -> None:
        super().__init__()
        # Sequences arrive as (length,) or (channels, length); images as (channels, h, w).
        self.two_d = len(input_shape) == 3
        self.in_shape = network_input_shape(input_shape)
        # None when off: no state (weights saved before it existed load) and no call per step.
        self.standardize = standardize
        conv = nn.Conv2d if self.two_d else nn.Conv1d
        norm = nn.BatchNorm2d if self.two_d else nn.BatchNorm1d
        pool_type = {
            "max": nn.MaxPool2d if self.two_d else nn.MaxPool1d,
            "avg": nn.AvgPool2d if self.two_d else nn.AvgPool1d,
        }.get(hparams["pooling"])
        layers: list[nn.Module] = []
        channels_in, channels = self.in_shape[0], int(hparams["channels"])
        extent = int(input_shape[-1])
        for layer in range(int(hparams["depth"])):
            kernel = int(hparams["first_kernel"] if layer == 0 else hparams["kernel_size"])
            padding = _padding(hparams, kernel)
            layers.append(
                conv(channels_in, channels, kernel, stride=int(hparams["stride"]), padding=padding)
            )
            if hparams["batch_norm"]:
                layers.append(norm(channels))
            layers.append(ACTIVATIONS[hparams["activation"]]())
            extent = (extent + 2 * padding - kernel) // int(hparams["stride"]) + 1
            if _pools_after(layer, hparams, extent):
                layers.append(pool_type(2))
                extent //= 2
            channels_in = channels
        self.features = nn.Sequential(*layers)
        self.average = hparams["head"] == "avg"
        with torch.no_grad():
            # A one-sample probe in eval mode: in training mode batch norm refuses a single
            # value per channel, which is what a model ending at 1 x 1 would give it.
            self.features.eval()
            features = self._features(torch.zeros(1, *self.in_shape))
            self.features.train()
        # No Dropout module at p = 0: it would still cost a call per step (about 1 %).
        p = float(hparams["dropout"])
        self.dropout = nn.Dropout(p) if p > 0 else nn.Identity()
        self.classifier = nn.Linear(features.shape[1], num_classes)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.average:
            return h.mean(dim=tuple(range(2, h.dim())))
        return h.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.in_shape)
        if self.standardize is not None:
            x = self.standardize(x)
        return self.classifier(self.dropout(self._features(x)))
