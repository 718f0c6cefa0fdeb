"""Augmentations of a batch of 1-D signals, (batch, length) or (batch, channels, length),
vectorised over the batch: the jitter, scaling and shifts of time-series augmentation
(Um et al., 2017, for wearable sensors; MNIST-1D's own samples are made with shifts)."""

from __future__ import annotations

import torch

from engine.augment._draws import integers, normal, uniform


def _per_signal(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return values.view(-1, *([1] * (x.dim() - 1)))


def jitter(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise of ``strength`` times the batch's standard deviation (per channel, so
    a strength means the same whatever the signal's units)."""
    over = (0, -1) if x.dim() == 3 else (0, 1)
    spread = x.std(dim=over, keepdim=True)
    return x + strength * spread * normal(generator, x)


def scaling(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Each signal times a factor in [1 - strength, 1 + strength]."""
    return x * _per_signal(uniform(generator, len(x), 1.0 - strength, 1.0 + strength, x), x)


def shift(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Each signal moved by up to ``fraction`` of its length either way, the value at the end
    it moves away from repeated (no wrap-around: the end of a signal is not its start)."""
    length = x.shape[-1]
    most = round(fraction * length)
    if most == 0:
        return x
    moves = integers(generator, len(x), -most, most, x)
    source = (torch.arange(length, device=x.device)[None, :] - moves[:, None]).clamp_(0, length - 1)
    if x.dim() == 3:
        source = source[:, None, :].expand(-1, x.shape[1], -1)
    return x.gather(-1, source)


# In the order they are applied.
OPERATIONS = {"augment_shift": shift, "augment_scaling": scaling, "augment_jitter": jitter}
