"""The runs table as a user reads it after a while: a learning-rate column that is the last
value of a schedule says so; a refresh keeps the selection; the params diff follows a rename.
A real SQLite store with runs written directly (no training)."""

from __future__ import annotations

import shutil

import pytest
from conftest import answer_next, opened_browser
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from PySide6.QtCore import Qt

from app.browser import RunsBrowser

WAIT_MS = 60_000
START_MS = 1_700_000_000_000
TOOLTIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> tuple[str, list[str]]:
    """Two runs configured with lr 0.01 and 0.03, their cosine schedules ending at 0."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("table")
    ids = []
    for index, lr in enumerate((0.01, 0.03)):
        start = START_MS + index * 1000
        run_id = client.create_run(
            experiment, start_time=start, run_name=f"run-{index}"
        ).info.run_id
        metrics = [Metric("lr", value, start + step, step) for step, value in ((1, lr), (2, 0.0))]
        metrics.append(Metric("val_accuracy", 0.5 + index / 10, start + 2, 2))
        # One class's score and one layer's gradient norm: the run's tables and plots, no column.
        metrics.append(Metric("test_f1/cat", 0.7, start + 2, 2))
        metrics.append(Metric("health/grad_norm/conv", 0.1, start + 2, 2))
        metrics.append(Metric("health/grad_norm", 0.2, start + 2, 2))
        client.log_batch(run_id, metrics=metrics, params=[Param("lr", str(lr))])
        # The first stopped: selected alone it loads no model for the Predict tab.
        client.set_terminated(run_id, "KILLED" if index == 0 else "FINISHED", end_time=start + 500)
        ids.append(run_id)
    return uri, ids


def opened(qtbot, uri: str) -> RunsBrowser:
    return opened_browser(qtbot, uri, WAIT_MS)


def headers(browser: RunsBrowser) -> dict[str, int]:
    model = browser.model
    return {model.column_name(column): column for column in range(model.columnCount())}


def test_a_scheduled_lr_column_says_it_is_the_last_value(qtbot, store):
    uri, ids = store
    browser = opened(qtbot, uri)
    columns = headers(browser)
    assert "lr" not in columns  # "lr" with 0 in every row reads as the runs' learning rate
    row = next(row for row in browser.model.rows if row.run_id == ids[1])
    assert browser.model.raw_value(row, columns["lr (last)"]) == 0.0
    assert browser.model.raw_value(row, columns["param: lr"]) == "0.03"
    tip = browser.model.headerData(columns["lr (last)"], Qt.Orientation.Horizontal, TOOLTIP)
    assert "param: lr" in tip
    assert "val_accuracy" in columns  # a metric that is no param keeps its plain name
    assert "health/grad_norm" in columns
    assert "test_f1/cat" not in columns and "health/grad_norm/conv" not in columns


def test_a_refresh_keeps_the_selected_runs_selected(qtbot, store):
    uri, ids = store
    browser = opened(qtbot, uri)
    assert browser.select_runs(*ids) == 2
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        browser.refresh()  # what the window does when a run or sweep ends
    assert {row.run_id for row in browser.selected_rows()} == set(ids)


def test_the_params_diff_shows_a_renamed_runs_new_name(qtbot, store, errors):
    uri, ids = store
    browser = opened(qtbot, uri)
    assert browser.select_runs(ids[0]) == 1
    with qtbot.waitSignal(browser.compared, timeout=WAIT_MS):
        browser.compare_selected()
    assert browser.diff.horizontalHeaderItem(0).text().startswith("run-0 (")

    answer_next("baseline")
    browser.organiser.rename_action.trigger()
    renamed = next(row for row in browser.model.rows if row.run_id == ids[0])
    qtbot.waitUntil(lambda: renamed.name == "baseline", timeout=WAIT_MS)
    assert browser.diff.horizontalHeaderItem(0).text().startswith("baseline (")
    assert [drawn.curve.name() for drawn in browser.curves.drawn] == [f"baseline ({ids[0][:6]})"]
    assert errors == []
