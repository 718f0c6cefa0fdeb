"""The yardstick for the engine: the MNIST-1D paper's ConvBase trained by a plain PyTorch loop.

The model is written out in torch exactly as in greydanus/mnist1d (``models.ConvBase``); the
loop draws the same shuffled batches as the engine's ``BatchSampler`` (one seeded
``randperm`` per epoch, last partial batch dropped) and evaluates on the validation split at
the same steps, so with the same seed both start from the same weights and see the same
data. Shared set-up for the benchmark scripts (data loading, engine configs, timing) lives
here too, so each script holds only its own measurement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.runner import PreparedRun, RunConfig, RunOutcome, execute_run, prepare_run


class ConvBase(nn.Module):
    """greydanus/mnist1d ``models.ConvBase`` for length-40 inputs (125 flattened features)."""

    def __init__(self, output_size: int = 10, channels: int = 25, linear_in: int = 125) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(linear_in, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, 1, x.shape[-1])
        h = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
        return self.linear(h.view(h.shape[0], -1))


@dataclass(frozen=True)
class Timing:
    """Wall time, and CPU time of the process (all threads) plus its finished child processes
    (the forked metric writer), so work moved to another core still counts as CPU."""

    wall: float
    cpu: float


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class Stopwatch:
    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), _cpu_seconds()

    def read(self) -> Timing:
        return Timing(time.perf_counter() - self._wall, _cpu_seconds() - self._cpu)


@dataclass
class BareResult:
    val_accuracy: float
    test_accuracy: float
    timing: Timing


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, accuracy


def train_bare(
    dataset: Any, seed: int, steps: int, batch_size: int, lr: float, evaluations: Sequence[int]
) -> BareResult:
    """Train ConvBase with Adam; evaluate on validation at ``evaluations``, test at the end."""
    stopwatch = Stopwatch()
    torch.manual_seed(seed)
    model = ConvBase(dataset.spec.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = dataset.train.x, dataset.train.y
    generator = torch.Generator().manual_seed(seed)
    order, offset = torch.randperm(len(x), generator=generator), 0
    evaluate_at = set(evaluations)
    val_accuracy = float("nan")
    for step in range(1, steps + 1):
        if offset + batch_size > len(x):
            order, offset = torch.randperm(len(x), generator=generator), 0
        index = order[offset : offset + batch_size]
        offset += batch_size
        loss = F.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step in evaluate_at:
            _, val_accuracy = _accuracy(model, dataset.val.x, dataset.val.y)
    _, test_accuracy = _accuracy(model, dataset.test.x, dataset.test.y)
    return BareResult(val_accuracy, test_accuracy, stopwatch.read())


def evaluation_steps(steps: int, eval_every: int) -> list[int]:
    """The steps at which the engine's Trainer evaluates (every ``eval_every`` and the last)."""
    return sorted({*range(eval_every, steps + 1, eval_every), steps})


# -- engine side ------------------------------------------------------------------------------
def new_workspace(prefix: str) -> Path:
    """A fresh workspace with its MLflow SQLite store already created (migrations run)."""
    from mlflow.tracking import MlflowClient

    from engine.workspace import Workspace

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    workspace = Workspace.resolve(str(folder)).ensure()
    MlflowClient(tracking_uri=workspace.tracking_uri).search_experiments()
    return folder


def prepare(
    workspace: Path,
    hparams: dict[str, Any],
    seed: int,
    threads: int,
    track: bool = True,
    log_model: bool = True,
) -> PreparedRun:
    config = RunConfig(
        plugin="cnn",
        dataset="mnist1d",
        hparams=dict(hparams),
        seed=seed,
        device="cpu",
        threads=threads,
        workspace=str(workspace),
        track=track,
        log_model=log_model,
    )
    return prepare_run(config)


def timed_execute(prepared: PreparedRun) -> tuple[RunOutcome, Timing]:
    """Run ``execute_run`` and time everything it does (tracking, evaluation, artifacts)."""
    stopwatch = Stopwatch()
    outcome = execute_run(prepared)
    timing = stopwatch.read()
    if outcome.status != "finished":
        raise RuntimeError(f"engine run ended {outcome.status}: {outcome.error}")
    return outcome, timing


def interleave(
    repeats: int, first: Callable[[], Timing], second: Callable[[], Timing]
) -> tuple[list[Timing], list[Timing]]:
    """Time A B, B A, A B ... so drift on a shared machine hits both sides equally."""
    times_a: list[Timing] = []
    times_b: list[Timing] = []
    for round_index in range(repeats):
        if round_index % 2 == 0:
            times_a.append(first())
            times_b.append(second())
        else:
            times_b.append(second())
            times_a.append(first())
        a, b = times_a[-1], times_b[-1]
        print(
            f"  round {round_index + 1}/{repeats}: A {a.wall:.2f} s ({a.cpu:.2f} s CPU)  "
            f"B {b.wall:.2f} s ({b.cpu:.2f} s CPU)  ratio {a.wall / b.wall:.3f}",
            flush=True,
        )
    return times_a, times_b


def report_ratio(label: str, times_a: list[Timing], times_b: list[Timing], goal: float) -> float:
    """Print the median per-round ratio A/B of wall time (and of CPU time); return the first."""
    wall = [a.wall / b.wall for a, b in zip(times_a, times_b, strict=True)]
    cpu = [a.cpu / b.cpu for a, b in zip(times_a, times_b, strict=True)]
    median = statistics.median(wall)
    print(
        f"A median {statistics.median(a.wall for a in times_a):.2f} s, "
        f"B median {statistics.median(b.wall for b in times_b):.2f} s"
    )
    print(
        f"{label} wall time: median ratio {median:.3f} (rounds {min(wall):.3f} to "
        f"{max(wall):.3f}); CPU time: median ratio {statistics.median(cpu):.3f}"
    )
    verdict = "PASS" if median <= goal else "FAIL"
    print(f"{verdict}: median wall-time ratio {median:.3f} vs goal <= {goal}")
    return median


def common_arguments(description: str, steps: int, repeats: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=steps, help=f"training steps ({steps})")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (0)")
    parser.add_argument(
        "--repeats", type=int, default=repeats, help=f"interleaved rounds ({repeats})"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1)")
    parser.add_argument("--goal", type=float, default=1.05, help="largest passing ratio (1.05)")
    return parser
