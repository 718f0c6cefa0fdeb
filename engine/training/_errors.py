"""The training loop's own errors, apart so that its helpers can raise them too."""

from __future__ import annotations


class NonFiniteLoss(RuntimeError):
    """A training metric became NaN or infinite: the run cannot continue. ``step`` is the
    step it happened at (the loop checks a few steps at once, so it may have gone further)."""

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step
