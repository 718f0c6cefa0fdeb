"""The MLP module: flatten, hidden layers, a linear classifier."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


class MLP(nn.Sequential):
    def __init__(
        self, input_shape: Sequence[int], num_classes: int, hparams: Mapping[str, Any]
    ) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        features = math.prod(input_shape)
        for _ in range(int(hparams["depth"])):
            layers += [
                nn.Linear(features, int(hparams["width"])),
                _ACTIVATIONS[hparams["activation"]](),
                nn.Dropout(float(hparams["dropout"])),
            ]
            features = int(hparams["width"])
        layers.append(nn.Linear(features, num_classes))
        super().__init__(*layers)
