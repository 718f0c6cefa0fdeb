"""The baselines every forecast is measured against, fitted on the training windows only.

- naive: the last observed target value, repeated over the horizon;
- seasonal naive: the target one season earlier (needs the dataset's ``season``);
- linear: an autoregression AR(p) (every input channel's latest p values and a bias, one
  least-squares fit per horizon step) on the standardised training windows, the linear model
  practitioners try first. The order p (1 to the window) is chosen by AICc on the training
  windows: Akaike's criterion with Hurvich and Tsai's small-sample correction (1989), derived
  for exactly this choice and the default of R's ``auto.arima``. The full window over-fits a
  short series (32 lags on the 40 training windows of a 100-point series forecast worse than
  the last value), and a baseline that weak would flatter the network; so did plain AIC (and
  BIC, ``ar_select_order``'s default) once the lags neared the windows' count, where the fit
  turns exact: on 45 windows of German quarterly inflation AIC chose 29 lags and forecast the
  test part 8.6x worse than AICc's 4 lags. Elsewhere AICc chose what AIC did. With a
  ``season`` s, AICc also weighs each order with the seasonal lags s, 2s, ... (and the step
  after each, as a seasonal AR's ``(1 - a B)(1 - b B^s)`` product holds) that fit in the
  window, so the linear model knows what the seasonal-naive forecast knows. (Candidates with
  the lags of only the first P seasons, as a seasonal AR's order P, were tried: AICc then
  chose worse-forecasting lags for quarterly inflation and sunspots, test error +11% and +8%.)
  Plain numpy least squares, no library.

The same fit is the forecaster's linear path (``RecurrentNet.set_linear``): one least-squares
solution serves as the baseline and as the path the network's forecast is combined with.
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
    seasonal_lags: tuple[int, ...] = ()  # lags beyond 1..p that the season added
    # (horizon,): the fit's root-mean-square error on the training windows, per horizon step
    residual_rms: np.ndarray | None = None

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        import torch

        weight = torch.as_tensor(self.weight, dtype=torch.float32, device=x.device)
        bias = torch.as_tensor(self.bias, dtype=torch.float32, device=x.device)
        return x.float().flatten(1) @ weight.T + bias

    def describe(self) -> str:
        """``lags 1-3 and 12, 13`` for the summary."""
        ordinary = "lag 1" if self.lags == 1 else f"lags 1-{self.lags}"
        extra = [lag for lag in self.seasonal_lags if lag > self.lags]
        return ordinary + (f" and {', '.join(map(str, extra))}" if extra else "")


def linear_features(window: int, channels: int) -> int:
    return window * channels


def seasonal_lags(season: int | None, window: int) -> list[int]:
    """Lags s, s + 1, 2s, 2s + 1, ... that fit in the window (none without a season)."""
    if not season or season < 2:
        return []
    lags = {lag for k in range(1, window // season + 1) for lag in (k * season, k * season + 1)}
    return sorted(lag for lag in lags if lag <= window)


def _least_squares(windows: np.ndarray, targets: np.ndarray, lags: list[int]):
    """Coefficients on the given lags of every channel (and a bias), and the RSS of each
    target column."""
    window = windows.shape[1]
    inputs = windows[:, [window - lag for lag in lags], :].reshape(len(windows), -1)
    design = np.hstack([inputs, np.ones((len(inputs), 1))])
    # lstsq returns the minimum-norm solution when there are fewer windows than features.
    solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
    residuals = targets - design @ solution
    return solution, (residuals**2).sum(axis=0)


def fit_linear(train: Split, season: int | None = None) -> LinearBaseline | None:
    """AR fit on the training windows, its order (and the seasonal lags, with a ``season``)
    chosen by AICc; None when the window holds too many features for a cheap fit
    (``MAX_LINEAR_FEATURES``)."""
    windows = train.x.detach().cpu().double().numpy()
    count, window, channels = windows.shape
    if window * channels > MAX_LINEAR_FEATURES:
        return None
    targets = train.y.detach().cpu().double().numpy()
    seasonal = seasonal_lags(season, window)
    best: tuple[float, int, list[int], np.ndarray, np.ndarray] | None = None
    for order in range(1, window + 1):
        candidates = [list(range(1, order + 1))]
        with_season = sorted(set(candidates[0]) | set(seasonal))
        if seasonal and with_season != candidates[0]:
            candidates.append(with_season)
        for lags in candidates:
            parameters = len(lags) * channels + 1
            if parameters >= count - 1:  # no degrees of freedom left: AICc means nothing
                continue
            solution, column_rss = _least_squares(windows, targets, lags)
            rss = float(column_rss.sum())
            correction = 2 * parameters * (parameters + 1) / (count - parameters - 1)
            penalty = (2 * parameters + correction) * targets.shape[1]
            aicc = count * np.log(max(rss, 1e-300) / count) + penalty
            if best is None or aicc < best[0]:
                best = (aicc, order, lags, solution, column_rss)
    if best is None:  # fewer windows than two parameters: the last value's lag alone
        best = (0.0, 1, [1], *_least_squares(windows, targets, [1]))
    _, order, lags, solution, column_rss = best
    weight = np.zeros((targets.shape[1], window, channels))
    weight[:, [window - lag for lag in lags], :] = solution[:-1].T.reshape(-1, len(lags), channels)
    return LinearBaseline(
        weight=weight.reshape(targets.shape[1], -1),
        bias=np.ascontiguousarray(solution[-1]),
        lags=order,
        seasonal_lags=tuple(lag for lag in lags if lag > order),
        residual_rms=np.sqrt(column_rss / count),
    )


def seasonal_profile(train: Split, season: int) -> np.ndarray:
    """The mean standardised target at each position of the season over the training part.

    The training windows are consecutive in time (``engine.data._forecast``): window ``i``
    holds times ``i .. i + window - 1``, so the target's own past rebuilds the series from time
    0, and position ``t % season`` is consistent across the part (its origin is arbitrary:
    ``SeasonalPhase`` matches the profile at every shift).
    """
    target = train.x[:, :, TARGET_CHANNEL].detach().cpu().double().numpy()
    series = np.concatenate([target[0], target[1:, -1]])
    positions = np.arange(len(series)) % season
    sums = np.bincount(positions, weights=series, minlength=season)
    counts = np.bincount(positions, minlength=season)
    return sums / np.maximum(counts, 1)
