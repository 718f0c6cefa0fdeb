"""Plain functions behind the sweep plots (tested without widgets)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
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


LOG_SPAN = 100  # unknown scale: positive values spanning more than this factor go on a log axis
TICKS = 5  # about how many ticks a parameter's axis gets
END_GAP = 0.08  # of an axis: an end's value is labelled when no tick is nearer than this


@dataclass
class ParamAxis:
    """A parameter's values laid out on an axis of its own: ``positions`` from 0 (lowest) to 1
    (highest; NaN for a trial without the parameter), and ``ticks`` as (position, label) in the
    parameter's own units. ``log``: positions are in log10 of the values."""

    positions: np.ndarray
    ticks: list[tuple[float, str]]
    log: bool = False
    labels: list[str] | None = None  # a categorical parameter's choices, in axis order


def label(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def param_axis(
    values: Sequence[Any], log: bool | None = None, choices: Sequence[Any] | None = None
) -> ParamAxis:
    """Lay out ``values`` by choice (``choices`` given, or values that are not numbers), on a
    log scale (``log``; None: when positive values span more than ``LOG_SPAN``), or linearly."""
    numbers = _numbers(values) if choices is None else None
    if numbers is None:
        return _categorical(values, choices)
    finite = numbers[np.isfinite(numbers)]
    positive = len(finite) > 0 and finite.min() > 0
    if log is None:
        log = positive and finite.max() / finite.min() > LOG_SPAN
    log = bool(log and positive)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.log10(numbers) if log else numbers
    if not len(finite):
        return ParamAxis(np.full(len(numbers), np.nan), [], log)
    low, high = float(finite.min()), float(finite.max())
    ticks = log_ticks(low, high) if log else nice_ticks(low, high)
    span_low, span_high = (np.log10(low), np.log10(high)) if log else (low, high)
    if span_high == span_low:
        return ParamAxis(np.where(np.isfinite(scaled), 0.5, np.nan), [(0.5, label(low))], log)
    width = span_high - span_low
    positions = (scaled - span_low) / width
    marks = [(float(((np.log10(t) if log else t) - span_low) / width), label(t)) for t in ticks]
    # The lowest and highest values are labelled too, unless a round tick is next to them.
    for end, value in ((0.0, low), (1.0, high)):
        if all(abs(mark - end) > END_GAP for mark, _text in marks):
            marks.append((end, label(value)))
    return ParamAxis(positions, sorted(marks), log)


def _numbers(values: Sequence[Any]) -> np.ndarray | None:
    if any(isinstance(v, bool | str) for v in values):
        return None
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None


def _categorical(values: Sequence[Any], choices: Sequence[Any] | None) -> ParamAxis:
    """Choices in the search's order (the values' sorted order without one), then any value
    the search did not list; a missing parameter (NaN) has no position."""
    present = [value for value in values if not _missing(value)]
    labels = [label(c) for c in choices] if choices is not None else sorted(map(label, present))
    labels = list(dict.fromkeys([*labels, *map(label, present)]))
    last = max(len(labels) - 1, 1)
    where = {text: index / last if len(labels) > 1 else 0.5 for index, text in enumerate(labels)}
    positions = [np.nan if _missing(value) else where[label(value)] for value in values]
    return ParamAxis(np.asarray(positions, float), [(where[t], t) for t in labels], labels=labels)


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def nice_ticks(low: float, high: float, count: int = TICKS) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) in [low, high]."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = [round(i * step, 12) for i in range(first, math.floor(high / step + 1e-9) + 1)]
    return ticks or [low, high]


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten in [low, high], and between them 2 and 5 times them (up to two decades)
    or 3 times them (up to four); the ends when not even two of those lie inside."""
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    span = math.log10(high / low)
    multiples = (1, 2, 5) if span <= 2 else (1, 3) if span <= 4 else (1,)
    ticks = [m * 10.0**d for d in decades for m in multiples]
    inside = [float(f"{t:.12g}") for t in ticks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
    return inside if len(inside) >= 2 else sorted({*inside, low, high})


def normalise(column: np.ndarray) -> np.ndarray:
    low, high = np.nanmin(column), np.nanmax(column)
    if not np.isfinite(low) or high == low:
        return np.full_like(column, 0.5)
    return (column - low) / (high - low)


def trial_tip(number: int, values: dict[str, Any], params: dict[str, Any], state: str = "") -> str:
    """A trial's tooltip: its number (and state), then ``values`` (the objective, or a step and
    its metric), then its hyperparameters, one a line."""
    head = f"trial {number}" + (f" ({state})" if state else "")
    lines = [f"{name} = {label(value)}" for name, value in values.items()]
    lines += [f"{name} = {label(value)}" for name, value in sorted(params.items())]
    return "\n".join([head, *lines])
