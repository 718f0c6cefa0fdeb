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
