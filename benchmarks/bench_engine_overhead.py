"""Engine overhead: ``execute_run`` (MLflow on) vs a plain PyTorch loop, same ConvBase run.

Timed span of the engine (A): everything ``engine.runner.execute_run`` does for the paper's
ConvBase on MNIST-1D: thread setup, model build, MLflow run creation with params and tags,
the step loop with per-step training-loss logging through the background writer, the
validation evaluations (every steps/20 steps) with their events, the final test evaluation,
the checkpoint, the artifacts (safetensors model, config.json, confusion-matrix PNG and CSV)
and ending the run. Not timed: imports, the one-off creation of the workspace and its SQLite
store (before timing, as an existing workspace would be) and ``prepare_run`` (validation and
loading the cached data, which both sides share). A warm-up round of each side runs first.

The plain loop (B) trains the same model (same seed, so the same initial weights and
batches), evaluates on the validation split at the same steps and on the test split at the
end. Rounds alternate A B / B A; the figure is the median of the per-round ratios A/B.

    python -m benchmarks.bench_engine_overhead --threads 1
"""

from __future__ import annotations

import shutil

import torch

from benchmarks._bare_loop import (
    Timing,
    common_arguments,
    evaluation_steps,
    interleave,
    new_workspace,
    prepare,
    report_ratio,
    timed_execute,
    train_bare,
)
from engine.training._loop import EVALUATIONS_PER_RUN
from plugins.cnn import CONVBASE


def main() -> None:
    parser = common_arguments(__doc__.splitlines()[0], steps=6000, repeats=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hparams = {**CONVBASE, "steps": args.steps}
    workspace = new_workspace("netyard-bench-engine-")
    evaluations = evaluation_steps(args.steps, max(1, args.steps // EVALUATIONS_PER_RUN))
    accuracies = {"engine": [], "bare": []}

    def engine_run(steps: int = args.steps) -> Timing:
        prepared = prepare(workspace, {**hparams, "steps": steps}, args.seed, args.threads)
        outcome, timing = timed_execute(prepared)
        accuracies["engine"].append(outcome.metrics["test_accuracy"])
        return timing

    def bare_run(steps: int = args.steps, at: list[int] = evaluations) -> Timing:
        dataset = prepare(workspace, hparams, args.seed, args.threads, track=False).dataset
        result = train_bare(dataset, args.seed, steps, 100, 0.01, at)
        accuracies["bare"].append(result.test_accuracy)
        return result.timing

    try:
        print(f"warm-up (100 steps each), then {args.repeats} rounds of {args.steps} steps")
        engine_run(100)
        bare_run(100, evaluation_steps(100, 5))
        accuracies = {"engine": [], "bare": []}
        engine_times, bare_times = interleave(args.repeats, engine_run, bare_run)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    print(
        f"A = engine, B = bare loop: {args.steps} steps, {len(evaluations)} evaluations, "
        f"threads {args.threads}"
    )
    print(
        f"test accuracy: engine {accuracies['engine'][-1]:.4f}, bare {accuracies['bare'][-1]:.4f}"
    )
    report_ratio("engine/bare", engine_times, bare_times, args.goal)


if __name__ == "__main__":
    main()
