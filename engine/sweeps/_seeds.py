"""Seeds in groups: a sweep that trains each configuration with k seeds optimises their mean.

One seed's value says as much about the seed as about the configuration; k seeds give the
mean and its standard error. The k seeds run one after another in the trial's worker slot
(the worker process is reused, so nothing is imported twice), each its own MLflow run, a
sibling of the others under the sweep's parent run, tagged with the configuration's group id
and its seed: MLflow's own "Group by" (a tag) then draws the group's mean and range, and
Netyard's Runs browser groups them by parameters.

Every configuration uses the same k seeds (the sweep's seed, seed + 1, ...), so two
configurations differ by their parameters, not by luckier seeds (common random numbers).
The pruner watches the first seed's curve only: a configuration whose first seed is behind
stops before its other seeds cost anything, and the curves Optuna compares stay one seed's
each, alike across trials (a mean of 1, then 2, then k curves would not be).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

# MLflow tags of a trial's seed runs (the trial number is ``TRIAL_NUMBER_TAG`` as for any).
GROUP_TAG = "netyard.group"
SEED_TAG = "netyard.seed"
# The trial's user attributes: the values of each seed and the standard error of the mean.
SEED_VALUES_ATTR = "netyard.seed_values"
STD_ERROR_ATTR = "netyard.std_error"
SEED_RUNS_ATTR = "netyard.seed_runs"


def trial_seeds(seed: int, count: int) -> list[int]:
    """The seeds every configuration trains with: ``seed`` and the ``count - 1`` after it."""
    return [(seed + index) % 2**32 for index in range(count)]


def group_id(plugin: str, dataset: str, hparams: Mapping[str, Any]) -> str:
    """A short id of a configuration (plugin, dataset, hyperparameters; not the seed)."""
    text = json.dumps([plugin, dataset, sorted(hparams.items())], default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def mean_and_error(values_by_seed: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
    """Per objective: the mean over the seeds and its standard error (sample standard
    deviation over sqrt(k); 0 for a single seed)."""
    means, errors = [], []
    for column in zip(*values_by_seed, strict=True):
        count = len(column)
        mean = math.fsum(column) / count
        spread = math.fsum((v - mean) ** 2 for v in column) / (count - 1) if count > 1 else 0.0
        means.append(mean)
        errors.append(math.sqrt(spread / count))
    return means, errors
