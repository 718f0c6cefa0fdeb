"""Per-channel standardisation that travels with the model.

The mean and std of each input channel are measured on the training split only and kept as
buffers of a ``Standardize`` layer at the front of the network. Buffers are in the
``state_dict``, so the statistics are saved in checkpoints and ``model.safetensors``, loaded
by ``netyard predict`` and the MLflow pyfunc model, and written as constants into ONNX and
TorchScript exports: every path that runs the model applies exactly what training applied,
and none of them needs to know that it happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from engine.data import Split

# Samples per chunk while measuring: a 50 000-image split is never copied whole as float.
_CHUNK = 1024
# A channel that never varies in training (say, a blank border channel) is only shifted:
# dividing by its zero std would turn any later deviation into an infinity.
_FLAT = 1e-6


def channel_statistics(split: Split, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (population) std of each of the ``channels`` input channels over ``split``,
    as float32 tensors of shape (channels,) on the CPU.

    Samples are read in chunks through ``Split.take``, the way batches are, so the figures
    are those of what the model sees whatever the split stores (floats or bytes). Values are
    shifted by the first chunk's means before they are summed (the shifted-data variance):
    float32 sums of small centred values stay exact, where ``E[x^2] - E[x]^2`` of data far
    from zero would cancel away; the chunks' sums add up in float64.
    """
    shift: torch.Tensor | None = None
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    count = 0
    for start in range(0, len(split), _CHUNK):
        x = split.take(slice(start, start + _CHUNK)).x
        values = x.reshape(x.shape[0], channels, -1).float()
        if shift is None:
            shift = values.double().mean(dim=(0, 2)).float()
        centred = values - shift[None, :, None]
        total += centred.sum(dim=(0, 2)).double().cpu()
        squares += centred.square_().sum(dim=(0, 2)).double().cpu()
        count += values.shape[0] * values.shape[2]
    if shift is None:
        return torch.zeros(channels), torch.ones(channels)
    offset = total / count
    std = (squares / count - offset.square()).clamp_min(0.0).sqrt()
    std = torch.where(std > _FLAT, std, torch.ones_like(std))
    return (shift.double().cpu() + offset).float(), std.float()


class Standardize(nn.Module):
    """``(x - mean) / std`` per channel of a batch shaped (batch, channels, ...).

    Built with the training statistics for a run, or with the identity (mean 0, std 1) when
    a saved model is rebuilt: its weights file then brings the statistics. A state dict
    saved before this layer existed (an older checkpoint resumed with the new default) has
    no statistics: the layer keeps the identity, so the old model computes what it did.
    """

    def __init__(
        self, channels: int, mean: torch.Tensor | None = None, std: torch.Tensor | None = None
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels) if mean is None else mean.clone())
        self.register_buffer("std", torch.ones(channels) if std is None else std.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return (x - self.mean.view(shape)) / self.std.view(shape)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        for name, identity in (("mean", torch.zeros_like), ("std", torch.ones_like)):
            state_dict.setdefault(prefix + name, identity(getattr(self, name)))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
