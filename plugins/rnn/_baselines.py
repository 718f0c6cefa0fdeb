"""The baselines every forecast is measured against, fitted on the training windows only.

- naive: the last observed target value, repeated over the horizon;
- seasonal naive: the target one season earlier (needs the dataset's ``season``);
- linear: an autoregression AR(p) (every input channel's latest p values and a bias, one
  least-squares fit per horizon step) on the standardised training windows, the linear model
  practitioners try first. The order p (1 to the window) is chosen by AIC on the training
  windows, as a practitioner would: the full window over-fits a short series (32 lags on the
  40 training windows of a 100-point series forecast worse than the last value), and a
  baseline that weak would flatter the network. Plain numpy least squares, no library.

Nothing here sees the validation or test parts: ``fit_linear`` takes the training split alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from engine.data import Split

TARGET_CHANNEL = 0
# Least squares on more features than this would cost more than the network it judges.
MAX_LINEAR_FEATURES = 4096


def last_value_forecast(x: torch.Tensor, horizon: int) -> torch.Tensor:
    """The naive forecast: the latest observed target value repeated over the horizon."""
    return x[:, -1, TARGET_CHANNEL].unsqueeze(1).expand(-1, horizon)


def seasonal_naive_forecast(x: torch.Tensor, horizon: int, season: int) -> torch.Tensor:
    """The target ``season`` steps before each forecast time (whole seasons back for longer
    horizons); the window must hold at least one season."""
    import torch

    window = x.shape[1]
    # Horizon step h (0-based) forecasts time t + h from t + h - season * (h // season + 1).
    positions = [window + h - season * (h // season + 1) for h in range(horizon)]
    return x[:, torch.tensor(positions, device=x.device), TARGET_CHANNEL]


@dataclass(frozen=True)
class LinearBaseline:
    """``y = x.flatten() @ weight.T + bias`` on standardised windows."""

    weight: np.ndarray  # (horizon, window * channels): zero beyond the chosen lags
    bias: np.ndarray  # (horizon,)
    lags: int = 0  # the chosen order p

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        import torch

        weight = torch.as_tensor(self.weight, dtype=torch.float32, device=x.device)
        bias = torch.as_tensor(self.bias, dtype=torch.float32, device=x.device)
        return x.float().flatten(1) @ weight.T + bias


def linear_features(window: int, channels: int) -> int:
    return window * channels


def _least_squares(windows: np.ndarray, targets: np.ndarray, lags: int):
    """Coefficients on the latest ``lags`` steps of every channel (and a bias), and the RSS."""
    inputs = windows[:, -lags:, :].reshape(len(windows), -1)
    design = np.hstack([inputs, np.ones((len(inputs), 1))])
    # lstsq returns the minimum-norm solution when there are fewer windows than features.
    solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
    residuals = targets - design @ solution
    return solution, float((residuals**2).sum())


def fit_linear(train: Split) -> LinearBaseline | None:
    """AR fit on the training windows, its order chosen by AIC; None when the window holds
    too many features for a cheap fit (``MAX_LINEAR_FEATURES``)."""
    windows = train.x.detach().cpu().double().numpy()
    count, window, channels = windows.shape
    if window * channels > MAX_LINEAR_FEATURES:
        return None
    targets = train.y.detach().cpu().double().numpy()
    best: tuple[float, int, np.ndarray] | None = None
    for lags in range(1, window + 1):
        parameters = lags * channels + 1
        if parameters >= count:  # no degrees of freedom left: AIC means nothing
            break
        solution, rss = _least_squares(windows, targets, lags)
        aic = count * np.log(max(rss, 1e-300) / count) + 2 * parameters * targets.shape[1]
        if best is None or aic < best[0]:
            best = (aic, lags, solution)
    if best is None:  # fewer windows than two parameters: the last value's lag alone
        best = (0.0, 1, _least_squares(windows, targets, 1)[0])
    _, lags, solution = best
    weight = np.zeros((targets.shape[1], window, channels))
    weight[:, window - lags :, :] = solution[:-1].T.reshape(-1, lags, channels)
    return LinearBaseline(
        weight=weight.reshape(targets.shape[1], -1),
        bias=np.ascontiguousarray(solution[-1]),
        lags=lags,
    )
