"""Plain functions behind the sweep plots (tested without widgets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def best_so_far(values: Sequence[float], maximize: bool) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return np.maximum.accumulate(array) if maximize else np.minimum.accumulate(array)


def pareto_mask(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """True for the rows of ``points`` that no other row dominates."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    costs = points * signs  # everything minimised
    mask = np.ones(len(costs), dtype=bool)
    for index, cost in enumerate(costs):
        dominated_by = np.all(costs <= cost, axis=1) & np.any(costs < cost, axis=1)
        mask[index] = not dominated_by.any()
    return mask


LOG_SPAN = 100  # positive values spanning more than this factor are drawn on a log scale


def numeric_axis(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """Values as numbers (log10 of wide positive ranges, as a learning rate's); categories
    become 0, 1, 2... with their labels returned."""
    try:
        numbers = np.asarray(values, dtype=float)
        finite = numbers[np.isfinite(numbers)]
        if len(finite) and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN:
            return np.log10(numbers), None
        return numbers, None
    except (TypeError, ValueError):
        labels = sorted({str(v) for v in values})
        return np.asarray([labels.index(str(v)) for v in values], dtype=float), labels


def normalise(column: np.ndarray) -> np.ndarray:
    low, high = np.nanmin(column), np.nanmax(column)
    if not np.isfinite(low) or high == low:
        return np.full_like(column, 0.5)
    return (column - low) / (high - low)
