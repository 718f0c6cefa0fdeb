"""Optimizers from hyperparameter values, so plugins don't each spell the same switch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

OPTIMIZERS = ("adam", "adamw", "sgd")


def make_optimizer(params: Iterable[Any], hparams: Mapping[str, Any], prefix: str = ""):
    """Build ``hparams[prefix+'optimizer']`` with ``lr``, ``weight_decay``, ``momentum``, ``beta1``.

    ``prefix`` lets a plugin with several optimizers keep separate values (``g_lr``...).
    """
    import torch

    def get(key: str, default: Any) -> Any:
        return hparams.get(prefix + key, hparams.get(key, default))

    name = get("optimizer", "adam")
    lr = float(get("lr", 1e-3))
    weight_decay = float(get("weight_decay", 0.0))
    betas = (float(get("beta1", 0.9)), float(get("beta2", 0.999)))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, betas=betas)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=betas)
    if name == "sgd":
        momentum = float(get("momentum", 0.9))
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")


def optimizer_params(
    optimizer: str = "adamw",
    lr: float = 3e-3,
    weight_decay: float = 1e-2,
    lr_help: str = "Learning rate.",
) -> tuple:
    """The usual ``optimizer``, ``lr``, ``weight_decay``, ``momentum`` declarations.

    Spread into a plugin's ``Schema(...)`` with the plugin's own defaults, so the names, ranges
    and help that ``make_optimizer`` reads are declared in one place.
    """
    from engine.schema import Choice, Float

    return (
        Choice("optimizer", optimizer, choices=OPTIMIZERS, help="Optimizer."),
        Float("lr", lr, low=1e-6, high=1.0, log=True, help=lr_help),
        Float("weight_decay", weight_decay, low=0.0, high=1.0, help="Weight decay."),
        Float("momentum", 0.9, low=0.0, high=0.999, help="Momentum (sgd only)."),
    )
