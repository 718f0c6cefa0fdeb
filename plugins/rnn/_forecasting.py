"""Forecasting metrics and the end-of-run forecast plot, against the naive and linear baselines.

Targets and inputs arrive standardised (see ``engine.data._forecast``): channel 0 of the
input is the target's own past. ``mse`` is reported in the target's own units; ``mse_ratio``
is the model's squared error over the naive last-value forecast's on the same samples and
``mse_ratio_linear`` over the linear AR baseline's (below 1 beats it). ``linear_mse`` and
``seasonal_naive_mse`` are the baselines' own errors (the latter only with a ``season``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from plugins.rnn._baselines import (
    TARGET_CHANNEL,
    LinearBaseline,
    last_value_forecast,
    seasonal_naive_forecast,
)

if TYPE_CHECKING:
    import torch

    from engine.data import DataSpec, Split

__all__ = ["TARGET_CHANNEL", "last_value_forecast", "forecast_metrics", "squared_errors"]
PLOTTED_POINTS = 500
# Relative difference of squared errors below which the forecast is the linear one (the run
# kept the linear path alone, the network's share zero); float sums of the same values agree
# closer.
SAME_FORECAST = 1e-9
TITLE_CHARS = 100  # a title line's most characters: the 9-inch plot shows about 125


def baseline_forecasts(
    x: torch.Tensor, horizon: int, linear: LinearBaseline | None, season: int | None
) -> dict[str, torch.Tensor]:
    """Every baseline's forecast for a batch of standardised windows, by name."""
    forecasts = {"naive": last_value_forecast(x, horizon)}
    if linear is not None:
        forecasts["linear"] = linear.predict(x)
    if season:
        forecasts["seasonal_naive"] = seasonal_naive_forecast(x, horizon, season)
    return forecasts


def squared_errors(
    model: torch.nn.Module,
    split: Split,
    batch_size: int,
    linear: LinearBaseline | None = None,
    season: int | None = None,
) -> dict[str, float]:
    """Sums of squared errors (standardised units) of the model (``model``) and baselines."""
    from engine.data import iterate_batches

    sums: dict[str, float] = {}
    for batch in iterate_batches(split, batch_size):
        horizon = batch.y.shape[1]
        forecasts = {"model": model(batch.x).float()}
        forecasts.update(baseline_forecasts(batch.x, horizon, linear, season))
        for name, forecast in forecasts.items():
            sums[name] = sums.get(name, 0.0) + float(((forecast - batch.y) ** 2).sum())
    return sums


def window_errors(
    model: torch.nn.Module, split: Split, batch_size: int, linear: LinearBaseline
) -> tuple[np.ndarray, np.ndarray]:
    """Each window's mean squared error (standardised units): the model's and the linear
    baseline's, in the split's order."""
    import torch

    from engine.data import iterate_batches

    model_errors, linear_errors = [], []
    for batch in iterate_batches(split, batch_size):
        model_errors.append(((model(batch.x).float() - batch.y) ** 2).mean(dim=1))
        linear_errors.append(((linear.predict(batch.x) - batch.y) ** 2).mean(dim=1))
    as_array = lambda parts: torch.cat(parts).double().cpu().numpy()  # noqa: E731
    return as_array(model_errors), as_array(linear_errors)


def correction_evidence(model_errors: np.ndarray, linear_errors: np.ndarray) -> float:
    """The paired t statistic of the model's errors against the linear baseline's, window by
    window: negative where the model is better, in standard errors of the mean difference."""
    differences = np.asarray(model_errors) - np.asarray(linear_errors)
    if len(differences) < 2:
        return 0.0
    spread = float(differences.std(ddof=1))
    mean = float(differences.mean())
    if spread == 0.0:
        return 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    return mean / (spread / math.sqrt(len(differences)))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def forecast_metrics(sums: Mapping[str, float], count: int, target_std: float) -> dict[str, float]:
    """``loss`` (standardised MSE), the MSEs in target units and the ratios to the baselines."""
    loss = sums["model"] / count
    scale = target_std**2
    metrics = {
        "loss": loss,
        "mse": loss * scale,
        "naive_mse": sums["naive"] / count * scale,
        "mse_ratio": _ratio(sums["model"], sums["naive"]),
    }
    if "linear" in sums:
        metrics["linear_mse"] = sums["linear"] / count * scale
        metrics["mse_ratio_linear"] = _ratio(sums["model"], sums["linear"])
    if "seasonal_naive" in sums:
        metrics["seasonal_naive_mse"] = sums["seasonal_naive"] / count * scale
    return metrics


def verdict(metrics: Mapping[str, float], split: str = "test") -> str | None:
    """One honest sentence on whether the network beats the linear baseline on ``split``."""
    ratio = metrics.get(f"{split}_mse_ratio_linear")
    if ratio is None or not math.isfinite(ratio):
        return None
    if abs(ratio - 1) < SAME_FORECAST:
        return (
            f"the forecast on {split} is the linear AR model's: the network did not improve on "
            "it on validation, so the run kept the linear path alone"
        )
    if ratio < 1:
        return (
            f"the network beats the linear AR baseline on {split} "
            f"(its MSE is {ratio:.2f}x the linear model's)"
        )
    return (
        f"the linear AR baseline beats the network on {split} (the network's MSE is "
        f"{ratio:.2f}x the linear model's): prefer the linear model for this series"
    )


def predictions(
    model: torch.nn.Module,
    split: Split,
    spec: DataSpec,
    batch_size: int,
    linear: LinearBaseline | None = None,
) -> dict[str, np.ndarray]:
    """First-step forecasts of the model and the baselines beside the truth, in target units."""
    import torch

    from engine.data import iterate_batches

    model.eval()
    season = spec.extra.get("season")
    columns: dict[str, list[torch.Tensor]] = {}
    with torch.no_grad():
        for batch in iterate_batches(split, batch_size):
            horizon = batch.y.shape[1]
            rows = {"actual": batch.y, "forecast": model(batch.x).float()}
            rows.update(baseline_forecasts(batch.x, horizon, linear, season))
            for name, values in rows.items():
                columns.setdefault(name, []).append(values[:, 0].float().cpu())
    mean, std = spec.extra["target_mean"], spec.extra["target_std"]
    return {name: torch.cat(parts).numpy() * std + mean for name, parts in columns.items()}


STYLES = {
    "actual": ("actual", "black", 1.4),
    "forecast": ("network", "tab:orange", 1.2),
    "linear": ("linear AR", "tab:blue", 1.0),
    "naive": ("naive (last value)", "tab:gray", 0.8),
    "seasonal_naive": ("seasonal naive", "tab:green", 0.8),
}


def plot_title(note: str | None) -> str:
    """The forecast plot's title, with the note's lines wrapped to fit the plot's width."""
    lines = ["Test forecasts, one step ahead"]
    for line in (note or "").splitlines():
        lines += textwrap.wrap(line, TITLE_CHARS)
    return "\n".join(lines)


def forecast_png(
    columns: Mapping[str, np.ndarray],
    target: str,
    path: Path,
    dates: list[str] | None = None,
    note: str | None = None,
) -> None:
    """Plot the test forecasts against the truth; also save every column as CSV beside it."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    count = len(columns["actual"])
    shown = min(count, PLOTTED_POINTS)
    figure = Figure(figsize=(9, 3.8), dpi=100)
    axes = figure.add_subplot()
    x_values: np.ndarray | list = np.arange(shown)
    if dates and len(dates) >= shown:
        x_values = np.array(dates[:shown], dtype="datetime64[s]")
    for name, (label, colour, width) in STYLES.items():
        if name in columns:
            axes.plot(x_values, columns[name][:shown], label=label, color=colour, linewidth=width)
    axes.set_xlabel("date" if dates else "test step")
    axes.set_ylabel(target)
    axes.set_title(plot_title(note), fontsize=10)
    axes.legend(loc="upper right", fontsize=8)
    if dates:
        figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    names = [name for name in STYLES if name in columns]
    table = np.stack([columns[name] for name in names], axis=1)
    header = ",".join(names)
    if dates and len(dates) >= count:
        lines = ["date," + header]
        lines += [
            f"{date}," + ",".join(f"{v:.9g}" for v in row)
            for date, row in zip(dates, table, strict=False)
        ]
        path.with_suffix(".csv").write_text("\n".join(lines) + "\n")
    else:
        np.savetxt(path.with_suffix(".csv"), table, delimiter=",", header=header, comments="")
