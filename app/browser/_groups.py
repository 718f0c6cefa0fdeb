"""Runs grouped by configuration: the same params except the seed (W&B's grouping, Aim's).

A configuration trained with several seeds (``netyard sweep --seeds-per-config K``, or runs
started by hand with other seeds) is one group: the browser lists a row per group with its
run count and the mean ± standard deviation of a metric, and the compare view draws the
group's mean curve inside a ± std band. Pure functions of the runs, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.tracking import RunRecord

# Params that do not make a configuration: the seed, where it ran, the library versions.
NOT_CONFIGURATION = ("seed", "device", "netyard_version", "torch_version", "python_version")


@dataclass
class RunGroup:
    """Runs of one configuration: ``params`` are the ones they share (the seed left out)."""

    params: dict[str, str]
    runs: list[RunRecord] = field(default_factory=list)

    def label(self, differing: Sequence[str] | None = None) -> str:
        """``name=value`` for the ``differing`` params it has (all its params if None); its
        first run's name where none is left."""
        names = sorted(self.params) if differing is None else differing
        text = " ".join(f"{name}={self.params[name]}" for name in names if name in self.params)
        return text or self.runs[0].name

    def metric_stats(self, metric: str) -> tuple[int, float, float]:
        """How many of its runs have ``metric``, their mean and standard deviation (the
        sample's; 0 for one run; NaN mean for none)."""
        values = [row.metrics[metric] for row in self.runs if metric in row.metrics]
        return (len(values), *mean_and_std(values))


def configuration(row: RunRecord) -> dict[str, str]:
    return {k: v for k, v in row.params.items() if k not in NOT_CONFIGURATION}


def group_runs(rows: Sequence[RunRecord]) -> list[RunGroup]:
    """The runs grouped by their params without the seed, in the order groups first appear."""
    groups: dict[tuple, RunGroup] = {}
    for row in rows:
        params = configuration(row)
        key = tuple(sorted(params.items()))
        groups.setdefault(key, RunGroup(params)).runs.append(row)
    return list(groups.values())


def differing_params(groups: Sequence[RunGroup]) -> list[str]:
    """The params whose values are not the same in every group: what labels them apart."""
    names = sorted({name for group in groups for name in group.params})
    return [name for name in names if len({g.params.get(name) for g in groups}) > 1]


def group_labels(groups: Sequence[RunGroup]) -> list[str]:
    """A short label per group: the params that differ among the groups of its kind (those
    with the same param names: a sweep's parent run is not compared with its trials)."""
    kinds: dict[frozenset, list[RunGroup]] = {}
    for group in groups:
        kinds.setdefault(frozenset(group.params), []).append(group)
    differing = {kind: differing_params(members) for kind, members in kinds.items()}
    return [group.label(differing[frozenset(group.params)]) for group in groups]


def mean_and_std(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = math.fsum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def band(
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The group's curve: at every x any of its runs has, the mean and standard deviation of
    the runs that have it (runs of one configuration evaluate at the same steps)."""
    xs = np.unique(np.concatenate([np.asarray(x, float) for x, _y in curves])) if curves else []
    xs = np.asarray(xs, dtype=float)
    table = np.full((len(curves), len(xs)), np.nan)
    for index, (x, y) in enumerate(curves):
        table[index, np.searchsorted(xs, np.asarray(x, float))] = np.asarray(y, float)
    counts = np.sum(~np.isnan(table), axis=0)
    mean = np.nanmean(table, axis=0) if len(curves) else np.zeros(0)
    squares = np.nansum((table - mean) ** 2, axis=0)
    std = np.sqrt(np.divide(squares, counts - 1, out=np.zeros_like(squares), where=counts > 1))
    return xs, mean, std
