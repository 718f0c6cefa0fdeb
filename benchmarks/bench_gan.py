"""GAN plugin on ring8 and grid25 with its default hyperparameters: mode coverage over seeds.

Each seed is one ``netyard run gan --dataset DATASET`` equivalent (``prepare_run`` then
``execute_run``, untracked), scored on 2500 test-time samples as VEEGAN and PacGAN do: modes
captured, high-quality share (within 3 std of the nearest mode), reverse KL of the mode
histogram. Goals: ring8 8/8 modes with >= 95 % high quality; grid25 >= 24/25 modes with
>= 90 % high quality. Published (Lin et al. 2018, Table 1): plain GAN 6.3/8 and 17.3/25;
PacGAN2 7.9/8 at 95.6 % and 23.8/25 at 91.3 %.

    python -m benchmarks.bench_gan --threads 1
    python -m benchmarks.bench_gan --datasets grid25 --seeds 0 1 --set packing=1
"""

from __future__ import annotations

import argparse
import statistics
import time

GOALS = {"ring8": (8, 0.95), "grid25": (24, 0.90)}  # (modes at least, high quality at least)


def run_once(dataset: str, seed: int, overrides: dict, threads: int) -> tuple[dict, int, float]:
    from engine.runner import RunConfig, execute_run, prepare_run

    start = time.perf_counter()
    config = RunConfig("gan", dataset, dict(overrides), seed=seed, threads=threads, track=False)
    outcome = execute_run(prepare_run(config))
    if outcome.status != "finished":
        raise SystemExit(f"{dataset} seed {seed}: run {outcome.status}: {outcome.error}")
    return outcome.metrics, outcome.step, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(GOALS), choices=list(GOALS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="(0 1 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a default"
    )
    args = parser.parse_args()

    from engine.plugin import get_plugin

    overrides = get_plugin("gan").full_schema().parse_assignments(args.set)
    changed = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none"
    verdicts = []
    for dataset in args.datasets:
        modes, quality, divergence, seconds = [], [], [], []
        for seed in args.seeds:
            metrics, steps, wall = run_once(dataset, seed, overrides, args.threads)
            modes.append(metrics["test_modes"])
            quality.append(metrics["test_high_quality"])
            divergence.append(metrics["test_reverse_kl"])
            seconds.append(wall)
            print(
                f"{dataset} seed {seed}: {modes[-1]:.0f} modes, {quality[-1]:.1%} high quality, "
                f"reverse KL {divergence[-1]:.3f}; {steps} steps in {wall:.0f} s",
                flush=True,
            )
        mean_modes, mean_quality = statistics.mean(modes), statistics.mean(quality)
        print(
            f"{dataset}: mean {mean_modes:.2f} modes, {mean_quality:.1%} high quality, "
            f"reverse KL {statistics.mean(divergence):.3f} over seeds {args.seeds} "
            f"(worst: {min(modes):.0f} modes, {min(quality):.1%}); "
            f"{statistics.mean(seconds):.0f} s per run; overrides: {changed}; "
            f"threads {args.threads}"
        )
        want_modes, want_quality = GOALS[dataset]
        passed = mean_modes >= want_modes and mean_quality >= want_quality
        verdicts.append(
            f"{'PASS' if passed else 'FAIL'}: {dataset} mean {mean_modes:.2f} modes and "
            f"{mean_quality:.1%} vs goal >= {want_modes} and >= {want_quality:.0%}"
        )
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
