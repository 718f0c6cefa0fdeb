"""Real series for the forecasting benchmark, from the datasets statsmodels ships.

statsmodels (the ``bench`` extra of pyproject.toml) is used only to read its bundled data;
each series is written to a CSV file with a date column and run through ``csv:FILE?...`` as a
user would. Chosen because they are short (100 to 732 points), real, public-domain classics
of the forecasting literature with different characters:

- ``sunspots``: yearly sunspot numbers 1700-2008 (309 points), a nonlinear ~11-year cycle;
- ``nile``: yearly Nile flow at Aswan 1871-1970 (100 points), noisy with a level shift;
- ``elnino``: monthly Pacific sea-surface temperature 1950-2010 (732 points), seasonal.
"""

from __future__ import annotations

from pathlib import Path

# name: (file columns, target, dataset options)
SERIES = {
    "sunspots": ("year", "sunspots", "&date=year&season=11"),
    "nile": ("year", "volume", "&date=year"),
    "elnino": ("month", "temperature", "&season=12"),
}


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
    raise KeyError(name)


def series_dataset_id(name: str, folder: Path) -> str:
    """Write series ``name`` to ``folder/NAME.csv`` and return its ``csv:`` dataset id."""
    date_column, target, options = SERIES[name]
    path = folder / f"{name}.csv"
    lines = [f"{date_column},{target}"] + [f"{date},{value!r}" for date, value in _rows(name)]
    path.write_text("\n".join(lines) + "\n")
    return f"csv:{path}?target={target}{options}"
