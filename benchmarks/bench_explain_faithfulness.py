"""Faithfulness of each explanation method: the deletion test on the digits CNN's test part.

One CNN is trained on the built-in digits (8 x 8 images) with the plugin's defaults, tracked
in a fresh temporary workspace like ``netyard run cnn --dataset digits``; each method then
explains its predictions on the whole test part (``engine.explain``). The 20 % of the pixels
an explanation ranks first are set to 0, and the test accuracy must fall further than when a
random 20 % are (the same for every method, seeded). The deletion curve's area over 0-100 %
masked, against random's, is printed too: the lower, the more faithful.

    python -m benchmarks.bench_explain_faithfulness --steps 1000 --threads 2
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="training steps (1000)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument("--seed", type=int, default=0, help="training and masking seed (0)")
    args = parser.parse_args()

    from engine.explain import (
        FRACTIONS,
        METHODS,
        area,
        deletion_curves,
        explain,
        first_test_samples,
    )
    from engine.models import load_run_model
    from engine.runner import RunConfig, run
    from engine.tracking import open_client
    from engine.workspace import Workspace

    folder = Path(tempfile.mkdtemp(prefix="netyard-bench-explain-"))
    try:
        config = RunConfig(
            plugin="cnn", dataset="digits", hparams={"steps": args.steps}, seed=args.seed,
            device="cpu", threads=args.threads, workspace=str(folder),
        )  # fmt: skip
        outcome = run(config)
        if outcome.status != "finished":
            print(f"training failed: {outcome.error}", file=sys.stderr)
            return 1
        workspace = Workspace.resolve(str(folder))
        trained, _ = load_run_model(open_client(workspace.tracking_uri), outcome.run_id)
        inputs, labels = first_test_samples(trained, workspace.datasets_dir, 10**9)
        twenty = FRACTIONS.index(0.2)
        print(
            f"digits CNN, {args.steps} steps, {len(inputs)} test images "
            f"(test accuracy {outcome.metrics['test_accuracy']:.3f})"
        )
        print(f"{'method':<22}{'acc@20% top':>12}{'acc@20% random':>16}{'area':>8}"
              f"{'area random':>13}{'seconds':>9}  pass")  # fmt: skip
        passed = True
        for method in METHODS:
            start = time.perf_counter()
            attributions = explain(trained, inputs, method, labels).attributions
            seconds = time.perf_counter() - start
            most, at_random = deletion_curves(trained, inputs, labels, attributions,
                                              seed=args.seed)  # fmt: skip
            ok = most[twenty] < at_random[twenty]
            passed &= ok
            print(
                f"{method:<22}{most[twenty]:>12.3f}{at_random[twenty]:>16.3f}"
                f"{area(most):>8.3f}{area(at_random):>13.3f}{seconds:>9.2f}  "
                + ("yes" if ok else "NO")
            )
        print("every method beats random at 20 %" if passed else "a method does not beat random")
        return 0 if passed else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
