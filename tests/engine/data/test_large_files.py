"""CSV and text files read the fast way give what the careful row-by-row reader gives, and
long loads report their progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data import load_dataset, loading_progress
from engine.data._csv import _careful_series, parse_options
from engine.data._csv_fast import fast_series
from engine.data._text import encode


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("header", "cell", "query"),
    [
        # dates out of order, found without date=; target named
        (
            "when,sales,price",
            lambda i: f"2024-{1 + (i * 7) % 12:02d}-{1 + i // 12:02d}",
            "target=sales&inputs=price",
        ),
        # timestamps, the one numeric column taken as the target
        ("stamp,load", lambda i: f"2023-01-01 {i % 24:02d}:{i // 24 % 60:02d}", ""),
        # year-months and numbers only Python's float reads (spaces, underscores)
        ("month,value", lambda i: f"{2000 + i // 12}-{1 + i % 12:02d}", "target=value"),
    ],
    ids=["dates-unsorted", "timestamps-auto-target", "year-months"],
)
def test_the_fast_reader_gives_what_the_careful_one_gives(tmp_path: Path, header, cell, query):
    columns = header.split(",")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        numbers = [f"{v:.6g}" for v in rng.normal(size=len(columns) - 1)]
        if columns[0] == "month" and i == 5:
            numbers[0] = " 1_000.5"
        rows.append(",".join([cell(i), *numbers]))
    path = write_csv(tmp_path / "data.csv", header, rows)
    options = parse_options(f"{path}?{query}" if query else str(path))
    fast, careful = fast_series(options), _careful_series(options)
    assert fast is not None
    assert np.array_equal(fast[0], careful[0]) and fast[0].dtype == careful[0].dtype
    assert fast[1] == careful[1] and fast[3] == careful[3] == columns[0]
    assert np.array_equal(fast[2], careful[2]) and fast[2].dtype == careful[2].dtype


def test_a_file_the_fast_reader_cannot_vouch_for_goes_the_careful_way(tmp_path: Path) -> None:
    ragged = write_csv(tmp_path / "ragged.csv", "a,b", ["1,2", "3", "4,5"])
    assert fast_series(parse_options(f"{ragged}?target=a")) is None
    blank_row = write_csv(tmp_path / "blank.csv", "a,b", ["1,2", " , ", "4,5"])
    assert fast_series(parse_options(f"{blank_row}?target=a")) is None
    # ... and the careful reader reads it: the blank row is skipped, as it always was.
    series, *_ = _careful_series(parse_options(f"{blank_row}?target=a"))
    assert series[:, 0].tolist() == [1.0, 4.0]


def test_csv_and_text_loads_report_progress(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", "t,v", [f"{i},{np.sin(i / 5):.4f}" for i in range(400)])
    text = tmp_path / "t.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 200)
    told: list[tuple[str, int, int]] = []
    with loading_progress(lambda *step: told.append(step)):
        load_dataset(f"csv:{path}?target=v&window=8", tmp_path / "cache")
        load_dataset(f"text:{text}?block=16", tmp_path / "cache")
    assert ("reading s.csv", 2, 2) in told and ("reading t.txt", 3, 3) in told
    assert told.index(("reading s.csv", 0, 2)) < told.index(("reading s.csv", 2, 2))


def test_text_is_encoded_as_sorted_characters() -> None:
    text = "héllo wörld ☃\nzebra"
    alphabet, codes = encode(text)
    assert alphabet == "".join(sorted(set(text)))
    assert codes.dtype == np.int64 and "".join(alphabet[c] for c in codes) == text
