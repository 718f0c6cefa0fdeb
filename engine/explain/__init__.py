"""Explanations of a trained run's predictions: which parts of an input a prediction rests on.

Captum computes the attributions (saliency, integrated gradients, occlusion, Grad-CAM); this
package picks what is explained for each kind of model (``_score``), which methods apply to
it (``_methods``), and runs them in bounded batches (``_attribution``). ``netyard explain``
and the app's Predict tab both go through ``explain``; ``_overlay`` draws attributions over
their inputs and ``_gallery`` lays them out for the HTML report.

Only the method names load with the package: every ``netyard`` command builds the
``explain`` parser from them, and numpy, torch and captum are not needed for that.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from engine.explain._methods import METHOD_NAMES, METHODS, applicable_methods, check_method

if TYPE_CHECKING:
    from engine.explain._attribution import BATCH, Explanation, explain
    from engine.explain._deletion import FRACTIONS, area, deletion_curves
    from engine.explain._gallery import gallery
    from engine.explain._overlay import (
        COLOUR_KEY,
        OPPOSES,
        SUPPORTS,
        overlay_image,
        point_colours,
        token_html,
        token_labels,
        visible_text,
    )
    from engine.explain._samples import first_test_samples

_LAZY = {
    "_attribution": ("BATCH", "Explanation", "explain"),
    "_deletion": ("FRACTIONS", "area", "deletion_curves"),
    "_gallery": ("gallery",),
    "_overlay": (
        "COLOUR_KEY",
        "OPPOSES",
        "SUPPORTS",
        "overlay_image",
        "point_colours",
        "token_html",
        "token_labels",
        "visible_text",
    ),  # fmt: skip
    "_samples": ("first_test_samples",),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [  # the names of _LAZY too (tests/models/test_explain.py checks they agree)
    "BATCH",
    "COLOUR_KEY",
    "FRACTIONS",
    "METHODS",
    "METHOD_NAMES",
    "OPPOSES",
    "SUPPORTS",
    "Explanation",
    "applicable_methods",
    "area",
    "check_method",
    "deletion_curves",
    "explain",
    "first_test_samples",
    "gallery",
    "overlay_image",
    "point_colours",
    "token_html",
    "token_labels",
    "visible_text",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.explain' has no attribute {name!r}")
    return getattr(import_module(f"engine.explain.{module}"), name)
