"""Dates of a time series read from text: parsing, ordering and a report of irregular gaps.

Accepted cells: ISO dates and times (``2024-03-01``, ``2024-03-01 12:00``, ``...T12:00Z``),
year-months (``2024-03``) and, for a column named with ``date=``, whole years (``1871``).
Times with a zone are taken in UTC. Calendar steps (months, years) count as regular although
their lengths in days differ. The usual step also names the season a forecaster would try
first (``season_from_dates``), the periods statsmodels and pandas give each frequency.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import numpy as np

_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{1,4}(\.0*)?$")


def parse_date(text: str, years: bool = False) -> datetime | None:
    """The date in ``text``, or None when it is not one (whole years only if ``years``)."""
    text = text.strip()
    if years and _YEAR.match(text):
        year = int(float(text))
        return datetime(year, 1, 1) if year >= 1 else None
    if _YEAR_MONTH.match(text):
        text += "-01"
    if not text or not text[:4].isdigit():
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def to_datetime64(values: list[datetime]) -> np.ndarray:
    return np.array(values, dtype="datetime64[s]")


def iso(value: np.datetime64) -> str:
    """``2024-03-01`` for a midnight, else the date and time to the second."""
    text = str(value.astype("datetime64[s]"))
    return text[:10] if text.endswith("T00:00:00") else text.replace("T", " ")


def _month_index(dates: np.ndarray) -> np.ndarray | None:
    """Months since year 0 when every date is the first of a month at midnight, else None."""
    days = dates.astype("datetime64[D]")
    first_days = dates.astype("datetime64[M]").astype("datetime64[D]")
    if np.any(days != dates) or np.any(first_days != days):
        return None
    return dates.astype("datetime64[M]").astype(np.int64)


def _steps(dates: np.ndarray) -> tuple[np.ndarray, str]:
    """The steps between sorted dates, in months when every date starts a month, else seconds."""
    months = _month_index(dates)
    if months is not None:
        return np.diff(months), "month"
    return np.diff(dates).astype("timedelta64[s]").astype(np.int64), "second"


def _describe(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit[:-1] if count == 1 else unit}"
    return f"{seconds:g} seconds"


def irregular_gaps(dates: np.ndarray) -> str | None:
    """A sentence on the steps between sorted ``dates`` that differ from the usual one."""
    if len(dates) < 3:
        return None
    steps, unit = _steps(dates)
    usual = Counter(steps.tolist()).most_common(1)[0][0]
    odd = np.flatnonzero(steps != usual)
    if odd.size == 0:
        return None
    largest = odd[np.argmax(steps[odd])]

    def length(step: int) -> str:
        if unit == "month":
            return f"{step} month{'s' * (step != 1)}"
        return _describe(float(step))

    return (
        f"{odd.size} of {steps.size} steps between dates differ from the usual "
        f"{length(usual)} (largest {length(int(steps[largest]))}, before {iso(dates[largest + 1])})"
    )


# The usual step's season: (months, seasonal rows, name) and (seconds, seasonal rows, name),
# as statsmodels' ``freq_to_period`` gives them; yearly rows have none.
MONTHLY_SEASONS = {1: (12, "monthly"), 3: (4, "quarterly")}
TIMED_SEASONS = {86400: (7, "daily"), 7 * 86400: (52, "weekly"), 3600: (24, "hourly")}


def season_from_dates(dates: np.ndarray) -> tuple[int, str] | None:
    """(rows per season, the frequency's name) from the usual step between sorted ``dates``:
    12 for monthly, 4 quarterly, 7 daily, 52 weekly, 24 hourly rows; None for others."""
    if len(dates) < 3:
        return None
    steps, unit = _steps(dates)
    step = int(Counter(steps.tolist()).most_common(1)[0][0])
    table = MONTHLY_SEASONS if unit == "month" else TIMED_SEASONS
    return table.get(step)
