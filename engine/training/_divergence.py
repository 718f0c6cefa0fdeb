"""Divergence: what counts as the loss blowing up, and the rollback that answers it
(``on_divergence=rollback``).

A NaN or infinite loss always counts. So does a spike: a loss more than ``SPIKE_FACTOR``
times the median of the last ``SPIKE_WINDOW`` steps and above the run's first loss (a
loss still falling from a high start is no spike). The median, not the mean, so that one
earlier spike does not raise the bar for the next. The answer is to go back to the last
evaluation's state (kept in memory), scale every learning rate by ``LR_FACTOR`` and go on,
``MAX_ROLLBACKS`` times at most.
"""

from __future__ import annotations

import copy
import statistics
from collections import deque
from collections.abc import Sequence
from typing import Any

import torch

from engine.training._errors import NonFiniteLoss

FAIL, ROLLBACK = "fail", "rollback"
MAX_ROLLBACKS = 3
LR_FACTOR = 0.5
SPIKE_FACTOR = 10.0
SPIKE_WINDOW = 50
MIN_HISTORY = 10  # steps seen before a spike can be told from the start's noise


class LossSpike(NonFiniteLoss):
    """A finite loss far above its recent median: divergence on its way (a rollback run only)."""


class SpikeDetector:
    """Watches the training loss step by step; ``observe`` raises ``LossSpike`` on a spike."""

    def __init__(self, window: int = SPIKE_WINDOW, factor: float = SPIKE_FACTOR) -> None:
        self.recent: deque[float] = deque(maxlen=window)
        self.factor = factor
        self.initial: float | None = None

    def observe(self, name: str, steps: Sequence[int], losses: Sequence[float]) -> None:
        for step, loss in zip(steps, losses, strict=True):
            if self.initial is None:
                self.initial = loss
            if len(self.recent) >= MIN_HISTORY:
                median = statistics.median(self.recent)
                # A loss that may be negative (a GAN's, a likelihood's) has no scale to spike by.
                if median > 0 and loss > self.factor * median and loss > self.initial:
                    raise LossSpike(
                        f"{name} spiked to {loss:.4g} at step {step} (over {self.factor:g}x "
                        f"the median {median:.4g} of the last {len(self.recent)} steps)",
                        step,
                    )
            self.recent.append(loss)


class GoodState:
    """The run's state at its last good evaluation, in memory, and the learning-rate scale it
    was taken at (a rollback past a lowered rate lowers it from there)."""

    def __init__(self) -> None:
        self.state: dict[str, Any] | None = None
        self.lr_scale = 1.0

    def keep(self, state: dict[str, Any], lr_scale: float) -> None:
        # Deep: the model's and the optimizers' tensors go on changing in place.
        self.state = copy.deepcopy(state)
        self.lr_scale = lr_scale


def scale_learning_rates(
    optimizers: Sequence[torch.optim.Optimizer], schedulers: Sequence[Any], factor: float
) -> None:
    """Every learning rate times ``factor``, for the rest of the run: a scheduler's base
    rates too (``LambdaLR`` sets the rate from them at every step)."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] *= factor
            if "initial_lr" in group:
                group["initial_lr"] *= factor
    for scheduler in schedulers:
        scheduler.base_lrs = [rate * factor for rate in scheduler.base_lrs]
