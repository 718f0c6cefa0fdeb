"""Overfitting as the evaluations show it: validation loss rising while training loss falls.

The training loss of an evaluation is the mean over the steps since the one before (one
batch's loss is too noisy to compare). Validation loss must rise at each of the last
``RISING_EVALUATIONS`` evaluations, and the training loss end that stretch lower than it
began it: a validation loss that rises with the training loss is divergence, not overfitting.
The last validation loss must also lie ``MIN_RISE`` above the lowest of the run: a converged
run's validation loss wanders by a percent or two, and three small rises in a row happen by
chance (one stretch in eight) - a false alarm a user would soon learn to ignore.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RISING_EVALUATIONS = 3
MIN_RISE = 0.10  # the last validation loss at least 10 % above the run's lowest


@dataclass(frozen=True)
class Evaluation:
    step: int
    val_loss: float
    train_loss: float


def overfitting_since(
    evaluations: Sequence[Evaluation], rising: int = RISING_EVALUATIONS
) -> int | None:
    """The step whose validation loss the last ``rising`` evaluations each rose from (its
    lowest before they rose), where training loss fell meanwhile; None when that is not so."""
    if len(evaluations) < rising + 1:
        return None
    stretch = evaluations[-(rising + 1) :]
    val_rose = all(b.val_loss > a.val_loss for a, b in zip(stretch, stretch[1:], strict=False))
    train_fell = stretch[-1].train_loss < stretch[0].train_loss
    lowest = min(evaluation.val_loss for evaluation in evaluations)
    rose_clearly = stretch[-1].val_loss > lowest + MIN_RISE * abs(lowest)
    return stretch[0].step if val_rose and train_fell and rose_clearly else None


class OverfittingWatch:
    """The evaluations of one run; ``add`` returns the onset step the first time it is seen."""

    def __init__(self) -> None:
        self.evaluations: list[Evaluation] = []
        self.since: int | None = None  # once seen, the run's summary says so
        self.seen_at: int | None = None

    def add(self, evaluation: Evaluation) -> int | None:
        self.evaluations.append(evaluation)
        if self.since is not None:
            return None
        since = overfitting_since(self.evaluations)
        if since is not None:
            self.since, self.seen_at = since, evaluation.step
        return since
