"""Evaluation metrics that are not tied to one plugin.

``mode_coverage`` scores samples of a known mixture of Gaussians the way VEEGAN and PacGAN
do (high-quality ratio, modes captured, reverse KL of the mode histogram); ``label_coverage``
scores labelled samples (a classifier's verdict on generated images) the same way.
``class_scores``, ``calibration`` and ``confident_mistakes`` diagnose a classifier on its
test set: per-class precision, recall and F1, the expected calibration error, and the
misclassified samples it was surest of.
"""

from engine.metrics._classification import (
    CALIBRATION_BINS,
    MISTAKES_SHOWN,
    PER_CLASS_SCORES,
    Calibration,
    ClassScores,
    calibration,
    class_scores,
    confident_mistakes,
    is_per_class_metric,
    metric_safe,
)
from engine.metrics._modes import ModeCoverage, label_coverage, mode_coverage

__all__ = [
    "CALIBRATION_BINS",
    "MISTAKES_SHOWN",
    "PER_CLASS_SCORES",
    "Calibration",
    "ClassScores",
    "ModeCoverage",
    "calibration",
    "class_scores",
    "confident_mistakes",
    "is_per_class_metric",
    "label_coverage",
    "metric_safe",
    "mode_coverage",
]
