"""Random draws from an augmenter's own generator, made on the generator's device and put
on the batch's: the draws, and so the augmented batch, depend on the seed alone."""

from __future__ import annotations

import torch


def uniform(generator: torch.Generator, count: int, low: float, high: float, like: torch.Tensor):
    """``count`` floats uniform in [low, high), on ``like``'s device and dtype."""
    draw = torch.rand(count, generator=generator, device=generator.device)
    return (low + (high - low) * draw).to(like.device, like.dtype)


def integers(generator: torch.Generator, count: int, low: int, high: int, like: torch.Tensor):
    """``count`` integers in [low, high] (both included), on ``like``'s device."""
    draw = torch.randint(low, high + 1, (count,), generator=generator, device=generator.device)
    return draw.to(like.device)


def normal(generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise of ``like``'s shape, device and dtype."""
    draw = torch.randn(like.shape, generator=generator, device=generator.device)
    return draw.to(like.device, like.dtype)
