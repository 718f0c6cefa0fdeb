"""Forecasting datasets from one series: sliding windows and chronological splits.

A series of shape (time, channels) whose channel 0 is the target becomes samples
``x`` = the ``window`` latest values of every channel (shape window x channels) and
``y`` = the next ``horizon`` values of the target. The series is cut by time into train,
validation and test parts (in that order); a sample belongs to the part that holds all of its
targets, and its inputs may reach back into earlier parts (the past is known at forecast
time), so no target is ever seen by an earlier split. Every channel is standardised with the
mean and standard deviation of the training part alone.

The resulting ``DataSpec`` has kind ``timeseries`` and task ``forecasting``; its ``extra``
holds ``window``, ``horizon``, ``channels`` (names, target first), ``target``,
``target_mean`` and ``target_std`` (to turn standardised values back into the target's
units) and ``boundaries`` (the time indices where validation and test begin); with a
``season`` (steps per seasonal cycle) it holds ``season`` and ``season_source`` (``given``, or
how it was detected: without a ``season``, regular monthly, quarterly, daily, weekly or hourly
dates give 12, 4, 7, 52 or 24, as statsmodels would; a detected season longer than the window
is not used and ``season_source`` says how to use it); with dates (one per row, sorted)
it holds ``date_column``, ``first_date``, ``last_date``, ``test_dates`` (the time of each test
sample's first target, up to ``MAX_TEST_DATES``) and, when steps vary, ``irregular_dates``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.data._spec import Dataset, DataSpec
from engine.data._splits import to_split
from engine.errors import UsageError

KIND = "timeseries"
TASK = "forecasting"
TEST_FRACTION = 0.2
MAX_WINDOW = 10_000
MAX_HORIZON = 1_000
MAX_TEST_DATES = 5_000  # spec.extra travels in every run's config.json: keep it small


def boundaries(length: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Time indices where the validation and the test parts begin."""
    n_test = int(round(length * test_fraction))
    n_val = int(round((length - n_test) * val_fraction))
    return length - n_test - n_val, length - n_test


def sample_counts(
    length: int, window: int, horizon: int, val_fraction: float, test_fraction: float
) -> tuple[int, int, int]:
    """How many complete samples the train, validation and test parts hold."""
    val_start, test_start = boundaries(length, val_fraction, test_fraction)
    # A sample whose targets start at time t needs t >= window and t + horizon <= part end.
    train = val_start - horizon - window + 1
    val = test_start - horizon - max(val_start, window) + 1
    test = length - horizon - max(test_start, window) + 1
    return max(0, train), max(0, val), max(0, test)


def minimum_length(window: int, horizon: int, val_fraction: float, test_fraction: float) -> int:
    """The shortest series whose three parts each hold at least one sample."""
    length = window + horizon
    while min(sample_counts(length, window, horizon, val_fraction, test_fraction)) < 1:
        length += 1
    return length


def check_length(
    source: str, length: int, window: int, horizon: int, val_fraction: float, test_fraction: float
) -> None:
    """Raise ``UsageError`` naming ``source`` when the series is too short for the windows."""
    counts = sample_counts(length, window, horizon, val_fraction, test_fraction)
    if min(counts) >= 1:
        return
    needed = minimum_length(window, horizon, val_fraction, test_fraction)
    names = ("train", "val", "test")
    empty = ", ".join(name for name, n in zip(names, counts, strict=True) if n < 1)
    raise UsageError(
        f"{source} has {length} rows, too few for window {window} and horizon {horizon}: "
        f"the chronological {empty} part would hold no complete window; give at least "
        f"{needed} rows or a smaller window"
    )


def _windows(series: np.ndarray, window: int, horizon: int, start: int, end: int):
    """Samples whose targets start at times ``max(start, window)..end-horizon``."""
    from numpy.lib.stride_tricks import sliding_window_view

    times = np.arange(max(start, window), end - horizon + 1)
    # Views, not copies, until the fancy indexing below picks the samples.
    inputs = sliding_window_view(series, window, axis=0)  # [s] = series[s : s + window].T
    targets = sliding_window_view(series[:, 0], horizon)  # [t] = series[t : t + horizon, 0]
    return inputs[times - window].transpose(0, 2, 1), targets[times]


def forecasting_dataset(
    dataset_id: str,
    series: np.ndarray,
    channels: Sequence[str],
    window: int,
    horizon: int,
    val_fraction: float,
    test_fraction: float = TEST_FRACTION,
    source: str | None = None,
    season: int | None = None,
    dates: np.ndarray | None = None,
    date_column: str | None = None,
) -> Dataset:
    """Window, split by time and standardise ``series`` (time x channels, target first).

    ``dates`` (datetime64, one per row, sorted) label the rows; they are never model inputs.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim == 1:
        series = series[:, None]
    season, season_extra = _season(source or dataset_id, season, dates, window)
    check_length(source or dataset_id, len(series), window, horizon, val_fraction, test_fraction)
    val_start, test_start = boundaries(len(series), val_fraction, test_fraction)
    train_part = series[:val_start]
    mean = train_part.mean(axis=0)
    std = train_part.std(axis=0)
    # A channel that is constant over the training part carries no scale; leave it unscaled.
    std = np.where(std > 1e-12, std, 1.0)
    scaled = ((series - mean) / std).astype(np.float32)
    parts = [(0, val_start), (val_start, test_start), (test_start, len(series))]
    splits = [to_split(*_windows(scaled, window, horizon, start, end)) for start, end in parts]
    spec = DataSpec(
        kind=KIND,
        task=TASK,
        input_shape=(window, series.shape[1]),
        extra={
            "window": window,
            "horizon": horizon,
            "channels": list(channels),
            "target": channels[0],
            "target_mean": float(mean[0]),
            "target_std": float(std[0]),
            # Every channel's training statistics: a trained model scales new windows alike.
            "channel_means": [float(m) for m in mean],
            "channel_stds": [float(d) for d in std],
            "boundaries": [val_start, test_start],
            **({"season": int(season)} if season else {}),
            **season_extra,
            **_date_extra(dates, date_column, window, horizon, test_start),
        },
    )
    return Dataset(dataset_id, spec, *splits)


def check_season(source: str, season: int | None, window: int) -> None:
    """Raise ``UsageError`` when the window cannot hold one season (seasonal naive needs it)."""
    if season and season > window:
        raise UsageError(
            f"{source}: season {season} is longer than window {window}; the seasonal-naive "
            f"forecast looks one season back, so give window={season} or more"
        )


def _season(
    source: str, season: int | None, dates: np.ndarray | None, window: int
) -> tuple[int | None, dict]:
    """The season to use and how it was chosen (``spec.extra["season_source"]``)."""
    if season:
        check_season(source, season, window)
        return season, {"season_source": "given"}
    if dates is None:
        return None, {}
    from engine.data._dates import season_from_dates

    detected = season_from_dates(dates)
    if detected is None:
        return None, {}
    rows, frequency = detected
    if rows > window:  # an explicit window wins; the user can ask for the season instead
        return None, {
            "season_source": f"{frequency} dates suggest a season of {rows} rows, longer than "
            f"the window {window}, so none was used; give season={rows} to use it"
        }
    return rows, {"season_source": f"detected from {frequency} dates"}


def _date_extra(
    dates: np.ndarray | None, column: str | None, window: int, horizon: int, test_start: int
) -> dict:
    if dates is None:
        return {}
    from engine.data._dates import irregular_gaps, iso

    times = np.arange(max(test_start, window), len(dates) - horizon + 1)
    extra = {
        "date_column": column,
        "first_date": iso(dates[0]),
        "last_date": iso(dates[-1]),
        "test_dates": [iso(d) for d in dates[times]] if len(times) <= MAX_TEST_DATES else None,
    }
    gaps = irregular_gaps(dates)
    if gaps:
        extra["irregular_dates"] = gaps
    return extra
