"""Evaluation metrics that are not tied to one plugin.

``mode_coverage`` scores samples of a known mixture of Gaussians the way VEEGAN and PacGAN
do (high-quality ratio, modes captured, reverse KL of the mode histogram); ``label_coverage``
scores labelled samples (a classifier's verdict on generated images) the same way.
"""

from engine.metrics._modes import ModeCoverage, label_coverage, mode_coverage

__all__ = ["ModeCoverage", "label_coverage", "mode_coverage"]
