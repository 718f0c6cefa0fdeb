"""The one number per input that an attribution explains, for each kind of prediction.

Captum explains a scalar per input. Which one depends on what the network predicts:

- classes (any classifier): the logit of the predicted class;
- a forecast (``forecasting``): the forecast's mean over its horizon, in the network's units;
- sorted tokens (``sort``): the sum over positions of each predicted token's logit;
- the next character (``language_modeling``): the logit of the predicted next character.

The predicted codes travel as a forward argument (``chosen``), so captum expands them with
the inputs (integrated gradients' steps, occlusion's perturbations) and each copy of an input
is scored against its own prediction.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

FORECAST, CLASSES, EVERY_POSITION, LAST_POSITION = "forecast", "classes", "positions", "last"


def reading(spec) -> str:
    """How a network with data spec ``spec`` is read (one of the four above)."""
    if spec.task == "forecasting":
        return FORECAST
    if spec.task == "sort":
        return EVERY_POSITION
    if spec.task == "language_modeling":
        return LAST_POSITION
    return CLASSES


class Score(nn.Module):
    """``network``'s output reduced to one explained number per input."""

    def __init__(self, network: nn.Module, how: str) -> None:
        super().__init__()
        self.network, self.how = network, how

    def forward(self, x: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        out = self.network(x)
        if self.how == FORECAST:
            return out.mean(dim=1)
        if self.how == LAST_POSITION:
            out = out[:, -1]
        if out.dim() == 2:
            return out.gather(1, chosen[:, :1]).squeeze(1)
        return out.gather(2, chosen.unsqueeze(2)).squeeze(2).sum(dim=1)

    @torch.no_grad()
    def choose(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted codes of a batch, as ``forward`` takes them ((N, 1) or (N, T))."""
        out = self.network(x)
        if self.how == FORECAST:
            return torch.zeros(len(x), 1, dtype=torch.long, device=x.device)
        if self.how == LAST_POSITION:
            out = out[:, -1]
        chosen = out.argmax(dim=-1)
        return chosen[:, None] if chosen.dim() == 1 else chosen


def predictions(trained, how: str, x: torch.Tensor, chosen: torch.Tensor) -> np.ndarray:
    """What the model predicts for a batch: class or token codes, or the forecast in the
    series' own units (the plugin's ``outputs``), one row per input."""
    if how != FORECAST:
        codes = chosen.cpu().numpy()
        return codes[:, 0] if how != EVERY_POSITION else codes
    with torch.no_grad():
        columns = trained.plugin.outputs(trained.module(x))
    return np.stack([np.asarray(v, dtype=np.float32) for v in columns.values()], axis=1)
