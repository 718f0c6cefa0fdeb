"""What checkpointing sweep trials costs: a sweep's wall time and the bytes written per trial.

    python -m benchmarks.bench_trial_checkpoints [--trials 10 --steps 300] [--quick]

A trial checkpoints at every evaluation (about 20 per trial), so that a trial whose worker
dies resumes from there (``engine.sweeps._crash_resume``). The same trials (random sampler,
no pruner, the same seed: the same parameters) run once as sweeps do now and once with
``checkpoint_every=0`` (only the final checkpoint: what a trial writes anyway, its best one
being kept), in the order with, without, without, with (seeds S and S+1) against drifting
load; the ratio is of the summed times. Bytes written per trial: one checkpoint's size times
the checkpoints a trial writes. The CNN on MNIST-1D, one worker, one thread. Timings on a
shared machine are noisy: run it twice.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from engine.checkpoint_files import human_size
from engine.sweeps import SweepRunner, SweepSpec, parse_search

SEARCH = ("lr=1e-3:1e-1:log", "channels=8:64", "depth=2:4")
FIXED = {"batch_size": 100}


def sweep(workspace: Path, name: str, args, seed: int, every_evaluation: bool) -> float:
    fixed = {**FIXED, "steps": args.steps}
    if not every_evaluation:
        fixed["checkpoint_every"] = 0
    spec = SweepSpec(
        plugin="cnn",
        dataset="mnist1d",
        search=[parse_search(item) for item in SEARCH],
        fixed=fixed,
        workspace=str(workspace),
        name=name,
        trials=args.trials,
        seed=seed,
        sampler="random",
        pruner="none",
        threads=1,
    )
    started = time.perf_counter()
    SweepRunner(spec).run()
    return time.perf_counter() - started


def checkpoint_sizes(workspace: Path) -> list[int]:
    """The kept checkpoint of each finished trial (its best: the size of any of its)."""
    return [p.stat().st_size for p in (workspace / "checkpoints").glob("*/best.ckpt")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="4 trials of 100 steps")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.steps = 4, 100
    times = {True: 0.0, False: 0.0}
    with tempfile.TemporaryDirectory(prefix="netyard-bench-ckpt-") as folder:
        workspace = Path(folder)
        # Untimed: the MLflow store's creation and the first worker's imports.
        sweep(workspace, "warm-up", argparse.Namespace(trials=1, steps=10), args.seed, True)
        for index, every in enumerate((True, False, False, True)):
            seed = args.seed + index // 2  # with S, without S, without S+1, with S+1
            name = f"ckpt-{'on' if every else 'off'}-{seed}"
            seconds = sweep(workspace, name, args, seed, every)
            times[every] += seconds
            print(f"{name}: {seconds:.1f} s", flush=True)
        sizes = checkpoint_sizes(workspace)
    from engine.training import EVALUATIONS_PER_RUN

    writes = min(args.steps, EVALUATIONS_PER_RUN)
    mean_size = sum(sizes) / max(1, len(sizes))
    print(
        f"{args.trials} trials x {args.steps} steps, twice each: with checkpoints at every "
        f"evaluation {times[True]:.1f} s, with the final one only {times[False]:.1f} s: "
        f"ratio {times[True] / times[False]:.3f}"
    )
    print(
        f"one checkpoint {human_size(int(mean_size))} (mean of {len(sizes)} trials), "
        f"{writes} per trial: {human_size(int(mean_size * writes))} written per trial; "
        "kept after it: one (its best)"
    )


if __name__ == "__main__":
    main()
