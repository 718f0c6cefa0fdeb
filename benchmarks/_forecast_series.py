"""Real series for the forecasting benchmark, from the datasets statsmodels ships.

statsmodels (the ``bench`` and ``dev`` extras of pyproject.toml) is used only to read its
bundled data; each series is written to a CSV file with a date column and run through
``csv:FILE?...`` as a user would. Chosen because they are real, public-domain classics of the
forecasting literature with different characters:

- ``sunspots``: yearly sunspot numbers 1700-2008 (309 points), a nonlinear ~11-year cycle;
- ``nile``: yearly Nile flow at Aswan 1871-1970 (100 points), noisy with a level shift;
- ``elnino``: monthly Pacific sea-surface temperature 1950-2010 (732 points), seasonal (the
  season, 12, is detected from the monthly dates);
- ``unemp`` and ``infl``: US quarterly unemployment rate and inflation 1959-2009 (203 points,
  ``macrodata``), persistent and noisy; season 4 detected from the quarterly dates;
- ``co2``: weekly Mauna Loa CO2 1958-2001 (2284 points, 59 missing weeks filled by linear
  interpolation), a trend and a yearly season (``season=52``);
- ``tbilrate`` and ``realint``: the US 3-month treasury bill rate and the real interest rate,
  quarterly 1959-2009 (``macrodata``, 203 points);
- ``dp``: German quarterly inflation 1972-1998 (``interest_inflation``, 107 points), seasonal
  (season 4 detected from the quarterly dates).

``sunspots`` and ``co2`` are kept aside (``HELD_OUT``): the forecaster's defaults were not
chosen on them, so they check the result. They stopped being a clean check once a rule was
changed after seeing them (docs/benchmarks.md says which), so ``FRESH`` holds series no rule
was ever measured on before its result was recorded.
"""

from __future__ import annotations

from pathlib import Path

# name: (file columns, target, dataset options)
SERIES = {
    "sunspots": ("year", "sunspots", "&date=year&season=11"),
    "nile": ("year", "volume", "&date=year"),
    "elnino": ("month", "temperature", ""),
    "unemp": ("quarter", "unemp", ""),
    "infl": ("quarter", "infl", ""),
    "co2": ("week", "co2", "&season=52"),
    "tbilrate": ("quarter", "tbilrate", ""),
    "realint": ("quarter", "realint", ""),
    "dp": ("quarter", "dp", ""),
}
HELD_OUT = ("sunspots", "co2")
FRESH = ("tbilrate", "realint", "dp")


def _rows(name: str) -> list[tuple[str, float]]:
    import statsmodels.api as sm

    if name == "sunspots":
        data = sm.datasets.sunspots.load_pandas().data
        return [(f"{int(y)}", float(v)) for y, v in zip(data.YEAR, data.SUNACTIVITY, strict=True)]
    if name == "nile":
        data = sm.datasets.nile.load_pandas().data
        return [(f"{int(y)}", float(v)) for y, v in zip(data.year, data.volume, strict=True)]
    if name == "elnino":
        data = sm.datasets.elnino.load_pandas().data
        months = data.columns[1:]  # JAN..DEC, one row per year
        return [
            (f"{int(row.YEAR)}-{month:02d}", float(row[column]))
            for _, row in data.iterrows()
            for month, column in enumerate(months, start=1)
        ]
    if name in ("unemp", "infl", "tbilrate", "realint"):
        data = sm.datasets.macrodata.load_pandas().data
        return [
            (f"{int(y)}-{3 * int(q) - 2:02d}", float(v))
            for y, q, v in zip(data.year, data.quarter, data[name], strict=True)
        ]
    if name == "dp":
        data = sm.datasets.interest_inflation.load_pandas().data
        return [
            (f"{int(y)}-{3 * int(q) - 2:02d}", float(v))
            for y, q, v in zip(data.year, data.quarter, data.Dp, strict=True)
        ]
    if name == "co2":
        data = sm.datasets.co2.load_pandas().data.co2.interpolate()
        return [(str(day.date()), float(v)) for day, v in data.items()]
    raise KeyError(name)


def series_dataset_id(name: str, folder: Path) -> str:
    """Write series ``name`` to ``folder/NAME.csv`` and return its ``csv:`` dataset id."""
    date_column, target, options = SERIES[name]
    path = folder / f"{name}.csv"
    lines = [f"{date_column},{target}"] + [f"{date},{value!r}" for date, value in _rows(name)]
    path.write_text("\n".join(lines) + "\n")
    return f"csv:{path}?target={target}{options}"
