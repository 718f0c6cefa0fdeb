"""The learning-rate finder: exponential ramps of the rate, the loss recorded, one robust
suggestion (``_suggest`` says which rule and why).

Importing this package does not import torch (the app reads its events and findings);
``find_lr`` and ``find_lr_for`` import it when called.
"""

from engine.lr_finder._events import LrFindProgress, LrFound
from engine.lr_finder._job import DEFAULT_RAMPS, DEFAULT_STEPS, find_lr_for
from engine.lr_finder._suggest import LrFinding, Ramp, combine, ramp_rates, smooth


def find_lr(*args, **kwargs) -> LrFinding:
    """``engine.lr_finder._ramp.find_lr``: imported on first use (it imports torch)."""
    from engine.lr_finder._ramp import find_lr as run

    return run(*args, **kwargs)


__all__ = [
    "DEFAULT_RAMPS",
    "DEFAULT_STEPS",
    "LrFindProgress",
    "LrFinding",
    "LrFound",
    "Ramp",
    "combine",
    "find_lr",
    "find_lr_for",
    "ramp_rates",
    "smooth",
]
