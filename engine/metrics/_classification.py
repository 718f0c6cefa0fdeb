"""Per-class scores, calibration and the most confident mistakes of a classifier's test set.

Pure numpy functions of the true labels and the predicted probabilities, so that they are
tested against hand-computed values apart from any model. The definitions are the usual ones:

- precision, recall and F1 per class as scikit-learn's ``precision_recall_fscore_support``
  gives them, a class never predicted (or never present) scoring 0, not NaN;
- the expected calibration error of Guo et al. 2017 (*On Calibration of Modern Neural
  Networks*): the test samples put in 15 equal-width bins of confidence (the top class's
  probability, bin m holding ((m-1)/M, m/M]), ECE = sum over bins of |B_m| / n times
  |accuracy(B_m) - mean confidence(B_m)|; the same bins draw the reliability diagram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CALIBRATION_BINS = 15
MISTAKES_SHOWN = 16
# The per-class metrics' names: ``test_precision/<class>``, one family per score. MLflow takes
# letters, digits, ``_ - . / :`` and spaces in a metric name; other characters of a class
# name (a folder named "cat?") become "_".
PER_CLASS_SCORES = ("precision", "recall", "f1")
_NOT_IN_METRIC_NAMES = re.compile(r"[^\w.\- ]")


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support (true samples) of each class, in class order."""

    class_names: tuple[str, ...]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray

    @property
    def macro_f1(self) -> float:
        """The unweighted mean F1 over classes (what a minority class moves as much as any)."""
        return float(self.f1.mean()) if self.f1.size else 0.0

    def as_metrics(self, prefix: str = "test_") -> dict[str, float]:
        """``{prefix}precision/<class>`` ... for each class, and ``{prefix}macro_f1``."""
        metrics = {f"{prefix}macro_f1": self.macro_f1}
        for score in PER_CLASS_SCORES:
            values = getattr(self, score)
            for name, value in zip(self.class_names, values, strict=True):
                metrics[f"{prefix}{score}/{metric_safe(name)}"] = float(value)
        return metrics

    def rows(self) -> list[dict[str, float | int | str]]:
        """One row per class, for the table artifact (CSV and JSON)."""
        return [
            {"class": name, "precision": float(p), "recall": float(r), "f1": float(f),
             "support": int(s)}
            for name, p, r, f, s in zip(self.class_names, self.precision, self.recall,
                                        self.f1, self.support, strict=True)
        ]  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """The expected calibration error and the bins it comes from (the reliability diagram).

    ``confidence`` and ``accuracy`` are NaN in bins no sample fell in."""

    ece: float
    edges: np.ndarray  # bins + 1 values from 0 to 1
    confidence: np.ndarray  # mean top-class probability per bin
    accuracy: np.ndarray  # share of the bin's samples predicted right
    counts: np.ndarray


def metric_safe(name: str) -> str:
    """A class name as MLflow takes it inside a metric name."""
    return _NOT_IN_METRIC_NAMES.sub("_", str(name)).strip() or "_"


def is_per_class_metric(name: str) -> bool:
    """Whether ``name`` is one class's score (``test_f1/cat``): a table's cell, not a column."""
    head, slash, _ = name.partition("/")
    return bool(slash) and any(head.endswith(score) for score in PER_CLASS_SCORES)


def class_scores(
    true: np.ndarray, predicted: np.ndarray, class_names: Sequence[str]
) -> ClassScores:
    """Per-class precision, recall, F1 and support of ``predicted`` against ``true`` labels."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"true {true.shape} and predicted {predicted.shape} labels differ")
    classes = len(class_names)
    hits = np.bincount(true[true == predicted], minlength=classes).astype(np.float64)
    support = np.bincount(true, minlength=classes)
    guessed = np.bincount(predicted, minlength=classes)
    precision = np.divide(hits, guessed, out=np.zeros(classes), where=guessed > 0)
    recall = np.divide(hits, support, out=np.zeros(classes), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(classes), where=both > 0)
    return ClassScores(tuple(str(n) for n in class_names), precision, recall, f1, support)


def calibration(
    probabilities: np.ndarray, true: np.ndarray, bins: int = CALIBRATION_BINS
) -> Calibration:
    """The expected calibration error of ``probabilities`` (n x classes) against ``true``."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    true = np.asarray(true, dtype=np.int64)
    if probabilities.ndim != 2 or len(probabilities) != len(true):
        raise ValueError(
            f"probabilities {probabilities.shape} must be n x classes, n = {len(true)}"
        )
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin m holds (edges[m], edges[m + 1]]; a confidence of exactly 0 goes in the first.
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    filled = counts > 0
    mean_confidence = np.full(bins, np.nan)
    accuracy = np.full(bins, np.nan)
    mean_confidence[filled] = np.bincount(index, confidence, bins)[filled] / counts[filled]
    accuracy[filled] = np.bincount(index, correct, bins)[filled] / counts[filled]
    gaps = np.abs(accuracy[filled] - mean_confidence[filled])
    ece = float((counts[filled] * gaps).sum() / max(1, len(true)))
    return Calibration(ece, edges, mean_confidence, accuracy, counts)


def confident_mistakes(
    probabilities: np.ndarray, true: np.ndarray, count: int = MISTAKES_SHOWN
) -> np.ndarray:
    """Indices of the ``count`` misclassified samples predicted with the highest confidence,
    most confident first (ties: the earlier sample first)."""
    probabilities = np.asarray(probabilities)
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != np.asarray(true))
    confidence = probabilities[wrong].max(axis=1)
    return wrong[np.argsort(-confidence, kind="stable")][:count]
