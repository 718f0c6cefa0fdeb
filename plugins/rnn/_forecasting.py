"""Forecasting losses and metrics, against the naive last-value forecast.

Targets and inputs arrive standardised (see ``engine.data._forecast``): channel 0 of the
input is the target's own past, so the naive forecast of every horizon step is the input's
last channel-0 value. ``mse`` is reported in the target's own units, ``mse_ratio`` is the
model's squared error over the naive forecast's on the same samples (below 1 beats it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from engine.data import DataSpec, Split

TARGET_CHANNEL = 0


def last_value_forecast(x: torch.Tensor, horizon: int) -> torch.Tensor:
    """The naive forecast: the latest observed target value repeated over the horizon."""
    return x[:, -1, TARGET_CHANNEL].unsqueeze(1).expand(-1, horizon)


def squared_errors(model: torch.nn.Module, split: Split, batch_size: int):
    """Sums of squared errors (standardised units) of the model and of the naive forecast."""
    from engine.data import iterate_batches

    model_sum = naive_sum = 0.0
    for batch in iterate_batches(split, batch_size):
        prediction = model(batch.x).float()
        naive = last_value_forecast(batch.x, batch.y.shape[1])
        model_sum += float(((prediction - batch.y) ** 2).sum())
        naive_sum += float(((naive - batch.y) ** 2).sum())
    return model_sum, naive_sum


def forecast_metrics(model_sse: float, naive_sse: float, count: int, target_std: float):
    """``loss`` (standardised MSE), ``mse`` and ``naive_mse`` in target units, ``mse_ratio``."""
    loss = model_sse / count
    scale = target_std**2
    return {
        "loss": loss,
        "mse": loss * scale,
        "naive_mse": naive_sse / count * scale,
        "mse_ratio": model_sse / naive_sse if naive_sse > 0 else float("nan"),
    }


def predictions(model: torch.nn.Module, split: Split, spec: DataSpec, batch_size: int):
    """First-step forecasts and truths of a split, back in the target's units."""
    import torch

    from engine.data import iterate_batches

    model.eval()
    predicted, truth = [], []
    with torch.no_grad():
        for batch in iterate_batches(split, batch_size):
            predicted.append(model(batch.x)[:, 0].float().cpu())
            truth.append(batch.y[:, 0].float().cpu())
    mean, std = spec.extra["target_mean"], spec.extra["target_std"]
    return torch.cat(predicted).numpy() * std + mean, torch.cat(truth).numpy() * std + mean


def forecast_png(predicted: np.ndarray, truth: np.ndarray, target: str, path: Path) -> None:
    """Plot the test forecasts against the truth; also save both as CSV beside the plot."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    shown = slice(0, min(len(truth), 500))
    figure = Figure(figsize=(9, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.plot(truth[shown], label="actual", color="black", linewidth=1)
    axes.plot(predicted[shown], label="forecast", color="tab:orange", linewidth=1)
    axes.set_xlabel("test step")
    axes.set_ylabel(target)
    axes.set_title("Test forecasts, one step ahead")
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path)
    table = np.stack([truth, predicted], axis=1)
    np.savetxt(
        path.with_suffix(".csv"), table, delimiter=",", header="actual,forecast", comments=""
    )
