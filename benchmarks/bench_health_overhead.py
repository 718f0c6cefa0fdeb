"""Gradient-health overhead: the training loop with its health figures vs without them.

Timed span: ``Trainer.fit`` for the paper's ConvBase on MNIST-1D (untracked: the figures'
cost in the loop, not MLflow's), with ``measure_health`` on (A: the global gradient norm,
the update-to-weight ratio and each layer group's gradient norm on the step before each of
the ~20 evaluations) and off (B). Same seed, data and evaluations on both sides. A warm-up
round of each side runs first; rounds alternate A B / B A; the figure is the median of the
per-round wall-time ratios A/B (goal: at most 1.02).

    python -m benchmarks.bench_health_overhead --threads 1
"""

from __future__ import annotations

import shutil

import torch

from benchmarks._bare_loop import (
    Stopwatch,
    Timing,
    common_arguments,
    interleave,
    new_workspace,
    prepare,
    report_ratio,
)
from engine.training import Trainer
from plugins.cnn import CONVBASE


def main() -> None:
    parser = common_arguments(__doc__.splitlines()[0], steps=3000, repeats=5)
    parser.set_defaults(goal=1.02)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    workspace = new_workspace("netyard-bench-health-")
    hparams = {**CONVBASE, "steps": args.steps}
    prepared = prepare(workspace, hparams, args.seed, args.threads, track=False)

    def fit(measure_health: bool, steps: int = args.steps) -> Timing:
        plugin = prepared.plugin_cls({**prepared.hparams, "steps": steps}, prepared.dataset.spec)
        trainer = Trainer(plugin, prepared.dataset, torch.device("cpu"), args.seed,
                          lambda event: None, measure_health=measure_health)  # fmt: skip
        stopwatch = Stopwatch()
        trainer.fit()
        return stopwatch.read()

    try:
        print(f"warm-up (200 steps each), then {args.repeats} rounds of {args.steps} steps")
        fit(True, 200)
        fit(False, 200)
        with_health, without = interleave(args.repeats, lambda: fit(True), lambda: fit(False))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print(f"A = with gradient health, B = without: {args.steps} steps, threads {args.threads}")
    report_ratio("health/none", with_health, without, args.goal)


if __name__ == "__main__":
    main()
