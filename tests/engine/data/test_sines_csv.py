"""Forecasting data: the built-in ``sines`` series and ``csv:`` user files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data import dataset_info, list_datasets, list_sources, load_dataset
from engine.data._forecast import boundaries, minimum_length, sample_counts
from engine.data._sines import HORIZON, WINDOW, sines_series
from engine.errors import UsageError


def write_csv(folder: Path, text: str, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def counting_csv(folder: Path, rows: int) -> Path:
    """A file whose ``t`` column is the row's time index and ``u`` is ten times it."""
    lines = ["date,t,u"] + [f"2024-01-{i},{i},{10 * i}" for i in range(rows)]
    return write_csv(folder, "\n".join(lines) + "\n")


def unscale(values: np.ndarray, spec) -> np.ndarray:
    return values * spec.extra["target_std"] + spec.extra["target_mean"]


# -- sines -------------------------------------------------------------------------------------
def test_sines_is_listed_as_a_forecasting_time_series():
    info = {info.id: info for info in list_datasets()}["sines"]
    assert (info.kind, info.task) == ("timeseries", "forecasting")


def test_sines_windows_and_spec(tmp_path):
    dataset = load_dataset("sines", tmp_path, seed=3, val_fraction=0.1)
    assert dataset.spec.input_shape == (WINDOW, 1)
    assert dataset.spec.extra["horizon"] == HORIZON
    for split in (dataset.train, dataset.val, dataset.test):
        assert split.x.shape[1:] == (WINDOW, 1)
        assert split.y.shape[1:] == (HORIZON,)
    assert len(dataset.train) > 10 * len(dataset.val) / 2 > 0


def test_sines_is_the_same_series_whatever_the_run_seed(tmp_path):
    first = load_dataset("sines", tmp_path, seed=0)
    second = load_dataset("sines", tmp_path, seed=7)
    assert np.array_equal(first.test.y.numpy(), second.test.y.numpy())
    assert np.array_equal(first.train.x.numpy(), second.train.x.numpy())


def test_sines_is_standardised_with_training_statistics_only(tmp_path):
    dataset = load_dataset("sines", tmp_path, val_fraction=0.1)
    series = sines_series()
    val_start, _ = dataset.spec.extra["boundaries"]
    assert dataset.spec.extra["target_mean"] == pytest.approx(series[:val_start].mean())
    assert dataset.spec.extra["target_std"] == pytest.approx(series[:val_start].std())
    assert dataset.spec.extra["target_mean"] != pytest.approx(series.mean(), abs=1e-9)


# -- chronological splits ----------------------------------------------------------------------
@pytest.mark.parametrize("horizon", [1, 3])
def test_csv_splits_are_chronological_without_leakage(tmp_path, horizon):
    path = counting_csv(tmp_path, 200)
    dataset = load_dataset(f"csv:{path}?target=t&window=8&horizon={horizon}", tmp_path, 0, 0.1)
    spec = dataset.spec
    val_start, test_start = spec.extra["boundaries"]
    assert (val_start, test_start) == boundaries(200, 0.1, 0.2) == (144, 160)

    def times(split):
        return np.rint(unscale(split.y.numpy(), spec)).astype(int)

    train, val, test = times(dataset.train), times(dataset.val), times(dataset.test)
    assert train.max() < val_start <= val.min() and val.max() < test_start <= test.min()
    assert test.max() == 199
    # Every sample forecasts the rows right after its window, in order, one row per step.
    for split in (dataset.train, dataset.val, dataset.test):
        inputs = np.rint(unscale(split.x[:, :, 0].numpy(), spec)).astype(int)
        targets = times(split)
        assert np.array_equal(inputs[:, -1] + 1, targets[:, 0])
        assert np.all(np.diff(inputs, axis=1) == 1) and np.all(np.diff(targets, axis=1) == 1)
    assert (len(dataset.train), len(dataset.val), len(dataset.test)) == sample_counts(
        200, 8, horizon, 0.1, 0.2
    )


def test_csv_statistics_come_from_the_training_rows(tmp_path):
    path = counting_csv(tmp_path, 200)
    spec = load_dataset(f"csv:{path}?target=t&window=8", tmp_path, 0, 0.1).spec
    train_rows = np.arange(spec.extra["boundaries"][0])
    assert spec.extra["target_mean"] == pytest.approx(train_rows.mean())
    assert spec.extra["target_std"] == pytest.approx(train_rows.std())


def test_csv_inputs_follow_the_target_channel(tmp_path):
    path = counting_csv(tmp_path, 120)
    dataset = load_dataset(f"csv:{path}?target=u&inputs=t,u&window=5", tmp_path, 0, 0.1)
    assert dataset.spec.input_shape == (5, 2)
    assert dataset.spec.extra["channels"] == ["u", "t"]
    assert dataset.spec.extra["target"] == "u"


def test_csv_options_separator_and_escaped_names(tmp_path):
    lines = ["unit price;volume"] + [f"{np.sin(i / 5):.4f};{i}" for i in range(100)]
    path = write_csv(tmp_path, "\n".join(lines))
    dataset = load_dataset(
        f"csv:{path}?target=unit%20price&sep=;&window=4&horizon=2&test=0.3", tmp_path, 0, 0.2
    )
    assert dataset.spec.extra["target"] == "unit price"
    assert dataset.spec.extra["boundaries"] == list(boundaries(100, 0.2, 0.3))
    assert dataset.test.y.shape[1] == 2


def test_csv_with_one_numeric_column_needs_no_target(tmp_path):
    path = write_csv(tmp_path, "day,level\n" + "".join(f"d{i},{i % 7}\n" for i in range(80)))
    dataset = load_dataset(f"csv:{path}?window=4", tmp_path)
    assert dataset.spec.extra["target"] == "level"


def test_minimum_length_is_the_first_that_fits():
    needed = minimum_length(32, 1, 0.1, 0.2)
    assert min(sample_counts(needed, 32, 1, 0.1, 0.2)) >= 1
    assert min(sample_counts(needed - 1, 32, 1, 0.1, 0.2)) == 0


def test_csv_syntax_is_registered():
    assert list_sources()["csv"].startswith("csv:PATH?target=COL")


# -- bad input: one UsageError naming the file and the problem ---------------------------------
GOOD = "x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(100))

BAD_FILES = [
    ("", "?target=y", "is empty"),
    ("x,y\n", "?target=y", "has a header but no data rows"),
    ("x,y\n1,2\n3\n", "?target=y", "line 3 has 1 fields but the header has 2"),
    (GOOD, "?target=z", "has no column 'z'; its columns: x, y"),
    (GOOD, "?target=y&inputs=x,w", "has no column 'w'; its columns: x, y"),
    ("x,y\n1,a\n2,3\n", "?target=y", "column 'y' is not numeric: line 2 holds 'a'"),
    ("x,y\n1,2\n2,nan\n", "?target=y", "column 'y' holds 'nan' at line 3"),
    ("x,y\n1,2\n2,\n", "?target=y", "column 'y' has an empty cell at line 3"),
    # Finite, but beyond float32: inf and NaN once the model sees it.
    ("x,y\n1,2\n2,1e300\n", "?target=y", "column 'y' holds '1e300' at line 3, beyond the float32"),
    ("x,y\n-4e38,2\n2,3\n", "?target=y&inputs=x", "column 'x' holds '-4e38' at line 2, beyond"),
    ("x,y\n" + "1,2\n" * 20, "?target=y&window=32", "has 20 rows, too few for window 32"),
    (GOOD, "", "name the column to forecast with ?target=COL (numeric columns: x, y)"),
    ("x,x\n1,2\n", "?target=x", "names these columns twice: x"),
]


@pytest.mark.parametrize(("text", "query", "problem"), BAD_FILES)
def test_bad_csv_files_are_one_clear_usage_error(tmp_path, text, query, problem):
    path = write_csv(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_dataset(f"csv:{path}{query}", tmp_path)
    message = str(caught.value)
    assert f"CSV file '{path}'" in message and problem in message, message
    assert "\n" not in message


BAD_IDS = [
    ("missing.csv", "does not exist"),
    (".", "is not a file"),
    ("data.csv?window=0", "invalid window '0': expected a whole number 1 to 10000"),
    ("data.csv?horizon=x", "invalid horizon 'x'"),
    ("data.csv?test=1.5", "invalid test '1.5'"),
    ("data.csv?sep=ab", "invalid sep 'ab'"),
    ("data.csv?targt=y", "unknown option 'targt=y' (did you mean target?)"),
]


@pytest.mark.parametrize(("argument", "problem"), BAD_IDS)
def test_bad_csv_ids_fail_before_reading(tmp_path, monkeypatch, argument, problem):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path, GOOD)
    with pytest.raises(UsageError, match="CSV file") as caught:
        dataset_info(f"csv:{argument}")
    assert problem in str(caught.value), str(caught.value)


def test_a_value_beyond_float32_stops_the_run_before_anything_is_tracked(tmp_path, capsys):
    """Once a FAILED run (LinAlgError) or a FINISHED one with val_mse inf."""
    from netyard_test_support import without_status

    from engine.cli import main

    lines = GOOD.splitlines()
    lines[41] = "40,1e300"  # line 42 of the file, as an editor numbers it
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    workspace = tmp_path / "ws"
    code = main(["run", "rnn", "--dataset", f"csv:{path}?target=y", "--steps", "2",
                 "--workspace", str(workspace)])  # fmt: skip
    err = without_status(capsys.readouterr().err)
    assert code == 2
    assert err == (
        f"netyard: error: CSV file '{path}' column 'y' holds '1e300' at line 42, beyond the "
        "float32 range models train in (±3.4e+38); rescale the column\n"
    )
    assert not (workspace / "mlflow.db").exists()  # no run, no store


def test_undecodable_csv_is_reported(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"x,y\n\xff\xfe\x00,1\n")
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_dataset(f"csv:{path}?target=y", tmp_path)


def test_csv_without_a_path_shows_the_syntax():
    with pytest.raises(UsageError, match=r"csv: needs a file path, e\.g\. csv:PATH\?target="):
        dataset_info("csv:")
