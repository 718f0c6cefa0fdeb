"""Dates of a time series read from text: parsing, ordering and a report of irregular gaps.

Accepted cells: ISO dates and times (``2024-03-01``, ``2024-03-01 12:00``, ``...T12:00Z``),
year-months (``2024-03``) and, for a column named with ``date=``, whole years (``1871``).
Times with a zone are taken in UTC. Calendar steps (months, years) count as regular although
their lengths in days differ.
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
    months = _month_index(dates)
    if months is not None:
        steps, unit = np.diff(months), "month"
    else:
        steps, unit = np.diff(dates).astype("timedelta64[s]").astype(np.int64), "second"
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
