"""Tracking overhead: the same engine run with MLflow tracking on (track=True) and off.

Both sides time ``engine.runner.execute_run`` for the paper's ConvBase on MNIST-1D (same
seed, data, steps and threads). With tracking on, the timed span adds everything MLflow
costs a run: creating the run with its params and tags, per-step training-loss logging
through the background writer, the evaluation metrics, the snapshot and final artifacts
(model, config, confusion-matrix PNG) and ending the run. With it off the engine still
emits every event (nothing listens). The SQLite store is created before timing; a warm-up
round of each side runs first. Rounds alternate A B / B A; the figure is the median of the
per-round ratios on/off.

    python -m benchmarks.bench_logging_overhead --threads 1
"""

from __future__ import annotations

import shutil

import torch

from benchmarks._bare_loop import (
    Timing,
    common_arguments,
    interleave,
    new_workspace,
    prepare,
    report_ratio,
    timed_execute,
)
from plugins.cnn import CONVBASE


def main() -> None:
    parser = common_arguments(__doc__.splitlines()[0], steps=6000, repeats=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    workspace = new_workspace("netyard-bench-logging-")
    points = {True: 0, False: 0}

    def run(track: bool, steps: int = args.steps) -> Timing:
        hparams = {**CONVBASE, "steps": steps}
        outcome, timing = timed_execute(prepare(workspace, hparams, args.seed, args.threads, track))
        if track:
            history = _client(workspace).get_metric_history(outcome.run_id, "train_loss")
            points[track] = len(history)
        return timing

    try:
        print(f"warm-up (100 steps each), then {args.repeats} rounds of {args.steps} steps")
        run(True, 100)
        run(False, 100)
        on, off = interleave(args.repeats, lambda: run(True), lambda: run(False))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print(
        f"A = tracking on ({points[True]} train_loss points read back from MLflow per run), "
        f"B = tracking off; threads {args.threads}"
    )
    report_ratio("on/off", on, off, args.goal)


def _client(workspace):
    from mlflow.tracking import MlflowClient

    from engine.workspace import Workspace

    return MlflowClient(tracking_uri=Workspace.resolve(str(workspace)).tracking_uri)


if __name__ == "__main__":
    main()
