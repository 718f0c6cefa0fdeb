"""Explanations of a trained run's predictions: which parts of an input a prediction rests on.

Captum computes the attributions (saliency, integrated gradients, occlusion, Grad-CAM); this
package picks what is explained for each kind of model (``_score``), which methods apply to
it (``_methods``), and runs them in bounded batches (``_attribution``). ``netyard explain``
and the app's Predict tab both go through ``explain``; captum and torch are imported on use.
"""

from engine.explain._attribution import BATCH, Explanation, explain
from engine.explain._deletion import FRACTIONS, area, deletion_curves
from engine.explain._methods import METHODS, applicable_methods, check_method
from engine.explain._samples import first_test_samples

__all__ = [
    "BATCH",
    "FRACTIONS",
    "METHODS",
    "Explanation",
    "applicable_methods",
    "area",
    "check_method",
    "deletion_curves",
    "explain",
    "first_test_samples",
]
