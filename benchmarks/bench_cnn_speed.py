"""CNN training speed: the engine's loop against a bare PyTorch loop, ResNet-20 on 32x32 RGB.

Timed span of the engine (A): ``Trainer.fit`` (untracked: the loop's cost, not MLflow's) of
the CNN plugin with ``architecture=resnet`` and its defaults (ResNet-20, per-channel input
normalisation), batch 128, fp32 on the CPU and the engine's default mixed precision on CUDA,
no augmentation: building the model, measuring the training split's channel statistics, the
steps with their loss bookkeeping, two validation evaluations and the final test evaluation.

The bare loop (B) is what a user would write: the same network built by the plugin (same
seed, so the same initial weights and statistics), AdamW with the same settings, the same
batches (one seeded ``randperm`` per epoch, last partial batch dropped, uint8 pixels made
float per batch as ``Split.take`` makes them), the same autocast, evaluation on the same
splits at the same steps, and no per-step logging at all.

Data: generated 32x32 RGB images stored as uint8 (what a decoded image folder holds; the
content does not change the speed). A warm-up round of each side runs first; rounds
alternate A B / B A; the figure is the median over rounds of steps per second of A over B
(goal: at least 0.95). On a shared machine the rounds are noisy; read the spread.

    python -m benchmarks.bench_cnn_speed --threads 2
    python -m benchmarks.bench_cnn_speed --quick
    python -m benchmarks.bench_cnn_speed --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from typing import Any

import torch
import torch.nn.functional as F

from benchmarks._bare_loop import Stopwatch, Timing, interleave
from engine.data import Dataset, DataSpec, Split
from engine.training import Trainer
from plugins.cnn import CNNPlugin

SHAPE = (3, 32, 32)
CLASSES = 10
BATCH = 128
EVALUATIONS = 2
GOAL = 0.95


def synthetic_dataset(train: int, held_out: int, device: torch.device) -> Dataset:
    """Random 32x32 RGB images as uint8 with random labels, on ``device``."""
    generator = torch.Generator().manual_seed(0)

    def split(size: int) -> Split:
        x = torch.randint(0, 256, (size, *SHAPE), generator=generator, dtype=torch.uint8)
        y = torch.randint(0, CLASSES, (size,), generator=generator)
        if Split(x[:1]).take(slice(0, 1)).x.dtype != torch.float32:
            x = x.float().div_(255.0)  # a Split that keeps no uint8: give it floats
        return Split(x.to(device), y.to(device))

    spec = DataSpec("image", "classification", SHAPE, num_classes=CLASSES)
    return Dataset("bench-rgb32", spec, split(train), split(held_out), split(held_out))


def hyperparameters(steps: int) -> dict[str, Any]:
    return CNNPlugin.full_schema().resolve(
        {
            "architecture": "resnet",
            "steps": steps,
            "batch_size": BATCH,
            "eval_every": max(1, steps // EVALUATIONS),
            "lr_schedule": "none",
            "patience": 0,
            "checkpoint_every": 0,
        }
    )


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def engine_fit(dataset: Dataset, steps: int, seed: int, device: torch.device) -> Timing:
    plugin = CNNPlugin(hyperparameters(steps), dataset.spec)
    trainer = Trainer(plugin, dataset, device, seed, lambda event: None)
    synchronize(device)
    stopwatch = Stopwatch()
    trainer.fit()
    synchronize(device)
    return stopwatch.read()


def _stored(split: Split) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's tensors as stored (uint8 images where the split keeps them so)."""
    return getattr(split, "stored_x", split.x), getattr(split, "stored_y", split.y)


def _as_float(x: torch.Tensor) -> torch.Tensor:
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x


def _evaluate(model, split: Split, batch: int, autocast) -> float:
    model.eval()
    correct = 0
    inputs, targets = _stored(split)
    with torch.no_grad(), autocast():
        for start in range(0, len(split), batch):
            logits = model(_as_float(inputs[start : start + batch]))
            correct += int((logits.argmax(dim=1) == targets[start : start + batch]).sum())
    model.train()
    return correct / len(split)


def bare_fit(dataset: Dataset, steps: int, seed: int, device: torch.device) -> Timing:
    hparams = hyperparameters(steps)
    use_amp = bool(hparams["amp"]) and device.type == "cuda"
    precision = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16

    def autocast():
        if not use_amp:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=precision)

    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and precision == torch.float16)
    synchronize(device)
    stopwatch = Stopwatch()
    torch.manual_seed(seed)
    plugin = CNNPlugin(hparams, dataset.spec)
    plugin.setup(dataset)
    model = plugin.build_model().to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=hparams["lr"], weight_decay=hparams["weight_decay"]
    )
    x, y = _stored(dataset.train)
    generator = torch.Generator().manual_seed(seed)
    order, offset = torch.randperm(len(x), generator=generator).to(device), 0
    eval_every = int(hparams["eval_every"])
    evaluation_batch = max(256, BATCH)
    model.train()
    for step in range(1, steps + 1):
        if offset + BATCH > len(x):
            order, offset = torch.randperm(len(x), generator=generator).to(device), 0
        index = order[offset : offset + BATCH]
        offset += BATCH
        with autocast():
            loss = F.cross_entropy(model(_as_float(x[index])), y[index])
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if step % eval_every == 0 or step == steps:
            _evaluate(model, dataset.val, evaluation_batch, autocast)
    _evaluate(model, dataset.test, evaluation_batch, autocast)
    synchronize(device)
    return stopwatch.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cpu)")
    parser.add_argument("--steps", type=int, help="steps per run (cpu 40, cuda 600)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (0)")
    parser.add_argument("--quick", action="store_true", help="few steps and rounds: a smoke run")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    steps = args.steps or (600 if device.type == "cuda" else 40)
    repeats, train = args.repeats, 50 * BATCH
    if args.quick:
        steps, repeats, train = min(steps, 10), 3, 4 * BATCH
    dataset = synthetic_dataset(train, 2 * BATCH, device)

    warm_up = max(2, steps // 5)
    print(f"warm-up ({warm_up} steps each), then {repeats} rounds of {steps} steps")
    engine_fit(dataset, warm_up, args.seed, device)
    bare_fit(dataset, warm_up, args.seed, device)
    engine_times, bare_times = interleave(
        repeats,
        lambda: engine_fit(dataset, steps, args.seed, device),
        lambda: bare_fit(dataset, steps, args.seed, device),
    )
    engine_rates = [steps / t.wall for t in engine_times]
    bare_rates = [steps / t.wall for t in bare_times]
    ratios = [b.wall / a.wall for a, b in zip(engine_times, bare_times, strict=True)]
    median = statistics.median(ratios)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{args.threads} CPU"
    print(
        f"A = engine, B = bare loop: ResNet-20, 32x32 RGB uint8, batch {BATCH}, {steps} "
        f"steps, {EVALUATIONS} evaluations, {name}"
    )
    print(
        f"steps per second: engine median {statistics.median(engine_rates):.2f}, "
        f"bare median {statistics.median(bare_rates):.2f}"
    )
    cpu = [b.cpu / a.cpu for a, b in zip(engine_times, bare_times, strict=True)]
    print(
        f"engine/bare steps per second: median {median:.3f} (rounds {min(ratios):.3f} to "
        f"{max(ratios):.3f}); per CPU second (less hurt by a busy machine): median "
        f"{statistics.median(cpu):.3f}"
    )
    verdict = "PASS" if median >= GOAL else "FAIL"
    print(f"{verdict}: median ratio {median:.3f} vs goal >= {GOAL}")


if __name__ == "__main__":
    main()
