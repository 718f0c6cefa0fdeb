"""Successive halving that resumes (``--algorithm asha``) against Optuna's
SuccessiveHalvingPruner, on the same trials budget.

    python -m benchmarks.bench_asha [--trials 27 --steps 270 --interval 10] [--quick]

The CNN on MNIST-1D with the learning rate searched; both sweeps draw their configurations
with the random sampler and the same seed (the same configurations, in the same order), one
worker. ASHA pauses trials at rungs interval, interval*3, ... and continues the promoted ones
from their checkpoints; the pruner sweep trains each trial until Optuna prunes it. Figures:
the best value each reaches, the training steps each spends in all (each run's logged steps,
from MLflow), and the steps each had spent when it first reached the pruner sweep's best.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from engine.sweeps import SweepSpec, parse_search, runner_for
from engine.tracking import open_client

FIXED = {"batch_size": 100, "depth": 2, "channels": 16}


def sweep(workspace: Path, method: str, args) -> tuple[list[float], list[tuple[float, float]]]:
    """The times at which a training step was logged (all the sweep's runs), and each
    complete trial's (end time, final value)."""
    import optuna

    from engine.sweeps import default_storage_url, open_storage

    fixed = {**FIXED, "steps": args.steps}
    fields = {"algorithm": "asha", "interval": args.interval}
    if method != "asha":  # its pruner's first rung: an evaluation every interval steps
        fields, fixed["eval_every"] = {"pruner": "successive_halving"}, args.interval
    spec = SweepSpec(plugin="cnn", dataset="mnist1d", search=[parse_search("lr=1e-4:1e-1:log")],
                     fixed=fixed, workspace=str(workspace), name=method, trials=args.trials,
                     seed=args.seed, sampler="random", parallel=1, threads=1,
                     **fields)  # fmt: skip
    runner_for(spec).run()
    storage = open_storage(default_storage_url(workspace))
    study = optuna.load_study(study_name=method, storage=storage)
    client = open_client(f"sqlite:///{workspace / 'mlflow.db'}")
    step_times, complete = [], []
    for trial in study.get_trials():
        run_id = trial.user_attrs.get("netyard.mlflow_run_id")
        if run_id:
            step_times += [
                m.timestamp / 1000 for m in client.get_metric_history(run_id, "train_loss")
            ]
        if trial.value is not None:
            complete.append((trial.datetime_complete.timestamp(), trial.value))
    return sorted(step_times), sorted(complete)


def steps_to_reach(step_times: list[float], complete: list[tuple[float, float]], target: float):
    """The steps trained by all the trials when a trial first ended with ``target`` or better."""
    when = next((end for end, value in complete if value >= target), None)
    if when is None:
        return None
    return sum(1 for moment in step_times if moment <= when)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=27)
    parser.add_argument("--steps", type=int, default=270)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="9 trials of 90 steps")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.steps, args.interval = 9, 90, 10
    results = {}
    with tempfile.TemporaryDirectory(prefix="netyard-bench-asha-") as folder:
        for method in ("pruner", "asha"):
            results[method] = sweep(Path(folder), method, args)
    target = max((value for _, value in results["pruner"][1]), default=float("nan"))
    print(
        f"{args.trials} trials of up to {args.steps} steps, first rung {args.interval}, "
        f"random sampler seed {args.seed}; target: the pruner sweep's best {target:.4f}"
    )
    print("| sweep | best val_accuracy | training steps in all | steps to the target |")
    print("|---|---|---|---|")
    for method, (step_times, complete) in results.items():
        best = max((value for _, value in complete), default=float("nan"))
        reach = steps_to_reach(step_times, complete, target)
        print(
            f"| {method} | {best:.4f} | {len(step_times)} | "
            f"{reach if reach is not None else 'never'} |"
        )


if __name__ == "__main__":
    main()
