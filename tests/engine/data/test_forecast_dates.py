"""Forecasting CSVs with dates and seasons: parsing, ordering, gap reports, clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data import load_dataset
from engine.errors import UsageError


def write_csv(folder: Path, lines: list[str]) -> Path:
    path = folder / "series.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def monthly_rows(count: int) -> list[tuple[str, float]]:
    return [(f"{2000 + m // 12}-{m % 12 + 1:02d}", float(m)) for m in range(count)]


def test_a_date_column_is_found_parsed_and_orders_the_rows(tmp_path):
    rows = monthly_rows(120)
    shuffled = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))]
    path = write_csv(tmp_path, ["month,value"] + [f"{d},{v}" for d, v in shuffled])
    dataset = load_dataset(f"csv:{path}?target=value&window=6", tmp_path, val_fraction=0.1)
    extra = dataset.spec.extra
    # The dates label the rows and are not an input: one channel, the target.
    assert extra["channels"] == ["value"] and dataset.spec.input_shape == (6, 1)
    assert extra["date_column"] == "month"
    assert (extra["first_date"], extra["last_date"]) == ("2000-01-01", "2009-12-01")
    assert "irregular_dates" not in extra  # months of 28 to 31 days are one regular step
    # Sorted by date: every window is six consecutive months, in order.
    unscaled = dataset.train.x[:, :, 0].numpy() * extra["target_std"] + extra["target_mean"]
    assert np.allclose(np.diff(unscaled, axis=1), 1.0, atol=1e-3)
    test_start = extra["boundaries"][1]
    assert extra["test_dates"][0] == rows[test_start][0] + "-01"
    assert len(extra["test_dates"]) == len(dataset.test)


def test_irregular_gaps_are_reported(tmp_path):
    days = [f"2024-01-{d:02d}" for d in range(1, 32)] + ["2024-02-10", "2024-02-11"]
    days += [f"2024-03-{d:02d}" for d in range(1, 31)]
    path = write_csv(tmp_path, ["day,value"] + [f"{d},{i % 7}" for i, d in enumerate(days)])
    dataset = load_dataset(f"csv:{path}?target=value&window=4", tmp_path, val_fraction=0.1)
    note = dataset.spec.extra["irregular_dates"]
    assert note.startswith("2 of 62 steps between dates differ from the usual 1 day")
    assert "largest 19 days, before 2024-03-01" in note


def test_a_named_year_column_is_dates_not_an_input(tmp_path):
    path = write_csv(tmp_path, ["year,flow"] + [f"{1871 + i},{i % 5}" for i in range(80)])
    dataset = load_dataset(f"csv:{path}?date=year&window=4", tmp_path, val_fraction=0.1)
    extra = dataset.spec.extra
    # With the year named as dates, flow is the one numeric column left: the target.
    assert extra["target"] == "flow" and extra["channels"] == ["flow"]
    assert extra["first_date"] == "1871-01-01"


@pytest.mark.parametrize(
    ("lines", "options", "problem"),
    [
        (["d,v", "2024-01-01,1", "2024-01-01,2"], "date=d", "gives 2024-01-01 twice"),
        (["d,v", "2024-01-01,1", "soon,2"], "date=d", "date column 'd' holds 'soon' at line 3"),
        (["d,v", "2024-01-01,1"], "date=day", "has no date column 'day'"),
        (["d,v", "2024-01-01,1"], "season=12&window=8", "season 12 is longer than window 8"),
        (["d,v", "2024-01-01,1"], "season=x", "invalid season 'x'"),
    ],
)
def test_bad_dates_and_seasons_are_one_clear_sentence(tmp_path, lines, options, problem):
    path = write_csv(tmp_path, lines)
    with pytest.raises(UsageError, match=problem):
        load_dataset(f"csv:{path}?target=v&{options}", tmp_path, val_fraction=0.1)


def test_a_season_widens_the_default_window_and_is_recorded(tmp_path):
    path = write_csv(tmp_path, ["v"] + [str(i % 52) for i in range(400)])
    dataset = load_dataset(f"csv:{path}?season=52", tmp_path, val_fraction=0.1)
    assert dataset.spec.extra["season"] == 52
    assert dataset.spec.extra["window"] == 52
    assert "date_column" not in dataset.spec.extra
