"""Population-based training against TPE and random search at the same training steps.

    python -m benchmarks.bench_pbt [--population 8 --steps 400 --interval 50] [--quick]

The CNN on MNIST-1D with the learning rate searched (1e-4..1e-1, log), the best trial's
val_accuracy of each sweep, the mean of 3 sweep seeds: PBT trains ``population`` members of
``steps`` steps, exploiting every ``interval``; TPE and random run ``population`` trials of
``steps`` steps without pruning: the same total training steps. Also the mean time of an
exploit (copying one member's checkpoint into another's folder). Timings on a shared machine
are noisy; the accuracies are not.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from engine.sweeps import SweepSpec, parse_search, runner_for

FIXED = {"batch_size": 100, "depth": 2, "channels": 16}
SEEDS = (0, 1, 2)


def sweep(workspace: Path, method: str, seed: int, args) -> tuple[float, list[float]]:
    """The best value of one sweep, and its exploits' copy times (PBT)."""
    fields = {"algorithm": "pbt", "population": args.population, "interval": args.interval}
    if method != "pbt":
        fields = {"sampler": method, "pruner": "none"}
    spec = SweepSpec(plugin="cnn", dataset="mnist1d", search=[parse_search("lr=1e-4:1e-1:log")],
                     fixed={**FIXED, "steps": args.steps}, workspace=str(workspace),
                     name=f"{method}-{seed}", trials=args.population, seed=seed,
                     parallel=args.parallel, threads=1, **fields)  # fmt: skip
    runner = runner_for(spec)
    finished = runner.run()
    return finished.best_values[0], list(getattr(runner, "exploit_seconds", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--interval", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="4 members of 80 steps")
    args = parser.parse_args()
    if args.quick:
        args.population, args.steps, args.interval = 4, 80, 20
    best: dict[str, list[float]] = {"pbt": [], "tpe": [], "random": []}
    copies: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="netyard-bench-pbt-") as folder:
        for seed in SEEDS:
            for method in best:
                value, seconds = sweep(Path(folder), method, seed, args)
                best[method].append(value)
                copies += seconds
                print(f"{method} seed {seed}: best val_accuracy {value:.4f}", flush=True)
    total = args.population * args.steps
    print(f"\n{args.population} x {args.steps} steps = {total} training steps per sweep, "
          f"{len(SEEDS)} sweep seeds ({time.perf_counter() - started:.0f} s in all)")  # fmt: skip
    print("| method | best val_accuracy (mean of 3) | per seed |\n|---|---|---|")
    for method, values in best.items():
        each = ", ".join(f"{v:.4f}" for v in values)
        print(f"| {method} | {statistics.mean(values):.4f} | {each} |")
    if copies:
        print(f"exploit (checkpoint copy): {1000 * statistics.mean(copies):.1f} ms mean over "
              f"{len(copies)} copies; {len(copies) / len(SEEDS):.1f} per sweep")  # fmt: skip


if __name__ == "__main__":
    main()
