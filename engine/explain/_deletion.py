"""Faithfulness by deletion: mask the pixels an explanation ranks first and see accuracy fall.

An attribution that finds what a classifier rests on makes its accuracy drop faster, as the
most-attributed positions are masked, than masking as many positions at random does. Masked
positions take the value 0 (the baseline integrated gradients and occlusion start from);
channels are masked together, ranked by their summed attribution. The curve's area over the
masked fractions 0..1 is one number per method: the lower, the more faithful.
"""

from __future__ import annotations

import numpy as np

FRACTIONS = tuple(i / 10 for i in range(11))
PREDICT_BATCH = 1024  # masked inputs classified at once


def _positions(attributions: np.ndarray, channels: bool) -> np.ndarray:
    """One score per position and input: channels summed (images: (N, C, H, W))."""
    scores = attributions.sum(axis=1) if channels else attributions
    return scores.reshape(len(scores), -1)


def masked(inputs: np.ndarray, ranking: np.ndarray, fraction: float, channels: bool) -> np.ndarray:
    """``inputs`` with the first ``fraction`` of each one's positions (``ranking``: position
    indices, first masked first) set to 0."""
    count = int(round(fraction * ranking.shape[1]))
    keep = np.ones(ranking.shape, dtype=np.float32)
    np.put_along_axis(keep, ranking[:, :count], 0.0, axis=1)
    shape = (len(inputs), 1, *inputs.shape[2:]) if channels else inputs.shape
    return (inputs * keep.reshape(shape)).astype(inputs.dtype)


def deletion_curves(trained, inputs, labels, attributions, fractions=FRACTIONS, seed: int = 0):
    """Accuracy after masking each of ``fractions`` of the positions: (most attributed first,
    at random), two lists of floats. ``inputs`` images (N, C, H, W) or sequences."""
    channels = inputs.ndim == 4
    scores = _positions(attributions, channels)
    most = np.argsort(-scores, axis=1, kind="stable")
    rng = np.random.default_rng(seed)
    at_random = np.stack([rng.permutation(scores.shape[1]) for _ in range(len(scores))])
    curves: tuple[list[float], list[float]] = ([], [])
    for ranking, curve in zip((most, at_random), curves, strict=True):
        for fraction in fractions:
            predicted = _labels(trained, masked(inputs, ranking, fraction, channels))
            curve.append(float(np.mean(predicted == labels)))
    return curves


def area(curve, fractions=FRACTIONS) -> float:
    """The area under an accuracy curve over the masked fractions (trapezoids)."""
    values, steps = np.asarray(curve), np.diff(np.asarray(fractions))
    return float(np.sum(steps * (values[1:] + values[:-1]) / 2))


def _labels(trained, inputs) -> np.ndarray:
    import torch

    module = trained.module.eval()
    with torch.no_grad():
        parts = [
            module(trained.plugin.network_input(inputs[start : start + PREDICT_BATCH]))
            .argmax(dim=1).numpy()
            for start in range(0, len(inputs), PREDICT_BATCH)
        ]  # fmt: skip
    return np.concatenate(parts)
