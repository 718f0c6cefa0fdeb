"""Data augmentation, declared like every hyperparameter and applied per training batch.

A plugin spreads ``augmentation_params(kind, ...)`` into its schema (as it spreads
``optimizer_params``), so each augmentation's strength is a CLI flag, a form field, a sweep
dimension and an MLflow param like any other. The trainer builds an ``Augmenter`` from those
values: vectorised random transforms of the float batch on the training device, drawn from
their own generator seeded with the run's seed, applied to training batches only.

``Augmenter`` needs torch and is loaded on first use, so declaring the parameters (listing
plugins, opening the app) stays free of it.
"""

from typing import TYPE_CHECKING, Any

from engine.augment._params import (
    IMAGE,
    PREFIX,
    SIGNAL,
    augmentation_params,
    check_augmentation,
    settings,
)

if TYPE_CHECKING:
    from engine.augment._augmenter import Augmenter
    from engine.augment._preview import with_augmented

__all__ = [
    "IMAGE",
    "PREFIX",
    "SIGNAL",
    "Augmenter",
    "augmentation_params",
    "check_augmentation",
    "settings",
    "with_augmented",
]


def __getattr__(name: str) -> Any:
    if name == "Augmenter":
        from engine.augment._augmenter import Augmenter

        return Augmenter
    if name == "with_augmented":
        from engine.augment._preview import with_augmented

        return with_augmented
    raise AttributeError(f"module 'engine.augment' has no attribute {name!r}")
