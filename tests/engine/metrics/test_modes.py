"""Mode-coverage metrics on hand-made samples whose answers are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.data._gaussians import grid_modes, ring_modes
from engine.metrics import label_coverage, mode_coverage

RING_SIGMA = 0.01


def test_samples_at_every_mode_capture_all_with_full_quality() -> None:
    modes = ring_modes()
    samples = np.repeat(modes, 10, axis=0)
    coverage = mode_coverage(samples, modes, RING_SIGMA)
    assert coverage.modes == 8
    assert coverage.high_quality == 1.0
    assert coverage.reverse_kl == pytest.approx(0.0, abs=1e-12)
    assert coverage.counts.tolist() == [10] * 8


def test_samples_far_from_every_mode_are_never_high_quality() -> None:
    modes = ring_modes()
    samples = np.full((50, 2), 5.0)
    coverage = mode_coverage(samples, modes, RING_SIGMA)
    assert coverage.high_quality == 0.0
    assert coverage.modes == 0
    # No histogram at all: reported as the worst value, that of total collapse.
    assert coverage.reverse_kl == pytest.approx(math.log(8))


def test_collapse_onto_one_mode_captures_one_with_reverse_kl_log_k() -> None:
    modes = grid_modes()
    samples = modes[7] + 0.01 * np.random.default_rng(0).standard_normal((400, 2))
    coverage = mode_coverage(samples, modes, 0.05)
    assert coverage.modes == 1
    assert coverage.counts[7] == 400
    assert coverage.high_quality == 1.0
    assert coverage.reverse_kl == pytest.approx(math.log(25))


def test_the_three_sigma_boundary_and_mixed_histogram() -> None:
    modes = ring_modes()
    inside = modes[0] + np.array([0.0299, 0.0])  # 2.99 sigma
    outside = modes[0] + np.array([0.0301, 0.0])  # 3.01 sigma
    half_each = np.vstack([np.repeat(modes[:2], 3, axis=0), [inside], [outside]])
    coverage = mode_coverage(half_each, modes, RING_SIGMA)
    assert coverage.counts.tolist()[:2] == [4, 3]
    assert coverage.high_quality == pytest.approx(7 / 8)
    assert coverage.modes == 2
    generated = np.array([4 / 7, 3 / 7])
    expected = float(np.sum(generated * np.log(generated * 8)))
    assert coverage.reverse_kl == pytest.approx(expected)


def test_label_coverage_uses_the_given_true_weights() -> None:
    labels = np.array([0, 0, 1, 1])
    coverage = label_coverage(labels, np.ones(4, bool), 2, weights=np.array([3.0, 1.0]))
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert coverage.reverse_kl == pytest.approx(expected)
    assert coverage.modes == 2


def test_mismatched_dimensions_are_a_bug_not_a_score() -> None:
    with pytest.raises(ValueError, match="n x d"):
        mode_coverage(np.zeros((3, 3)), ring_modes(), RING_SIGMA)
