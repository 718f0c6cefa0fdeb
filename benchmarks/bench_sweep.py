"""Sweep benchmarks: pruning savings, coordinator overhead, parallel speed-up, Optuna's share.

    python -m benchmarks.bench_sweep pruning  [--trials 30 --steps 500]
    python -m benchmarks.bench_sweep overhead [--trials 20 --steps 200]
    python -m benchmarks.bench_sweep parallel [--trials 10 --steps 300]
    python -m benchmarks.bench_sweep server   [--trials 20 --steps 200]

pruning: the CNN on MNIST-1D, TPE with the same seed, once with the median pruner and once
without; prints the best val_accuracy of each (points apart) and the training steps actually
run (read back from each trial's MLflow history), and the reduction.

overhead: the same trials (random sampler, same seed, so the same parameters) through
``SweepRunner`` with one worker process (per-evaluation history, artifacts, parent/child
runs), and through a hand-written ``study.optimize`` loop that calls the same training
function (``engine.runner.run`` untracked) in-process with optuna-integration's
MLflowCallback (final value only). Each side runs all the trials twice (seeds S and S+1), in
the order loop, sweep, sweep, loop against drifting load; the ratio is of the summed times.
Both sides' imports are done before timing, as in the app: the loop's in this process, the
sweep's in the worker zygote the app starts at launch (``engine.worker.start_zygote``), which
the sweep's worker process is forked from; with ``--no-zygote`` the sweep's time includes a
fresh worker process's imports instead (torch, MLflow: seconds, once per sweep). Prints the
wall-time ratio and the share of the sweep's time spent in the sampler, pruner and storage
calls. With ``--fresh`` each side is instead a fresh process timed from launch to exit, as a
CLI user meets them: ``netyard sweep ...`` against a script that imports torch, Optuna and
MLflow and runs the same ``study.optimize`` loop (both pay their imports).

parallel: the same trials with 1 worker and with 2 workers, ``--threads`` each (1 by default:
on a shared, oversubscribed 2-core box two threads per trial spin against each other); prints
the speed-up and Optuna's share in each.

server: the same 20 short trials with 2 workers, logged through a real HTTP tracking server
(``mlflow server`` with proxied artifacts, on a private PostgreSQL cluster as ``netyard
server --postgres-dir`` runs it, or on SQLite where PostgreSQL's programs are missing) and
through the workspace's local SQLite store; Optuna's storage is the workspace journal on both
sides, so only the tracking differs. Order local, server, server, local (seeds S, S+1); prints
the ratio of the summed times.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.sweeps import SweepFinished, SweepRunner, SweepSpec, parse_search

SEARCH = ("lr=1e-3:1e-1:log", "channels=8:64", "dropout=0:0.5", "depth=2:4")
FIXED = {"batch_size": 100, "pooling": "max"}
NETYARD_CLI = "import sys; from engine.cli import main; sys.exit(main())"  # = `netyard`


def spec(workspace: Path, name: str, args, **fields) -> SweepSpec:
    return SweepSpec(
        plugin="cnn",
        dataset="mnist1d",
        search=[parse_search(item) for item in SEARCH],
        fixed={**FIXED, "steps": args.steps},
        workspace=str(workspace),
        name=name,
        **{"trials": args.trials, "seed": args.seed, **fields},
    )


def run_sweep(sweep: SweepSpec) -> tuple[SweepFinished, float]:
    started = time.perf_counter()
    finished = SweepRunner(sweep).run()
    return finished, time.perf_counter() - started


def steps_trained(workspace: Path, name: str) -> int:
    """Training steps every trial of a sweep really ran (its last logged training step)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"tags.`netyard.sweep` = '{name}'")
    total = 0
    for run in runs:
        if "optuna.trial_number" in run.data.tags:
            history = client.get_metric_history(run.info.run_id, "train_loss")
            total += max((m.step for m in history), default=0)
    return total


def pruning(args, workspace: Path) -> None:
    results = {}
    for pruner in ("none", "median"):
        name = f"bench-prune-{pruner}"
        finished, seconds = run_sweep(
            spec(workspace, name, args, sampler="tpe", pruner=pruner, threads=args.threads)
        )
        results[pruner] = (finished, seconds, steps_trained(workspace, name))
        print(
            f"{pruner:>6}: best val_accuracy {finished.best_values[0]:.4f} (trial "
            f"{finished.best_number}), states {finished.states}, steps trained "
            f"{results[pruner][2]}, {seconds:.0f} s",
            flush=True,
        )
    (full, _, full_steps), (pruned, _, pruned_steps) = results["none"], results["median"]
    gap = 100 * (full.best_values[0] - pruned.best_values[0])
    print(f"best val_accuracy: pruning is {gap:+.2f} points below no pruning (goal <= 0.5)")
    print(f"steps trained: {1 - pruned_steps / full_steps:.1%} fewer with pruning (goal >= 40 %)")


def sweep_spec_for(args, workspace: Path, seed: int) -> SweepSpec:
    return spec(
        workspace,
        f"bench-overhead-{seed}",
        args,
        sampler="random",
        pruner="none",
        threads=args.threads,
        trials=args.trials,
        seed=seed,
    )


def hand_written_loop(args, workspace: Path, seed: int) -> float:
    """The baseline: ``study.optimize`` calling the training function in-process, with
    optuna-integration's MLflowCallback (final value only). Returns its wall time."""
    import optuna
    from optuna_integration.mlflow import MLflowCallback

    from engine.runner import RunConfig, run
    from engine.sweeps import resolve_spec

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    baseline_uri = f"sqlite:///{workspace / 'baseline-mlflow.db'}"
    callback = MLflowCallback(tracking_uri=baseline_uri, metric_name="val_accuracy")
    distributions = resolve_spec(sweep_spec_for(args, workspace, seed)).distributions
    fixed = {**FIXED, "steps": args.steps}

    def objective(trial: optuna.Trial) -> float:
        # The sweep's distributions and seed: the random sampler draws the same values.
        params = {name: trial._suggest(name, d) for name, d in distributions.items()}
        config = RunConfig(
            "cnn",
            "mnist1d",
            {**fixed, **params},
            seed=seed,
            threads=args.threads,
            workspace=str(workspace),
            track=False,
            checkpoints=False,
        )
        return run(config).metrics["val_accuracy"]

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed)
    )
    started = time.perf_counter()
    study.optimize(objective, n_trials=args.trials, callbacks=[callback])
    return time.perf_counter() - started


def fresh_process_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def overhead(args, workspace: Path) -> None:
    from engine.runner import RunConfig, run

    run(
        RunConfig(
            "cnn",
            "mnist1d",
            {**FIXED, "steps": 5},
            workspace=str(workspace),
            track=False,
            checkpoints=False,
        )
    )  # warm the data cache
    zygote = "fresh processes" if args.fresh else "no zygote"
    if not args.fresh and not args.no_zygote:
        from engine.worker import start_zygote

        if not start_zygote().wait_ready(600):
            raise SystemExit("the worker zygote did not start")
        zygote = "worker forked from the zygote"
    common = ["--trials", str(args.trials), "--steps", str(args.steps)]
    common += ["--threads", str(args.threads)]

    def loop_side(seed: int) -> float:
        if not args.fresh:
            return hand_written_loop(args, workspace, seed)
        child = [sys.executable, "-m", "benchmarks.bench_sweep", "loop", "--seed", str(seed)]
        return fresh_process_seconds([*child, *common, "--workspace", str(workspace)])

    def sweep_side(seed: int) -> tuple[float, float]:
        if not args.fresh:
            finished, seconds = run_sweep(sweep_spec_for(args, workspace, seed))
            return seconds, finished.optuna_seconds
        command = [sys.executable, "-c", NETYARD_CLI]
        command += ["sweep", "cnn", "--dataset", "mnist1d", "--sampler", "random"]
        command += ["--pruner", "none", "--parallel", "1", "--seed", str(seed)]
        command += ["--name", f"bench-overhead-fresh-{seed}", "--workspace", str(workspace)]
        command += [arg for item in SEARCH for arg in ("--search", item)]
        command += [arg for k, v in FIXED.items() for arg in ("--set", f"{k}={v}")]
        return fresh_process_seconds([*command, *common]), float("nan")

    # Every trial twice per side, in the order loop, sweep, sweep, loop, so that a change of
    # load on the shared machine weighs on both sides alike.
    loop_seconds = sweep_seconds = optuna_seconds = 0.0
    for seed, order in ((args.seed, ("loop", "sweep")), (args.seed + 1, ("sweep", "loop"))):
        for side in order:
            if side == "loop":
                seconds = loop_side(seed)
                loop_seconds += seconds
            else:
                seconds, in_optuna = sweep_side(seed)
                sweep_seconds += seconds
                optuna_seconds += in_optuna
            print(
                f"  {side} round (seed {seed}, {args.trials} trials): {seconds:.1f} s", flush=True
            )
    how = "fresh processes, launch to exit" if args.fresh else "in this process"
    print(f"hand-written study.optimize + MLflowCallback ({how}): {loop_seconds:.1f} s")
    print(f"netyard sweep, 1 worker process ({how}, {zygote}): {sweep_seconds:.1f} s")
    print(f"overhead ratio: {sweep_seconds / loop_seconds:.3f}x (goal <= 1.1x)")
    if not args.fresh:
        print(
            f"sampler + storage: {optuna_seconds:.2f} s = "
            f"{optuna_seconds / sweep_seconds:.2%} of the sweep (goal <= 1 %)"
        )


def parallel(args, workspace: Path) -> None:
    times = {}
    for workers in (1, 2):
        finished, seconds = run_sweep(
            spec(
                workspace,
                f"bench-parallel-{workers}",
                args,
                sampler="random",
                pruner="none",
                parallel=workers,
                threads=args.threads,
            )
        )
        times[workers] = seconds
        print(
            f"{workers} worker(s): {seconds:.1f} s, states {finished.states}, sampler + "
            f"storage {finished.optuna_seconds / seconds:.2%} of the sweep",
            flush=True,
        )
    print(f"speed-up of 2 workers over 1: {times[1] / times[2]:.2f}x")


def through_server(args, workspace: Path) -> None:
    from engine.errors import UsageError
    from engine.services import PostgresCluster
    from engine.tracking.server import MlflowServer

    cluster = None
    try:
        folder = Path(tempfile.mkdtemp(prefix="netyard-bench-pg-"))
        folder.chmod(0o755)  # as root the cluster's owner (postgres) must reach it
        cluster = PostgresCluster(folder / "cluster")
        cluster.start()
        backend, kind = cluster.mlflow_url(), "PostgreSQL"
    except UsageError as error:
        print(f"  no PostgreSQL ({error}); the server uses SQLite")
        cluster, backend, kind = None, f"sqlite:///{workspace / 'server-mlflow.db'}", "SQLite"
    server = MlflowServer(backend, proxied_artifacts=workspace / "server-artifacts", workers=2)
    server.start()
    try:
        totals = {"local": 0.0, "server": 0.0}
        for seed, order in ((args.seed, ("local", "server")), (args.seed + 1, ("server", "local"))):
            for side in order:
                fields = {"sampler": "random", "pruner": "none", "parallel": 2}
                fields["threads"] = args.threads
                if side == "server":
                    fields["tracking_uri"] = server.url
                name = f"bench-server-{side}-{seed}"
                finished, seconds = run_sweep(spec(workspace, name, args, seed=seed, **fields))
                totals[side] += seconds
                print(f"  {side} round (seed {seed}): {seconds:.1f} s, {finished.states}")
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.folder.parent, ignore_errors=True)
    print(f"local SQLite store: {totals['local']:.1f} s")
    print(f"HTTP tracking server (proxied artifacts, {kind} backend): {totals['server']:.1f} s")
    print(f"overhead ratio: {totals['server'] / totals['local']:.3f}x (goal <= 1.15x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # "loop" is the baseline side of ``overhead --fresh``, run in its own process.
    parser.add_argument("which", choices=("pruning", "overhead", "parallel", "server", "loop"))
    parser.add_argument("--trials", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per trial")
    parser.add_argument("--keep", action="store_true", help="keep the workspace")
    parser.add_argument(
        "--fresh", action="store_true", help="overhead: time both sides as fresh processes"
    )
    parser.add_argument(
        "--no-zygote",
        action="store_true",
        help="overhead: start the sweep's worker fresh (its imports timed), not from a zygote",
    )
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.which == "loop":
        hand_written_loop(args, args.workspace, args.seed)
        return
    defaults = {"pruning": (30, 500), "overhead": (20, 200), "parallel": (10, 300),
                "server": (20, 200)}[args.which]  # fmt: skip
    args.trials = args.trials or defaults[0]
    args.steps = args.steps or defaults[1]
    workspace = Path(tempfile.mkdtemp(prefix=f"netyard-bench-sweep-{args.which}-"))
    print(f"{args.which}: {args.trials} trials x {args.steps} steps, workspace {workspace}")
    try:
        benchmarks = {"pruning": pruning, "overhead": overhead, "parallel": parallel,
                      "server": through_server}  # fmt: skip
        benchmarks[args.which](args, workspace)
    finally:
        if not args.keep:
            shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
