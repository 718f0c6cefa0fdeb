"""Augmentation: its cost per training step, and what it buys on small data.

1. Overhead. ``Trainer.fit`` (untracked) with the run's augmentations (A) and without (B),
   same seed, data and model; a warm-up of each side, then rounds alternating A B / B A; the
   figure is the median per-round wall-time ratio A/B. Two cases: a CNN on 32x32 RGB images
   (random pixels, in memory: the cost does not depend on what they show) with every image
   augmentation on, and the paper's ConvBase on MNIST-1D with every 1-D one on (its steps
   take a few milliseconds: the worst case for a fixed cost per batch). Also printed: the
   augmentations alone, per batch.
2. Accuracy on small data. 50 training samples per class (the rest of the training split
   left out; validation and test splits whole), the CNN's defaults, the same steps with and
   without augmentation; test accuracy (a held-out split), mean and spread over seeds. On
   MNIST-1D (shift, scaling, jitter: the changes its samples are made with) and on digits
   (8x8 grey, a one-pixel crop; no flip: a mirrored digit is another symbol).

    python -m benchmarks.bench_augmentation --threads 2
    python -m benchmarks.bench_augmentation --quick     # a minute: fewer steps and seeds

Timings on a shared machine are noisy; the accuracy figures are not (same seeds, same data).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import time
from collections.abc import Callable

import torch

from benchmarks._bare_loop import Stopwatch, Timing, interleave, new_workspace, report_ratio
from engine.augment import Augmenter
from engine.data import Dataset, DataSpec, Split, dataset_info
from engine.training import Trainer
from plugins.cnn import CONVBASE, CNNPlugin

IMAGE_AUGMENTATION = {
    "augment_crop": 4,
    "augment_flip": 0.5,
    "augment_brightness": 0.2,
    "augment_contrast": 0.2,
    "augment_saturation": 0.2,
    "augment_cutout": 0.5,
}
SIGNAL_AUGMENTATION = {"augment_shift": 0.1, "augment_scaling": 0.2, "augment_jitter": 0.1}
SMALL_DATA = {
    "mnist1d": SIGNAL_AUGMENTATION,
    # Crop only: on 8x8 centred digits, cutout (a quarter of the side) and brightness or
    # contrast jitter did not help at 10 or 50 per class (seeds 0-2).
    "digits": {"augment_crop": 1},
}
PER_CLASS = 50


def fit(dataset: Dataset, hparams: dict, seed: int) -> tuple[Timing, dict[str, float]]:
    """One untracked training run: its time and final metrics."""
    full = CNNPlugin.full_schema().resolve(hparams)
    trainer = Trainer(CNNPlugin(full, dataset.spec), dataset, torch.device("cpu"), seed,
                      lambda event: None, measure_health=False)  # fmt: skip
    stopwatch = Stopwatch()
    result = trainer.fit()
    return stopwatch.read(), result.metrics


def random_images(count: int = 2048) -> Dataset:
    draw = torch.Generator().manual_seed(0)
    spec = DataSpec("image", "classification", (3, 32, 32), num_classes=10)

    def split(size: int) -> Split:
        return Split(torch.rand(size, 3, 32, 32, generator=draw),
                     torch.randint(0, 10, (size,), generator=draw))  # fmt: skip

    return Dataset("random-rgb-32", spec, split(count), split(256), split(256))


def overhead(args: argparse.Namespace, datasets_dir) -> None:
    # ConvBase's steps are ~50x shorter: 20x the steps, so each side runs for seconds.
    cases: dict[str, tuple[str, Callable[[], Dataset], dict, dict, int]] = {
        "images": ("images 3x32x32, CNN channels 32 depth 4, batch 128", random_images,
                   {"channels": 32, "depth": 4, "batch_size": 128}, IMAGE_AUGMENTATION, 1),
        "signals": ("MNIST-1D, ConvBase, batch 100",
                    lambda: dataset_info("mnist1d").load(datasets_dir, args.seed, 0.1),
                    dict(CONVBASE), SIGNAL_AUGMENTATION, 20),
    }  # fmt: skip
    for case in args.cases:
        title, make_dataset, model, augmentation, more = cases[case]
        dataset, steps = make_dataset(), args.steps * more
        print(f"\n== overhead: {title}; {steps} steps, threads {args.threads}")
        print("   augmentations: " + " ".join(f"{k}={v}" for k, v in augmentation.items()))
        batch = dataset.train.x[: model["batch_size"]]
        augmenter = Augmenter(augmentation, dataset.spec.kind, 0, "cpu")
        started = time.perf_counter()
        for _ in range(200):
            augmenter(batch)
        per_batch = (time.perf_counter() - started) / 200
        print(f"   the augmentations alone: {per_batch * 1e6:.0f} µs per batch")
        plain = {**model, "steps": steps, "eval_every": steps}

        def side(
            settings: dict, count: int = steps, data: Dataset = dataset, base: dict = plain
        ) -> Callable[[], Timing]:
            return lambda: fit(data, {**base, **settings, "steps": count}, args.seed)[0]

        side(augmentation, 20)()
        side({}, 20)()
        augmented, bare = interleave(args.repeats, side(augmentation), side({}))
        print(f"   A = augmented, B = not: {steps} steps each")
        median_a = statistics.median(t.wall for t in augmented) / steps
        median_b = statistics.median(t.wall for t in bare) / steps
        print(f"   per step: A {median_a * 1e3:.2f} ms, B {median_b * 1e3:.2f} ms")
        report_ratio("augmented/plain", augmented, bare, args.goal)


def few_per_class(dataset: Dataset, per_class: int) -> Dataset:
    """``dataset`` with ``per_class`` training samples of each class (the first of each in
    the seed's shuffled order), validation and test left whole."""
    labels = dataset.train.y
    keep = torch.cat([torch.nonzero(labels == c).flatten()[:per_class]
                      for c in range(dataset.spec.num_classes)]).sort().values  # fmt: skip
    return dataclasses.replace(dataset, train=Split(dataset.train.x[keep], labels[keep]))


def small_data(args: argparse.Namespace, datasets_dir) -> None:
    for dataset_id in args.datasets:
        augmentation = SMALL_DATA[dataset_id]
        print(f"\n== accuracy: {dataset_id}, {args.per_class} training samples per class, "
              f"CNN defaults, {args.accuracy_steps} steps, seeds {args.seeds}")  # fmt: skip
        print("   augmentations: " + " ".join(f"{k}={v}" for k, v in augmentation.items()))
        accuracies: dict[str, list[float]] = {"without": [], "with": []}
        for seed in args.seeds:
            loaded = dataset_info(dataset_id).load(datasets_dir, seed, 0.1)
            dataset = few_per_class(loaded, args.per_class)
            for name, settings in (("without", {}), ("with", augmentation)):
                hparams = {"steps": args.accuracy_steps, **settings}
                timing, metrics = fit(dataset, hparams, seed)
                accuracies[name].append(metrics["test_accuracy"])
                accuracy = metrics["test_accuracy"]
                print(f"   seed {seed} {name:>7} augmentation: test accuracy {accuracy:.4f} "
                      f"({timing.wall:.1f} s)", flush=True)  # fmt: skip
        sizes = f"train {len(dataset.train)}, val {len(dataset.val)}, test {len(dataset.test)}"
        print(f"   splits: {sizes}")
        for name, values in accuracies.items():
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            print(f"   {name:>7} augmentation: mean test accuracy {statistics.mean(values):.4f} "
                  f"(std {spread:.4f}, {len(values)} seeds)")  # fmt: skip
        gain = statistics.mean(accuracies["with"]) - statistics.mean(accuracies["without"])
        print(f"   gain: {gain * 100:+.1f} points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the overhead runs (0)")
    parser.add_argument(
        "--steps", type=int, default=100, help="steps per overhead run (100; x20 on MNIST-1D)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="overhead rounds (5)")
    parser.add_argument("--goal", type=float, default=1.10, help="largest passing ratio (1.10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="(0 1 2)")
    parser.add_argument("--per-class", type=int, default=PER_CLASS, help=f"({PER_CLASS})")
    parser.add_argument("--accuracy-steps", type=int, default=500, help="(500)")
    parser.add_argument("--quick", action="store_true", help="fewer steps, rounds and seeds")
    parser.add_argument("--only", choices=("overhead", "accuracy"), help="one part only")
    parser.add_argument(
        "--cases", nargs="+", choices=("images", "signals"), default=["images", "signals"],
        help="cases of the overhead part (both)",
    )  # fmt: skip
    parser.add_argument(
        "--datasets", nargs="+", choices=list(SMALL_DATA), default=list(SMALL_DATA),
        help="datasets of the accuracy part (all)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeats, args.seeds, args.accuracy_steps = 30, 2, [0], 300
    torch.set_num_threads(args.threads)
    workspace = new_workspace("netyard-bench-augment-")
    datasets_dir = workspace / "datasets"
    try:
        if args.only in (None, "overhead"):
            overhead(args, datasets_dir)
        if args.only in (None, "accuracy"):
            small_data(args, datasets_dir)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
