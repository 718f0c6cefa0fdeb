"""Curve smoothing: TensorBoard's debiased exponential moving average, as pure functions.

TensorBoard (``tensorboard/plugins/scalar/vz_line_chart``) starts the average at zero and
divides by ``1 - weight**n`` (``n`` the finite points seen so far), so the first points are
not pulled towards zero; a NaN or infinite point is shown as it is and left out of the average.
The average is causal, so a growing series is smoothed a chunk at a time (``extend_ema``)
without going over its old points again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_WEIGHT = 0.99  # past this the curve barely moves and the debiasing blows up rounding


@dataclass(frozen=True)
class EmaState:
    """Where an average stands after some points: the biased sum and how many finite points."""

    biased: float = 0.0
    count: int = 0


def extend_ema(
    values: Sequence[float] | np.ndarray, weight: float, state: EmaState = EmaState()
) -> tuple[np.ndarray, EmaState]:
    """The smoothed ``values`` continuing from ``state``, and the state after them."""
    if not 0.0 <= weight <= MAX_WEIGHT:
        raise ValueError(f"smoothing weight {weight!r} is outside 0 .. {MAX_WEIGHT}")
    raw = np.asarray(values, dtype=np.float64)
    if weight == 0.0:
        return raw.copy(), EmaState(state.biased, state.count + int(np.isfinite(raw).sum()))
    smoothed = np.empty_like(raw)
    biased, count = state.biased, state.count
    keep = 1.0 - weight
    for index, value in enumerate(raw.tolist()):  # a Python float loop: 0.1 µs a point
        if not math.isfinite(value):
            smoothed[index] = value
            continue
        biased = biased * weight + keep * value
        count += 1
        smoothed[index] = biased / (1.0 - weight**count)
    return smoothed, EmaState(biased, count)


def ema(values: Sequence[float] | np.ndarray, weight: float) -> np.ndarray:
    """``values`` smoothed with weight 0 (none) .. 0.99 (heavy), debiased as TensorBoard does."""
    return extend_ema(values, weight)[0]
