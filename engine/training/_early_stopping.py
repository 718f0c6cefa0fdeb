"""The best weights seen by early stopping, kept to end a run with them (``restore_best``).

Lightning pairs ``EarlyStopping`` with a ``ModelCheckpoint(save_top_k=1)`` and reloads it;
here the copy stays in memory (the models this trains are small next to the machine's RAM)
and travels in resumable checkpoints, so a resumed run still ends with its best weights.
"""

from __future__ import annotations

from typing import Any

import torch


class BestWeights:
    """A detached copy of the model's state at its best evaluation so far."""

    def __init__(self) -> None:
        self.state: dict[str, torch.Tensor] | None = None
        self.step: int | None = None
        self.metrics: dict[str, float] = {}

    def keep(self, model: torch.nn.Module, step: int, metrics: dict[str, float]) -> None:
        self.state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        self.step = step
        self.metrics = dict(metrics)

    def restore(self, model: torch.nn.Module) -> bool:
        """Load the kept weights into ``model``; False when none were kept."""
        if self.state is None:
            return False
        model.load_state_dict(self.state)
        return True

    def state_dict(self) -> dict[str, Any]:
        if self.state is None:
            return {}
        return {"model": self.state, "step": self.step, "metrics": self.metrics}

    def load_state_dict(self, saved: dict[str, Any] | None) -> None:
        if saved:
            self.state, self.step = saved["model"], int(saved["step"])
            self.metrics = dict(saved["metrics"])
