"""CNN plugin on MNIST-1D with its default hyperparameters: test accuracy over seeds.

Each seed is one full ``netyard run cnn --dataset mnist1d`` equivalent (``prepare_run`` and
``execute_run`` with MLflow tracking into a fresh temporary workspace), so the wall time per
run printed here is what the README's main job costs, minus interpreter start-up and imports.
Goal: mean test accuracy >= 95 % (the paper's ConvBase: 94 % in its README, 92.3 % logged at
6000 steps).

    python -m benchmarks.bench_cnn_accuracy --threads 2
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

from benchmarks._bare_loop import new_workspace, prepare, timed_execute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="(0 1 2)")
    parser.add_argument("--steps", type=int, default=None, help="steps (the plugin's default)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a default"
    )
    parser.add_argument("--goal", type=float, default=0.95, help="smallest passing mean (0.95)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="longest passing run (60)")
    args = parser.parse_args()

    from engine.plugin import get_plugin

    overrides = get_plugin("cnn").full_schema().parse_assignments(args.set)
    if args.steps is not None:
        overrides["steps"] = args.steps
    workspace = new_workspace("netyard-bench-accuracy-")
    accuracies, seconds, cpu_seconds = [], [], []
    try:
        for seed in args.seeds:
            start, cpu_start = time.perf_counter(), time.process_time()
            prepared = prepare(workspace, overrides, seed, args.threads)
            outcome, _ = timed_execute(prepared)
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - cpu_start)
            accuracies.append(outcome.metrics["test_accuracy"])
            print(
                f"seed {seed}: test accuracy {accuracies[-1]:.4f}, "
                f"val accuracy {outcome.metrics['val_accuracy']:.4f}, "
                f"{outcome.step} steps, {seconds[-1]:.1f} s wall, {cpu_seconds[-1]:.1f} s CPU",
                flush=True,
            )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    mean = statistics.mean(accuracies)
    spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    changed = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none"
    print(
        f"mean test accuracy {mean:.4f} (sd {spread:.4f}) over seeds {args.seeds}; "
        f"overrides: {changed}; threads {args.threads}"
    )
    print(
        f"per run: wall mean {statistics.mean(seconds):.1f} s, max {max(seconds):.1f} s; "
        f"CPU (all threads) mean {statistics.mean(cpu_seconds):.1f} s"
    )
    print(f"{'PASS' if mean >= args.goal else 'FAIL'}: mean {mean:.4f} vs goal >= {args.goal}")
    slowest = max(seconds)
    verdict = "PASS" if slowest <= args.max_seconds else "FAIL"
    print(f"{verdict}: slowest run {slowest:.1f} s vs goal <= {args.max_seconds:.0f} s")


if __name__ == "__main__":
    main()
