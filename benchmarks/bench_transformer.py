"""Transformer plugin: MNIST-1D accuracy, sort exact match, character-level perplexity.

Every run is what ``netyard run transformer`` does (``prepare_run`` and ``execute_run`` with
MLflow tracking into a fresh temporary workspace), with the plugin's default hyperparameters
unless ``--set`` (all tasks) or ``--text-set`` (the text task) says otherwise. Figures, all
from this one invocation:

- ``mnist1d``: test accuracy (goal >= 0.90; the paper's CNN: 94 %, its GRU: 91 %);
- ``sort``: exact match on the 5000 held-out test sequences (goal 1.0; minGPT's demo, a
  3-layer, 3-head, width-48 GPT, reaches 100 %);
- ``text``: validation and test perplexity of a character model of a text file, by default
  this Python's own ``argparse.py`` (a stdlib source file, so every machine has it; about
  100 kB for Python 3.11). No goal: the figure is recorded to compare changes against.
  Character-level perplexity 1 is perfect, the alphabet size (about 95 here) is chance.

    python -m benchmarks.bench_transformer --threads 1
    python -m benchmarks.bench_transformer --tasks sort --threads 1
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

TASKS = ("mnist1d", "sort", "text")
GOALS = {"mnist1d": ("test_accuracy", 0.90), "sort": ("test_exact_match", 1.0)}
# The text task's defaults here: a shorter context and run than the plugin's, so the three
# tasks finish in minutes on a 2-core CPU; --text-set overrides them.
TEXT_BLOCK = 64
TEXT_HPARAMS = {"steps": 2000}


def timed_run(
    workspace: Path, dataset: str, hparams: dict[str, Any], seed: int, threads: int
) -> tuple[dict[str, float], float, int]:
    """The run's final metrics, its wall seconds and its steps."""
    from engine.runner import RunConfig, execute_run, prepare_run

    config = RunConfig(
        plugin="transformer",
        dataset=dataset,
        hparams=dict(hparams),
        seed=seed,
        device="cpu",
        threads=threads,
        workspace=str(workspace),
    )
    start = time.perf_counter()
    outcome = execute_run(prepare_run(config))
    if outcome.status != "finished":
        raise RuntimeError(f"transformer on {dataset} ended {outcome.status}: {outcome.error}")
    return outcome.metrics, time.perf_counter() - start, outcome.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--seed", type=int, default=0, help="(0)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1)")
    parser.add_argument("--text", type=Path, default=Path(argparse.__file__), help="text file")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a default"
    )
    parser.add_argument(
        "--text-set", action="append", default=[], metavar="KEY=VALUE", help="text task only"
    )
    args = parser.parse_args()

    from engine.plugin import get_plugin

    schema = get_plugin("transformer").full_schema()
    overrides = schema.parse_assignments(args.set)
    text_overrides = {**TEXT_HPARAMS, **overrides, **schema.parse_assignments(args.text_set)}
    workspace = Path(tempfile.mkdtemp(prefix="netyard-bench-transformer-"))
    verdicts = []
    try:
        for task in args.tasks:
            if task == "text":
                dataset, hparams = f"text:{args.text}?block={TEXT_BLOCK}", text_overrides
            else:
                dataset, hparams = task, overrides
            metrics, seconds, steps = timed_run(
                workspace, dataset, hparams, args.seed, args.threads
            )
            shown = ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))
            changed = ", ".join(f"{k}={v}" for k, v in hparams.items()) or "none"
            print(f"{dataset}: {shown}", flush=True)
            print(f"  {steps} steps in {seconds:.0f} s wall; overrides: {changed}", flush=True)
            if task in GOALS:
                metric, goal = GOALS[task]
                passed = metrics[metric] >= goal
                verdicts.append(
                    f"{'PASS' if passed else 'FAIL'}: {task} {metric} {metrics[metric]:.4f} "
                    f"vs goal >= {goal}"
                )
            else:
                verdicts.append(
                    f"text val perplexity {metrics['val_perplexity']:.3f}, "
                    f"test perplexity {metrics['test_perplexity']:.3f} ({args.text})"
                )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print(f"seed {args.seed}, threads {args.threads}")
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
