"""A classifier's test diagnostics as pure functions, against values worked out by hand (and
scikit-learn's where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import (
    calibration,
    class_scores,
    confident_mistakes,
    is_per_class_metric,
    metric_safe,
)

# Three classes; by hand: class 0 predicted 3 times, right twice (p 2/3), 2 of 3 found (r 2/3);
# class 1 predicted 3 times, right once (p 1/3), 1 of 2 found (r 1/2, f1 2/5); class 2
# predicted once, right (p 1), 1 of 2 found (r 1/2, f1 2/3).
TRUE = np.array([0, 0, 0, 1, 1, 2, 2])
PREDICTED = np.array([0, 0, 1, 1, 0, 2, 1])


def test_per_class_precision_recall_f1_and_support_by_hand():
    scores = class_scores(TRUE, PREDICTED, ["cat", "dog", "eel"])
    assert scores.precision == pytest.approx([2 / 3, 1 / 3, 1.0])
    assert scores.recall == pytest.approx([2 / 3, 1 / 2, 1 / 2])
    assert scores.f1 == pytest.approx([2 / 3, 2 / 5, 2 / 3])
    assert scores.support.tolist() == [3, 2, 2]
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 5 + 2 / 3) / 3)
    metrics = scores.as_metrics()
    assert metrics["test_precision/dog"] == pytest.approx(1 / 3)
    assert metrics["test_f1/eel"] == pytest.approx(2 / 3)
    assert len(metrics) == 3 * 3 + 1  # three scores per class, and the macro F1
    assert scores.rows()[0] == {"class": "cat", "precision": pytest.approx(2 / 3),
                                "recall": pytest.approx(2 / 3), "f1": pytest.approx(2 / 3),
                                "support": 3}  # fmt: skip


def test_per_class_scores_agree_with_scikit_learn_and_a_class_never_predicted_scores_zero():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    true = rng.integers(0, 5, 200)
    predicted = np.where(rng.random(200) < 0.6, true, rng.integers(0, 4, 200))
    predicted[predicted == 4] = 3  # class 4 is never predicted
    ours = class_scores(true, predicted, [str(i) for i in range(5)])
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        true, predicted, labels=range(5), zero_division=0
    )
    assert ours.precision == pytest.approx(precision)
    assert ours.recall == pytest.approx(recall)
    assert ours.f1 == pytest.approx(f1)
    assert ours.support.tolist() == support.tolist()
    assert ours.precision[4] == 0.0 and ours.f1[4] == 0.0


def test_a_perfectly_calibrated_model_has_no_calibration_error():
    # In each bin the share right equals the confidence: 0.6 sure and right 3 times in 5,
    # 0.9 sure and right 9 times in 10.
    probabilities = np.array([[0.6, 0.4]] * 5 + [[0.9, 0.1]] * 10)
    true = np.array([0, 0, 0, 1, 1] + [0] * 9 + [1])
    result = calibration(probabilities, true)
    assert result.ece == pytest.approx(0.0, abs=1e-12)
    assert result.counts.sum() == 15 and len(result.counts) == 15 == len(result.edges) - 1
    filled = result.counts > 0
    assert result.accuracy[filled] == pytest.approx(result.confidence[filled])


def test_an_overconfident_model_has_the_calibration_error_worked_out_by_hand():
    # 0.95 sure and right half the time (gap 0.45, 4 samples); 0.55 sure and always right
    # (gap 0.45, 2 samples): ECE = (4 * 0.45 + 2 * 0.45) / 6 = 0.45.
    probabilities = np.array([[0.95, 0.05]] * 4 + [[0.45, 0.55]] * 2)
    true = np.array([0, 0, 1, 1, 1, 1])
    result = calibration(probabilities, true)
    assert result.ece == pytest.approx(0.45)
    # 0.55 lies in bin (8/15, 9/15], 0.95 in (14/15, 1]
    assert result.counts[8] == 2 and result.counts[14] == 4 and result.counts.sum() == 6
    assert result.accuracy[14] == pytest.approx(0.5) and result.confidence[14] == pytest.approx(
        0.95
    )
    assert np.isnan(result.accuracy[0])  # no sample there


def test_the_most_confident_mistakes_come_first_and_right_answers_never():
    probabilities = np.array([
        [0.9, 0.1],  # right
        [0.3, 0.7],  # wrong, 0.7
        [0.95, 0.05],  # wrong, 0.95
        [0.4, 0.6],  # wrong, 0.6
        [0.3, 0.7],  # wrong, 0.7 (a tie: the earlier sample first)
    ])  # fmt: skip
    true = np.array([0, 0, 1, 0, 0])
    assert confident_mistakes(probabilities, true).tolist() == [2, 1, 4, 3]
    assert confident_mistakes(probabilities, true, count=2).tolist() == [2, 1]
    assert confident_mistakes(probabilities[:1], true[:1]).tolist() == []


def test_class_names_become_metric_names_and_are_told_apart_from_other_metrics():
    assert metric_safe("cat?") == "cat_" and metric_safe("sea lion") == "sea lion"
    assert is_per_class_metric("test_precision/cat") and is_per_class_metric("test_f1/3")
    assert not is_per_class_metric("test_macro_f1") and not is_per_class_metric("system/cpu")
    assert not is_per_class_metric("test_accuracy")
