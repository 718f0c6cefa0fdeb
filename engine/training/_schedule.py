"""Learning-rate schedules as multipliers of the base rate, with linear warm-up."""

from __future__ import annotations

import math
from collections.abc import Callable


def lr_multiplier(schedule: str, total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """``f(step)`` for ``LambdaLR``: warm-up from 0, then the named decay to the end."""

    def multiplier(step: int) -> float:
        if warmup_steps and step < warmup_steps:
            return (step + 1) / warmup_steps
        span = max(1, total_steps - warmup_steps)
        progress = min(1.0, (step - warmup_steps) / span)
        if schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        if schedule == "linear":
            return max(0.0, 1.0 - progress)
        if schedule == "step":
            return 0.1 ** (int(progress >= 0.5) + int(progress >= 0.75))
        return 1.0

    return multiplier
