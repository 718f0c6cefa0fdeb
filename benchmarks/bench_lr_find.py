"""The learning-rate finder against a 5-point log grid, per built-in dataset.

For each (plugin, dataset), kept small: find the rate (``netyard lr-find``'s defaults: 3
ramps of 100 steps), then train with it and with each of 5 rates from 1e-4 to 1e-1 (log
grid) for the same steps, and print the test accuracy (or test loss/mse for forecasting)
of each. The target: the suggestion within 2 points of the grid's best accuracy, or within
10 % of its best loss. Run: python benchmarks/bench_lr_find.py [--steps 600]
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np

from engine.lr_finder import find_lr_for
from engine.runner import RunConfig, execute_run, prepare_run

CASES = [  # (plugin, dataset, small hyperparameters, metric, higher is better)
    ("cnn", "digits", {"channels": 16, "depth": 2}, "test_accuracy", True),
    ("cnn", "mnist1d", {"channels": 16, "depth": 3}, "test_accuracy", True),
    ("rnn", "mnist1d", {}, "test_accuracy", True),
    ("rnn", "sines", {}, "test_mse", False),
    ("transformer", "sort", {}, "test_exact_match", True),
]
GRID = np.geomspace(1e-4, 1e-1, 5)


def _train(config: RunConfig, lr: float, metric: str) -> float:
    config = RunConfig(config.plugin, config.dataset, {**config.hparams, "lr": float(lr)},
                       workspace=config.workspace, track=False, checkpoints=False)  # fmt: skip
    outcome = execute_run(prepare_run(config))
    return float(outcome.metrics.get(metric, float("nan")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600, help="training steps per run")
    args = parser.parse_args()
    workspace = tempfile.mkdtemp(prefix="bench-lr-find-")
    for plugin, dataset, hparams, metric, higher in CASES:
        config = RunConfig(plugin, dataset, {**hparams, "steps": args.steps}, workspace=workspace)
        suggested = find_lr_for(config).suggested_lr
        found = _train(config, suggested, metric)
        grid = [_train(config, lr, metric) for lr in GRID]
        best = np.nanmax(grid) if higher else np.nanmin(grid)
        if metric.endswith(("accuracy", "match")):
            gap = 100 * (best - found)
            verdict = f"{gap:+.1f} points behind the grid's best (target <= 2)"
        else:
            gap = (found - best) / best
            verdict = f"{100 * gap:+.1f} % above the grid's best loss (target <= 10 %)"
        cells = ", ".join(f"{lr:.0e}: {value:.4g}" for lr, value in zip(GRID, grid, strict=True))
        print(f"{plugin}/{dataset}: suggested lr {suggested:.2g} -> {metric} {found:.4g}; "
              f"grid {cells}; {verdict}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
