"""User data from a CSV file: forecast one numeric column from its past (and other columns).

Dataset ids take the form ``csv:PATH?target=COL&inputs=A,B&window=32&horizon=1&season=12``:

- ``target``: the column to forecast; may be left out when the file has one numeric column.
- ``inputs``: further columns fed to the model beside the target's own past (default none).
- ``window``: past rows each forecast sees (default 32, or the season if longer);
  ``horizon``: rows ahead (default 1).
- ``season``: rows per seasonal cycle (52 for weekly rows over years); adds the
  seasonal-naive baseline (the value one season back).
- ``date``: the column holding each row's date or time. Without it, a column whose every
  cell is an ISO date (``2024-03-01``, ``2024-03``, ``2024-03-01 12:00``) is taken as the
  dates. Dates order the rows and label the forecast plot; they are never fed as numbers;
  steps that differ from the usual one are reported. A named column may hold whole years.
- ``test``: share of the latest rows kept for testing (default 0.2); the validation part
  comes just before it, sized by the run's ``val_fraction``.
- ``sep``: the field separator (default ``,``; ``tab`` for tabs).

Rows are taken in date order, or in file order without dates. Values may be %-escaped
(``target=unit%20price``). A valid file is read by pyarrow (``_csv_fast``: a million rows in
about a second); a file that is not, row by row here, so each problem names its line.
Every problem with the file (missing, unreadable, empty, ragged, unknown or non-numeric
column, empty cells, NaN or values beyond float32, too few rows) is one ``UsageError`` naming
the file; it is raised while the run is prepared, so nothing reaches the tracking store.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from engine.data._csv_fast import Found, fast_series
from engine.data._dates import iso, parse_date, to_datetime64
from engine.data._forecast import (
    KIND,
    MAX_HORIZON,
    MAX_WINDOW,
    TASK,
    TEST_FRACTION,
    forecasting_dataset,
)
from engine.data._progress import report
from engine.data._registry import DatasetInfo, register_source
from engine.data._spec import Dataset
from engine.errors import UsageError

SCHEME = "csv"
SYNTAX = "csv:PATH?target=COL&inputs=A,B&window=32&horizon=1&test=0.2&sep=,&season=12&date=COL"
OPTIONS = ("target", "inputs", "window", "horizon", "test", "sep", "season", "date")
DEFAULT_WINDOW = 32
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class CsvOptions:
    path: Path
    target: str | None = None
    inputs: tuple[str, ...] = ()
    window: int = DEFAULT_WINDOW
    horizon: int = 1
    test: float = TEST_FRACTION
    sep: str = ","
    season: int | None = None
    date: str | None = None

    @property
    def source(self) -> str:
        return f"CSV file {str(self.path)!r}"


# -- the id -----------------------------------------------------------------------------------
def _split_argument(argument: str) -> tuple[str, str]:
    # A path may itself hold '?': an existing file named by the whole argument wins.
    if "?" not in argument or Path(argument).expanduser().is_file():
        return argument, ""
    path, _, query = argument.rpartition("?")
    return path, query


def _integer(source: str, key: str, text: str, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= high:
        raise UsageError(f"{source}: invalid {key} {text!r}: expected a whole number 1 to {high}")
    return value


def parse_options(argument: str) -> CsvOptions:
    """The path and options of a ``csv:`` id (without the scheme), checked but not read."""
    path_text, query = _split_argument(argument)
    if not path_text:
        raise UsageError(f"csv: needs a file path, e.g. {SYNTAX}")
    path = Path(path_text).expanduser()
    source = f"CSV file {str(path)!r}"
    values: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, sep, text = item.partition("=")
        key = key.strip()
        if key not in OPTIONS or not sep:
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(
                f"{source}: unknown option {item!r}{hint}; valid: "
                f"{', '.join(o + '=...' for o in OPTIONS)}"
            )
        values[key] = unquote(text).strip()
    options: dict = {"path": path}
    if values.get("target"):
        options["target"] = values["target"]
    if values.get("inputs"):
        options["inputs"] = tuple(c.strip() for c in values["inputs"].split(",") if c.strip())
    if "window" in values:
        options["window"] = _integer(source, "window", values["window"], MAX_WINDOW)
    if "horizon" in values:
        options["horizon"] = _integer(source, "horizon", values["horizon"], MAX_HORIZON)
    if "season" in values:
        options["season"] = _integer(source, "season", values["season"], MAX_WINDOW)
        # One season back must fit in the window: an unset window grows to the season.
        options.setdefault("window", max(DEFAULT_WINDOW, options["season"]))
    if values.get("date"):
        options["date"] = values["date"]
    if "test" in values:
        try:
            test = float(values["test"])
        except ValueError:
            test = math.nan
        if not 0.0 < test < 0.9:
            raise UsageError(
                f"{source}: invalid test {values['test']!r}: expected a fraction 0 < f < 0.9"
            )
        options["test"] = test
    if "sep" in values:
        sep = {"tab": "\t", "\\t": "\t"}.get(values["sep"], values["sep"])
        if len(sep) != 1:
            raise UsageError(
                f"{source}: invalid sep {values['sep']!r}: expected one character or tab"
            )
        options["sep"] = sep
    return CsvOptions(**options)


# -- the file ---------------------------------------------------------------------------------
def _check_file(options: CsvOptions) -> None:
    if not options.path.exists():
        raise UsageError(f"{options.source} does not exist")
    if not options.path.is_file():
        raise UsageError(f"{options.source} is not a file")


def _read_rows(options: CsvOptions) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows with their line numbers; raises on unreadable files."""
    source, path = options.source, options.path
    _check_file(options)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"{source} cannot be read: {error.strerror or error}") from None
    reader = csv.reader(io.StringIO(text), delimiter=options.sep)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as error:
        raise UsageError(f"{source} is not valid CSV at line {reader.line_num}: {error}") from None
    if not rows:
        raise UsageError(f"{source} is empty")
    header = [name.strip() for name in rows[0][1]]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise UsageError(f"{source} names these columns twice: {', '.join(duplicates)}")
    if len(rows) == 1:
        raise UsageError(f"{source} has a header but no data rows")
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise UsageError(
                f"{source} line {line} has {len(row)} fields but the header has {len(header)} "
                f"(is the separator {options.sep!r} right? set it with sep=)"
            )
    return header, rows[1:]


def _column(options: CsvOptions, name: str, index: int, rows) -> np.ndarray:
    values = np.empty(len(rows), dtype=np.float64)
    for position, (line, row) in enumerate(rows):
        text = row[index].strip()
        if not text:
            raise UsageError(f"{options.source} column {name!r} has an empty cell at line {line}")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(
                f"{options.source} column {name!r} is not numeric: line {line} holds {text!r}"
            ) from None
        if not math.isfinite(value):
            raise UsageError(
                f"{options.source} column {name!r} holds {text!r} at line {line}; "
                f"only finite numbers can be learnt from"
            )
        if abs(value) > FLOAT32_MAX:
            # Models train in float32: such a value (and the statistics that scale the
            # column) would turn into inf and NaN, failing the run or finishing it with inf.
            raise UsageError(
                f"{options.source} column {name!r} holds {text!r} at line {line}, beyond the "
                f"float32 range models train in (±{FLOAT32_MAX:.3g}); rescale the column"
            )
        values[position] = value
    return values


def _is_numeric(rows, index: int) -> bool:
    try:
        return all(math.isfinite(float(row[index])) for _, row in rows)
    except ValueError:
        return False


def _choose_columns(options: CsvOptions, header: list[str], rows) -> list[str]:
    """Target first, then the other inputs, each checked to exist."""
    target = options.target
    if target is None:
        numeric = [
            name for i, name in enumerate(header) if name != options.date and _is_numeric(rows, i)
        ]
        if len(numeric) != 1:
            found = f"numeric columns: {', '.join(numeric)}" if numeric else "no numeric column"
            raise UsageError(
                f"{options.source}: name the column to forecast with ?target=COL ({found})"
            )
        target = numeric[0]
    columns = [target, *(name for name in options.inputs if name != target)]
    for name in columns:
        if name not in header:
            close = difflib.get_close_matches(name, header, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                f"{options.source} has no column {name!r}{hint}; its columns: {', '.join(header)}"
            )
    return list(dict.fromkeys(columns))


def _date_column(options: CsvOptions, header: list[str], rows, columns: list[str]) -> str | None:
    """The named ``date`` column, else the first other column whose every cell is a date."""
    if options.date is not None:
        if options.date not in header:
            close = difflib.get_close_matches(options.date, header, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                f"{options.source} has no date column {options.date!r}{hint}; "
                f"its columns: {', '.join(header)}"
            )
        if options.date in columns:
            raise UsageError(
                f"{options.source}: column {options.date!r} cannot be both the dates and a "
                f"forecast input; name another date= column or leave it out of inputs"
            )
        return options.date
    for index, name in enumerate(header):
        if name in columns or _is_numeric(rows, index):
            continue
        if all(parse_date(row[index]) is not None for _, row in rows):
            return name
    return None


def _dates(options: CsvOptions, name: str, index: int, rows) -> np.ndarray:
    values = []
    for line, row in rows:
        value = parse_date(row[index], years=True)
        if value is None:
            raise UsageError(
                f"{options.source} date column {name!r} holds {row[index].strip()!r} at line "
                f"{line}; expected an ISO date such as 2024-03-01, 2024-03 or a whole year"
            )
        values.append(value)
    return to_datetime64(values)


def _in_date_order(options: CsvOptions, name: str, dates: np.ndarray, rows) -> np.ndarray:
    """The row order that sorts ``dates``; raises on a date given twice."""
    order = np.argsort(dates, kind="stable")
    ordered = dates[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeated.size:
        first, second = order[repeated[0]], order[repeated[0] + 1]
        raise UsageError(
            f"{options.source} date column {name!r} gives {iso(ordered[repeated[0]])} twice "
            f"(lines {rows[first][0]} and {rows[second][0]}); one row per date is needed"
        )
    return order


def load(
    options: CsvOptions, dataset_id: str, cache_dir: Path, seed: int, val_fraction: float
) -> Dataset:
    """Read the file and make the windowed, chronologically split dataset."""
    what = f"reading {options.path.name}"
    report(what, 0, 2)
    # A valid file goes the fast way; anything else is read row by row, naming its problem.
    found = fast_series(options) or _careful_series(options)
    series, columns, dates, date_column = found
    report(what, 1, 2)
    dataset = forecasting_dataset(
        dataset_id,
        series,
        columns,
        options.window,
        options.horizon,
        val_fraction,
        options.test,
        source=options.source,
        season=options.season,
        dates=dates,
        date_column=date_column,
    )
    report(what, 2, 2)
    return dataset


def _careful_series(options: CsvOptions) -> Found:
    """``fast_series``'s answer the slow way, row by row: raises the ``UsageError`` that names
    the line of any problem."""
    header, rows = _read_rows(options)
    columns = _choose_columns(options, header, rows)
    series = np.stack([_column(options, c, header.index(c), rows) for c in columns], axis=1)
    date_column = _date_column(options, header, rows, columns)
    dates = None
    if date_column is not None:
        dates = _dates(options, date_column, header.index(date_column), rows)
        order = _in_date_order(options, date_column, dates, rows)
        series, dates = series[order], dates[order]
    return series, columns, dates, date_column


def source(argument: str) -> DatasetInfo:
    """The ``DatasetInfo`` for ``csv:ARGUMENT``; the file is read only when it is loaded."""
    options = parse_options(argument)
    _check_file(options)
    dataset_id = f"{SCHEME}:{argument}"
    target = options.target or "its numeric column"
    return DatasetInfo(
        id=dataset_id,
        kind=KIND,
        task=TASK,
        description=f"forecast {target} of {options.path} ({options.horizon} ahead)",
        loader=partial(load, options, dataset_id),
    )


register_source(SCHEME, source, SYNTAX)
