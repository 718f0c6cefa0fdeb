"""Population-based training's decisions (Jaderberg et al. 2017; Ray Tune's
``PopulationBasedTraining`` is the reference): which members copy which (exploit), and how a
copied member's searched hyperparameters move (explore). Pure functions of plain data and a
seeded ``random.Random``: the coordinator and its tests share them, and a resumed population
draws the same decisions again.

- Exploit: at each interval the members in the bottom quantile (by their last objective
  value) each copy a member drawn from the top quantile: its weights, optimizer state and
  hyperparameters.
- Explore: each searched hyperparameter of the copy is, with probability
  ``RESAMPLE_PROBABILITY``, drawn anew from its search range; otherwise a number is multiplied
  by 0.8 or 1.2 (kept inside its range; a whole number stays whole and moves by at least 1),
  a choice moves to a neighbouring choice, and a yes/no keeps its value.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

QUANTILE = 0.25  # the bottom and top fractions of the population (Ray's quantile_fraction)
RESAMPLE_PROBABILITY = 0.25  # Ray's resample_probability
FACTORS = (0.8, 1.2)  # Ray's perturbation_factors


@dataclass(frozen=True)
class Range:
    """Where one searched hyperparameter may move: ``low``..``high`` (``log`` scale for
    resampling, ``integer`` for whole numbers), or its ``choices`` in order."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Exploit:
    """Member ``member`` copies member ``source`` and takes hyperparameters ``params``."""

    member: int
    source: int
    params: dict[str, Any]


def quantiles(
    scores: Mapping[int, float], maximize: bool, fraction: float = QUANTILE
) -> tuple[list[int], list[int]]:
    """(bottom, top) members by score; each side at least one member once there are two,
    never overlapping. A member without a finite score is at the bottom."""

    def key(member: int) -> float:
        value = scores[member]
        if not math.isfinite(value):
            return -math.inf
        return value if maximize else -value

    ranked = sorted(scores, key=lambda member: (key(member), -member))  # worst first
    if len(ranked) < 2:
        return [], []
    count = max(1, min(len(ranked) // 2, int(round(len(ranked) * fraction))))
    return ranked[:count], ranked[-count:]


def decide(
    scores: Mapping[int, float],
    params: Mapping[int, Mapping[str, Any]],
    ranges: Mapping[str, Range],
    maximize: bool,
    rng: random.Random,
) -> list[Exploit]:
    """The exploits of one interval, for members ``scores`` (their last objective values)
    holding hyperparameters ``params``; ``ranges`` are the searched ones."""
    bottom, top = quantiles(scores, maximize)
    decisions = []
    for member in bottom:
        source = rng.choice(top)
        decisions.append(Exploit(member, source, explore(params[source], ranges, rng)))
    return decisions


def explore(
    params: Mapping[str, Any], ranges: Mapping[str, Range], rng: random.Random
) -> dict[str, Any]:
    """``params`` with each searched one perturbed or resampled (see the module's text)."""
    moved = dict(params)
    for name in sorted(ranges):
        moved[name] = _move(params[name], ranges[name], rng)
    return moved


def _move(value: Any, where: Range, rng: random.Random) -> Any:
    resample = rng.random() < RESAMPLE_PROBABILITY
    if where.choices is not None:
        return _move_choice(value, where.choices, resample, rng)
    if resample:
        return _sample(where, rng)
    factor = rng.choice(FACTORS)
    if where.integer:
        step = max(1, abs(round(value * factor) - value))
        moved = value + step if factor > 1 else value - step
        return int(min(max(moved, where.low), where.high))
    return float(min(max(value * factor, where.low), where.high))


def _move_choice(value: Any, choices: Sequence[Any], resample: bool, rng: random.Random) -> Any:
    if resample or value not in choices:
        return rng.choice(list(choices))
    if isinstance(value, bool) and set(choices) == {True, False}:
        return value  # a yes/no has no neighbour: only a resample changes it
    index = list(choices).index(value)
    neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(choices)]
    return choices[rng.choice(neighbours)] if neighbours else value


def _sample(where: Range, rng: random.Random) -> float | int:
    low, high = float(where.low), float(where.high)
    if where.log and low > 0:
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    else:
        value = rng.uniform(low, high)
    if where.integer:
        return int(min(max(round(value), where.low), where.high))
    return value
