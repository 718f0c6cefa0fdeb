"""Scoring generated samples: mode coverage on 2-D mixtures, a classifier's verdict on images.

Points are scored against the true modes in ``DataSpec.extra`` (VEEGAN/PacGAN metrics, see
``engine.metrics``). Images have no mode centres, so, as PacGAN does on stacked MNIST, a
classifier fitted on the real labelled images of the evaluated split names each generated
image's class: an image is high quality when the classifier gives its class a probability of
at least ``CONFIDENT`` (0.9), a class is captured when at least one high-quality image gets
it, and the reverse KL compares that class histogram with the split's class frequencies.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.data import DataSpec, Split
from engine.metrics import ModeCoverage, label_coverage, mode_coverage
from plugins.gan._model import GAN

EVAL_SAMPLES = 2500  # as in VEEGAN and PacGAN
CONFIDENT = 0.9


def draw_samples(model: GAN, seed: int, count: int = EVAL_SAMPLES) -> np.ndarray:
    """``count`` samples in eval mode from noise seeded by ``seed``.

    A generator of its own keeps the training random stream untouched, so evaluating more or
    less often never changes what a run learns.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model.sample(count, torch.Generator().manual_seed(seed)).float().cpu().numpy()
    finally:
        model.train(was_training)


class ImageJudge:
    """Logistic regression on the real images of one split; names generated images' classes."""

    def __init__(self, split: Split, num_classes: int) -> None:
        from sklearn.linear_model import LogisticRegression

        x = split.x.float().flatten(1).cpu().numpy()
        y = split.y.cpu().numpy()
        self.num_classes = num_classes
        self.classifier = LogisticRegression(max_iter=500).fit(x, y)
        frequencies = np.bincount(y, minlength=num_classes).astype(np.float64)
        # A class absent from this split still gets a little weight, so the KL stays finite.
        self.weights = np.maximum(frequencies, 0.5)

    def coverage(self, images: np.ndarray) -> ModeCoverage:
        probabilities = self.classifier.predict_proba(images.reshape(len(images), -1))
        labels = self.classifier.classes_[probabilities.argmax(axis=1)]
        good = probabilities.max(axis=1) >= CONFIDENT
        return label_coverage(labels, good, self.num_classes, self.weights)


def judge_possible(spec: DataSpec, split: Split) -> bool:
    return (
        spec.kind == "image"
        and split.y is not None
        and len(torch.unique(split.y)) >= 2  # a classifier needs two classes
    )


def point_coverage(spec: DataSpec, samples: np.ndarray) -> ModeCoverage | None:
    if "modes" not in spec.extra or "sigma" not in spec.extra:
        return None
    return mode_coverage(samples, np.asarray(spec.extra["modes"]), float(spec.extra["sigma"]))
