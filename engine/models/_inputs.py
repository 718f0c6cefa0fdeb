"""Inputs for ``netyard predict`` from a user's file, read as the model's data kind reads.

- images: one image file or a folder of them (png, jpg), resized and coloured as the model
  was trained; one row each, named by file.
- sequences, token sequences, points: a CSV, one input per row (a header row is skipped);
  each row holds the numbers of one input, flattened.
- a time series (forecasting): a CSV of the series, with the training columns by name (or
  as many unnamed columns); the forecast starts after its last window.
- text (the character model): a text file, a prompt per line; each gets the next character.
- a generator (the GAN): a file holding a count of samples to draw, or a CSV of latent
  vectors; ``count`` draws that many instead of reading a file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from engine.errors import UsageError
from engine.models._input_kinds import IMAGE_SUFFIXES, check_input
from engine.models._trained import TrainedModel


def read_inputs(
    trained: TrainedModel, path: str | None, count: int | None = None, seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """The inputs and a name for each (a file name or a row number)."""
    plugin = trained.plugin
    kind = plugin.spec.kind
    check_input(plugin.id, kind, plugin.generative, path, count)  # what CLI predict checks first
    if plugin.generative and count is None and path is not None:
        count = _count_in(Path(path))
    if count is not None:
        if count < 1:
            raise UsageError(f"invalid count {count}: expected a whole number >= 1")
        return trained.noise(count, seed), [str(i) for i in range(count)]
    source = Path(path).expanduser()
    if kind == "image" and not plugin.generative:
        return _images(source, plugin.input_shape())
    if kind == "timeseries":
        return _series_window(source, plugin.spec), ["forecast"]
    if kind == "text":
        return _prompts(source, plugin.spec)
    rows = _numbers(source)
    shape = plugin.input_shape()
    width = int(np.prod(shape))
    if rows.shape[1] != width:
        raise UsageError(
            f"{source} has {rows.shape[1]} values a row; this model takes {width} "
            f"(inputs of shape {shape}, flattened)"
        )
    return rows.reshape(len(rows), *shape), [str(i) for i in range(len(rows))]


def _count_in(path: Path) -> int | None:
    """The count in a file that holds one whole number, or None for any other file."""
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _images(source: Path, shape: tuple[int, ...]) -> tuple[np.ndarray, list[str]]:
    from engine.data import image_for

    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise UsageError(f"folder {str(source)!r} holds no {', '.join(IMAGE_SUFFIXES)} images")
    else:
        files = [source]
    return np.stack([image_for(path, shape) for path in files]), [p.name for p in files]


def _read_rows(source: Path) -> list[list[str]]:
    try:
        with open(source, newline="", encoding="utf-8") as handle:
            return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read {str(source)!r} as CSV: {error}") from None


def _as_numbers(source: Path, rows: list[list[str]], first_line: int) -> np.ndarray:
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise UsageError(f"{source}: rows have different numbers of values ({sorted(widths)})")
    try:
        return np.asarray([[float(cell) for cell in row] for row in rows], dtype=np.float32)
    except ValueError:
        for number, row in enumerate(rows, start=first_line):
            for cell in row:
                try:
                    float(cell)
                except ValueError:
                    raise UsageError(f"{source}, line {number}: {cell!r} is not a number") from None
        raise


def _numbers(source: Path) -> np.ndarray:
    rows = _read_rows(source)
    first = 1
    if rows and not _numeric(rows[0]):
        rows, first = rows[1:], 2  # a header
    if not rows:
        raise UsageError(f"{source} holds no rows of numbers")
    return _as_numbers(source, rows, first)


def _numeric(row: list[str]) -> bool:
    try:
        [float(cell) for cell in row]
    except ValueError:
        return False
    return True


def _series_window(source: Path, spec) -> np.ndarray:
    """The last window of a series CSV, columns in the training order."""
    channels = list(spec.extra["channels"])
    window = int(spec.extra["window"])
    rows = _read_rows(source)
    if rows and not _numeric(rows[0]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
        missing = [name for name in channels if name not in header]
        if missing:
            raise UsageError(
                f"{source} lacks the column(s) {', '.join(missing)} this model was trained on "
                f"(it has {', '.join(header)})"
            )
        rows = [[row[header.index(name)] for name in channels] for row in rows]
    values = _as_numbers(source, rows, 2)
    if values.ndim != 2 or values.shape[1] != len(channels):
        raise UsageError(
            f"{source} has {values.shape[-1] if values.size else 0} columns; this model "
            f"takes {len(channels)} ({', '.join(channels)}), with a header naming them"
        )
    if len(values) < window:
        raise UsageError(
            f"{source} holds {len(values)} rows; this model forecasts from the last {window}"
        )
    return values[-window:][None]


def _prompts(source: Path, spec) -> tuple[np.ndarray, list[str]]:
    alphabet = spec.extra["alphabet"]
    block = int(spec.input_shape[0])
    lookup = {char: code for code, char in enumerate(alphabet)}
    try:
        lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {str(source)!r} as text: {error}") from None
    if not lines:
        raise UsageError(f"{source} holds no prompt")
    codes = []
    for line in lines:
        unknown = sorted({char for char in line if char not in lookup})
        if unknown:
            raise UsageError(
                f"prompt {line[:40]!r} has characters the model never saw: {''.join(unknown)!r}"
            )
        # The model reads windows of ``block`` characters: a short prompt is padded on the
        # left (with spaces where the text had them), a long one keeps its end.
        pad = " " if " " in lookup else line[0]
        padded = (pad * block + line)[-block:]
        codes.append([lookup[char] for char in padded])
    return np.asarray(codes, dtype=np.int64), lines
