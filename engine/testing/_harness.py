"""Training a plugin for a few steps through the engine's real ``Trainer``, for tests.

Going through the ``Trainer`` (not calling ``training_step`` by hand) means automatic and
manual optimisation, evaluation, snapshots and checkpoints run exactly as in a real run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from engine.data import Dataset
from engine.events import EvalMetrics, Event, StepMetrics
from engine.plugin import Plugin
from engine.training import Trainer, TrainResult


class _RecordingTrainer(Trainer):
    """A Trainer that remembers each optimizer's parameters as they were before training."""

    initial_parameters: list[list[torch.Tensor]]

    def _build(self) -> None:
        super()._build()
        self.initial_parameters = [
            [p.detach().clone() for group in optimizer.param_groups for p in group["params"]]
            for optimizer in self.optimization.optimizers
        ]


@dataclass
class TinyRun:
    """What one short training run produced."""

    result: TrainResult
    trainer: Trainer
    events: list[Event] = field(default_factory=list)

    @property
    def model(self) -> torch.nn.Module:
        return self.trainer.model

    def train_metrics(self) -> dict[str, list[float]]:
        """Every ``train_*`` series, concatenated over the run's step-metric events."""
        series: dict[str, list[float]] = {}
        for event in self.events:
            if isinstance(event, StepMetrics):
                for key, values in event.metrics.items():
                    series.setdefault(key, []).extend(values)
        return series

    def evaluations(self) -> list[EvalMetrics]:
        return [event for event in self.events if isinstance(event, EvalMetrics)]

    def optimizers_left_unchanged(self) -> list[int]:
        """Indices of optimizers none of whose parameters moved during the run."""
        unchanged = []
        for index, optimizer in enumerate(self.trainer.optimization.optimizers):
            now = [p.detach() for group in optimizer.param_groups for p in group["params"]]
            before = self.trainer.initial_parameters[index]
            if all(torch.equal(a.cpu(), b.cpu()) for a, b in zip(now, before, strict=True)):
                unchanged.append(index)
        return unchanged


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one CPU thread for a while.

    Tiny models run fastest on one thread, and several threads per test process crawl when
    the machine's cores are shared (measured: 30 ms against 1 to 3 s for the same run).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train_tiny(
    plugin_class: type[Plugin],
    hparams: Mapping[str, Any],
    dataset: Dataset,
    seed: int = 0,
    device: str = "cpu",
    stop_after: int | None = None,
    checkpoint_path: Path | None = None,
    resume_state: dict[str, Any] | None = None,
) -> TinyRun:
    """Train ``plugin_class`` on ``dataset`` with fully resolved ``hparams``.

    ``stop_after`` asks the run to stop (as the app's Stop button does) once that many steps
    are done; it then writes its checkpoint to ``checkpoint_path`` if one is given.
    """
    events: list[Event] = []
    plugin = plugin_class(dict(hparams), dataset.spec)
    plugin.check()
    target = torch.device(device)
    trainer: _RecordingTrainer

    def should_stop() -> bool:
        return stop_after is not None and getattr(trainer, "step", 0) >= stop_after

    trainer = _RecordingTrainer(
        plugin,
        dataset.to(target),
        target,
        seed,
        events.append,
        should_stop,
        checkpoint_path=checkpoint_path,
        checkpoint_extra={"dataset": dataset.id},
    )
    with one_thread():
        result = trainer.fit(resume_state)
    return TinyRun(result, trainer, events)


def model_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the model's state, for comparing two runs."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}


def assert_same_state(
    first: Mapping[str, torch.Tensor], second: Mapping[str, torch.Tensor], why: str
) -> None:
    """Fail naming the first tensor that differs between two model states."""
    assert list(first) == list(second), f"{why}: the models hold different tensors"
    for key in first:
        try:
            torch.testing.assert_close(first[key], second[key])
        except AssertionError as error:
            raise AssertionError(f"{why}: {key!r} differs\n{error}") from None
