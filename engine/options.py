"""Options declared once: the training options every plugin shares, and the run options
(seed, CPU threads, device) of every run and sweep.

The training options are merged into each plugin's schema (a plugin may change their
defaults through ``training_defaults``), so ``--set``, validation, MLflow params, the GUI form
and the Optuna search space treat them exactly like the plugin's own hyperparameters. The run
options are no hyperparameters: ``RunConfig`` and ``SweepSpec`` take their defaults from here
and check them with ``check_run_options``, the CLI's flags and the app's fields parse them
here, so each bad value is the same one sentence everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.errors import UsageError
from engine.schema import Bool, Choice, Float, Int, Schema

TRAINING_SCHEMA = Schema(
    Int("steps", 2000, low=1, high=10_000_000, help="Optimizer steps to train for."),
    Int("batch_size", 64, low=1, high=65536, log=True, help="Samples per training step."),
    Int(
        "eval_every",
        0,
        low=0,
        high=10_000_000,
        help="Evaluate on the validation split every N steps (0 = about 20 times per run).",
    ),
    Choice(
        "lr_schedule",
        "none",
        choices=("none", "cosine", "linear", "step"),
        help="Learning-rate schedule over the run (step = x0.1 at 50% and 75%).",
    ),
    Int("warmup_steps", 0, low=0, high=1_000_000, help="Linear learning-rate warm-up steps."),
    Float("grad_clip", 0.0, low=0.0, high=1e6, help="Clip the gradient norm to this (0 = off)."),
    Int(
        "patience",
        0,
        low=0,
        high=100_000,
        help="Early stopping: stop after this many evaluations without improvement (0 = off).",
    ),
    Bool(
        "restore_best",
        False,
        help="End with the weights of the best validation evaluation (test metrics and the "
        "saved model use them), not the last.",
    ),
    Choice(
        "on_divergence",
        "fail",
        choices=("fail", "rollback"),
        help="When the loss becomes NaN/Inf or spikes (over 10x its recent median): fail the "
        "run, or go back to the last evaluation with half the learning rate (3 times at most).",
    ),
    Bool("amp", True, help="Mixed precision on CUDA (bf16 where supported, else fp16)."),
    Int(
        "checkpoint_every",
        0,
        low=0,
        high=10_000_000,
        help="Write a resumable checkpoint every N steps (0 = only at the end or on stop).",
    ),
    Int(
        "keep_checkpoints",
        1,
        low=1,
        high=1000,
        help="Checkpoints kept per run: the last N, plus the best evaluation's (older ones "
        "are deleted as new ones are written).",
    ),
    Float(
        "val_fraction",
        0.1,
        low=0.02,
        high=0.5,
        help="Share of the training data held out for validation.",
    ),
    Bool(
        "deterministic",
        False,
        help="Deterministic algorithms (torch.use_deterministic_algorithms): the same seed "
        "repeats a run exactly, on a GPU too; slower there, and an op with no deterministic "
        "version fails the run.",
    ),
)


@dataclass(frozen=True)
class WholeNumber:
    """A whole-number run option; ``name`` as its error sentence says it."""

    name: str
    default: int | None
    low: int
    high: int

    def check(self, value: Any, typed: Any = None) -> int:
        """``value`` if it is a whole number in range; else a ``UsageError`` naming ``typed``
        (the text it came from, if any) and the range."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not self.low <= value <= self.high
        ):
            shown = value if typed is None else typed
            raise UsageError(f"invalid {self.name} {shown!r}: expected {self.valid()}")
        return value

    def parse(self, text: str) -> int:
        """The number a flag or a form field gives as text, checked."""
        digits = text.strip()
        return self.check(int(digits) if digits.isdigit() else None, text)

    def valid(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


SEED = WholeNumber("seed", 0, low=0, high=2**32 - 1)
THREADS = WholeNumber("thread count", None, low=1, high=1024)  # None: the idle cores
DEFAULT_DEVICE = "auto"
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device(device: str | None) -> str:
    """The device id in lower case (empty: auto); ``UsageError`` unless auto, cpu, cuda or
    cuda:N (whether that device exists is for ``engine.training.resolve_device``)."""
    requested = str(device or DEFAULT_DEVICE).strip().lower()
    if not _DEVICE.match(requested):
        raise UsageError(f"invalid device {requested!r}: expected auto, cpu, cuda or cuda:N")
    return requested


def check_run_options(options: Any) -> None:
    """Check the ``seed``, ``threads`` (None: the idle cores) and ``device`` of a
    ``RunConfig`` or a ``SweepSpec``: one ``UsageError`` for the first bad one."""
    SEED.check(options.seed)
    if options.threads is not None:
        THREADS.check(options.threads)
    check_device(options.device)
