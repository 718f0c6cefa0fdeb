"""From the losses of learning-rate ramps to one suggested rate (no torch: the app reads it).

The rule, and why: a single ramp's "steepest descent" point (Lightning's default) is the
argmin of a derivative of a noisy curve, so noise moves it by decades from one seed to the
next (lightning#1767). Two things make ours stable instead:

- the landmark is the *minimum* of the smoothed loss, the rate where training stops
  improving and starts to blow up; a minimum of a smoothed curve moves little under noise.
  The suggestion is that rate divided by a safety factor that depends on the optimizer, as
  measured (benchmarks/bench_lr_find.py, docs/benchmarks.md): with an adaptive optimizer
  (Adam, RMSprop...) the best rate of a run of a few hundred steps lies just below the
  minimum (the RNN on MNIST-1D: 0.68 accuracy at the minimum / 10, fastai's classic rule,
  0.94 / 0.95 / 0.98 / 0.96 at / 3, / 2, / 1.5, / 1, and 0.97 at the grid's best), so the
  factor is 1.5; plain SGD diverges right at the minimum (the ramp's loss lags the edge:
  tests/engine/test_lr_finder.py's least squares), so its factor is 4;
- each ramp starts from another seed (weights and batch order) and the suggestion is the
  median over the ramps (3 by default), so one unlucky ramp cannot move it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DIVERGENCE_FACTOR = 4.0  # a ramp ends once its smoothed loss is this far above its best
ADAPTIVE_SAFETY, SGD_SAFETY = 1.5, 4.0  # the suggestion: the minimum's rate / this
RANGE_BELOW, RANGE_ABOVE = 10.0, 3.0  # a sweep's range: suggestion / 10 .. suggestion x 3
EMA_BETA = 0.9  # the running average that watches for divergence while ramping


def ramp_rates(start_lr: float, end_lr: float, steps: int) -> np.ndarray:
    """The exponential ramp: ``steps`` rates from ``start_lr`` to ``end_lr`` evenly in log."""
    return np.geomspace(start_lr, end_lr, steps)


def smooth(losses: Sequence[float]) -> np.ndarray:
    """A centred moving average (about a tenth of the ramp wide, at least 5 steps): centred,
    unlike an exponential average, so the curve's minimum is not dragged to higher rates."""
    values = np.asarray(losses, dtype=float)
    if values.size == 0:
        return values
    half = max(2, values.size // 20)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(values.size)
    low, high = np.maximum(index - half, 0), np.minimum(index + half + 1, values.size)
    return (sums[high] - sums[low]) / (high - low)


class DivergenceWatch:
    """Tells the ramp to stop: a loss that is not finite, or a running average of the loss
    ``DIVERGENCE_FACTOR`` times its best (Lightning's ``early_stop_threshold``)."""

    def __init__(self) -> None:
        self.average: float | None = None
        self.best = math.inf

    def diverged(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        self.average = (
            loss if self.average is None else EMA_BETA * self.average + (1 - EMA_BETA) * loss
        )
        self.best = min(self.best, self.average)
        return self.average > DIVERGENCE_FACTOR * max(self.best, 1e-12) and self.best > 0


@dataclass(frozen=True)
class Ramp:
    """One ramp: the rates it reached and the training loss at each (before that step's
    update), until it ended or diverged."""

    seed: int
    lrs: list[float]
    losses: list[float]
    safety: float = ADAPTIVE_SAFETY  # the minimum's rate over the suggestion (the optimizer's)

    @property
    def smoothed(self) -> np.ndarray:
        return smooth(self.losses)

    @property
    def lr_at_min(self) -> float:
        """The rate at the smoothed loss's minimum."""
        return float(self.lrs[int(np.argmin(self.smoothed))])

    @property
    def suggested_lr(self) -> float:
        """This ramp's own suggestion (the finder's is the median over the ramps)."""
        return self.lr_at_min / self.safety

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "lr_at_min": self.lr_at_min,
            "suggested_lr": self.suggested_lr,
            "lr": list(self.lrs),
            "loss": [float(v) for v in self.losses],
            "smoothed_loss": [float(v) for v in self.smoothed],
        }


@dataclass(frozen=True)
class LrFinding:
    """What the finder found: the suggestion, a search range for a sweep, and the curve
    (each step's median over the ramps of the smoothed loss) to draw."""

    plugin: str
    dataset: str
    suggested_lr: float
    search_range: tuple[float, float]
    curve_lr: list[float]
    curve_loss: list[float]
    ramps: list[Ramp] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (no NaN): what ``netyard lr-find --json`` prints and the app reads."""
        safety = self.ramps[0].safety if self.ramps else ADAPTIVE_SAFETY
        return {
            "plugin": self.plugin,
            "dataset": self.dataset,
            "suggested_lr": self.suggested_lr,
            "search_range": list(self.search_range),
            "rule": f"median over {len(self.ramps)} ramps of the smoothed loss's minimum / "
            f"{safety:g}",
            "curve": {"lr": self.curve_lr, "loss": self.curve_loss},
            "ramps": [ramp.to_dict() for ramp in self.ramps],
        }


def combine(plugin: str, dataset: str, ramps: Sequence[Ramp], low: float, high: float) -> LrFinding:
    """The finding from ramps that each trained at least one step; the suggestion and the
    range are kept inside the hyperparameter's valid range ``[low, high]``."""
    per_ramp = [ramp.suggested_lr for ramp in ramps]
    # Two significant digits: the rule is not finer than that, and a user types it.
    median = float(f"{np.exp(np.median(np.log(per_ramp))):.2g}")
    suggested = float(np.clip(median, low, high))
    # A decade below the suggestion, up to twice the loss's minimum (past the edge a little:
    # the best rate of a longer run can lie there).
    search_range = (max(low, suggested / RANGE_BELOW), min(high, suggested * RANGE_ABOVE))
    longest = max(len(ramp.lrs) for ramp in ramps)
    table = np.full((len(ramps), longest), np.nan)
    for row, ramp in enumerate(ramps):
        table[row, : len(ramp.lrs)] = ramp.smoothed
    curve_lr = next(ramp.lrs for ramp in ramps if len(ramp.lrs) == longest)
    curve_loss = [float(np.median(column[np.isfinite(column)])) for column in table.T]
    return LrFinding(
        plugin, dataset, suggested, search_range, list(curve_lr), curve_loss, list(ramps)
    )
