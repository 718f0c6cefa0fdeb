"""Samplers and pruners by name: which exist, which combinations are valid, how they are built.

Pruners watch the training step as their resource: every evaluation reports the objective's
validation metric at its step.
"""

from __future__ import annotations

from typing import Any

from engine.errors import UsageError

SAMPLERS = ("tpe", "random", "grid", "cmaes", "gp", "nsgaii")
PRUNERS = ("median", "successive_halving", "hyperband", "none")
_SINGLE_OBJECTIVE_ONLY = ("cmaes",)
# Sweeps that pause trials and resume them from checkpoints: population-based training, and
# asynchronous successive halving whose promoted trials resume.
ALGORITHMS = ("pbt", "asha")
INTERVALS_PER_RUN = 5  # a population's default interval: a fifth of the steps

# The median pruner compares a trial with earlier trials at the same step; it waits for a few
# complete trials and skips the first evaluations, whose values say little about the end.
MEDIAN_STARTUP_TRIALS = 5
WARMUP_FRACTION = 0.1


def check_algorithms(sampler: str, pruner: str, multi_objective: bool) -> None:
    if sampler not in SAMPLERS:
        raise UsageError(f"unknown sampler {sampler!r}; valid: {', '.join(SAMPLERS)}")
    if pruner not in PRUNERS:
        raise UsageError(f"unknown pruner {pruner!r}; valid: {', '.join(PRUNERS)}")
    if multi_objective and sampler in _SINGLE_OBJECTIVE_ONLY:
        raise UsageError(
            f"sampler {sampler!r} optimises one objective only; for several use nsgaii, tpe, "
            f"random, grid or gp"
        )
    if multi_objective and pruner != "none":
        raise UsageError(
            f"pruner {pruner!r} cannot prune a multi-objective sweep (Optuna prunes on one "
            f"value); use --pruner none"
        )


def check_algorithm(spec, steps: int, multi_objective: bool, trials: int | None) -> int | None:
    """The trial budget of ``spec.algorithm`` (pbt: its population), once its settings are
    valid; else one ``UsageError`` naming the bad value and what is valid."""
    algorithm = str(spec.algorithm).lower()
    if algorithm not in ALGORITHMS:
        raise UsageError(f"unknown algorithm {spec.algorithm!r}; valid: {', '.join(ALGORITHMS)}")
    if multi_objective:
        raise UsageError(f"algorithm {algorithm!r} optimises one objective only; give one --metric")
    if spec.seeds_per_config != 1:
        raise UsageError(f"algorithm {algorithm!r} trains each member with one seed: drop "
                         f"--seeds-per-config {spec.seeds_per_config}")  # fmt: skip
    population, interval = spec.population, spec.interval
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval < steps
    ):
        what = "steps between exploits" if algorithm == "pbt" else "steps of the first rung"
        raise UsageError(
            f"invalid interval {interval!r}: expected a whole number of {what} from 1 to "
            f"{steps - 1} (below the {steps} steps each trial trains)"
        )
    if algorithm == "asha":
        return trials
    if (
        isinstance(population, bool)
        or not isinstance(population, int)
        or not 2 <= population <= 256
    ):
        raise UsageError(
            f"invalid population {population!r}: expected a whole number of members from 2 to "
            f"256 (members copy one another)"
        )
    return population


def interval_steps(spec, steps: int) -> int:
    """The steps between two exploits: ``spec.interval``, or a fifth of the training."""
    return spec.interval or max(1, steps // INTERVALS_PER_RUN)


def make_sampler(name: str, seed: int, grid: dict[str, list[Any]] | None = None):
    import optuna

    samplers = optuna.samplers
    if name == "tpe":
        return samplers.TPESampler(seed=seed)
    if name == "random":
        return samplers.RandomSampler(seed=seed)
    if name == "grid":
        return _grid_sampler_class()(grid or {}, seed=seed)
    if name == "cmaes":
        return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "gp":
        return samplers.GPSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsgaii":
        return samplers.NSGAIISampler(seed=seed)
    raise AssertionError(name)


def _grid_sampler_class():
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        """Optuna's grid sampler calls ``study.stop()`` once the grid is used up, which works
        only inside ``study.optimize``; the runner caps the budget at the grid size instead."""

        def after_trial(self, study, trial, state, values) -> None:
            return None

    return AskTellGridSampler


def make_pruner(name: str, steps: int, eval_interval: int):
    import optuna

    pruners = optuna.pruners
    if name == "median":
        return pruners.MedianPruner(
            n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=int(steps * WARMUP_FRACTION)
        )
    if name == "successive_halving":
        return pruners.SuccessiveHalvingPruner(min_resource=eval_interval)
    if name == "hyperband":
        return pruners.HyperbandPruner(min_resource=eval_interval, max_resource=steps)
    if name == "none":
        return pruners.NopPruner()
    raise AssertionError(name)
