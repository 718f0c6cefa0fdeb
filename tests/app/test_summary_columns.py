"""The runs table's summary columns: a metric column shows each run's Last value (MLflow's),
or the Best, Min or Max of its history, read from a real MLflow store written directly."""

from __future__ import annotations

import math
import shutil

import pytest
from conftest import opened_browser
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from app.browser import RunsBrowser
from app.browser._summaries import MetricSummary, goal_by_name, metric_goal, summarize

WAIT_MS = 30_000
HISTORIES = {  # run name: {metric: values by step}
    "cnn-a": {"val_loss": [0.9, 0.4, 0.6], "val_accuracy": [0.5, 0.8, 0.7], "reward": [1, 5, 2]},
    "cnn-b": {"val_loss": [0.8, 0.7, 0.2], "val_accuracy": [0.6, 0.65, 0.9], "reward": [3, 1, 2]},
    "still-running": {"val_loss": [1.5, 0.3, 1.0], "val_accuracy": [0.2, 0.4, 0.3]},
}


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> str:
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("summaries")
    for index, (name, metrics) in enumerate(HISTORIES.items()):
        start = 1_700_000_000_000 + index * 1000
        run_id = client.create_run(experiment, start_time=start, run_name=name).info.run_id
        points = [
            Metric(key, float(value), start + step, step)
            for key, values in metrics.items()
            for step, value in enumerate(values)
        ]
        client.log_batch(run_id, metrics=points, params=[Param("plugin", "cnn")])
        if name != "still-running":
            client.set_terminated(run_id, "FINISHED", end_time=start + 500)
    return uri


def opened(qtbot, uri: str) -> RunsBrowser:
    return opened_browser(qtbot, uri, WAIT_MS)


def column_values(browser: RunsBrowser, metric: str) -> dict[str, float | None]:
    """The column's values of the runs that logged ``metric``."""
    model = browser.model
    column = next(c for c in range(model.columnCount()) if model.metric_at(c) == metric)
    return {row.name: model.raw_value(row, column) for row in model.rows if metric in row.metrics}


def from_history(uri: str, browser: RunsBrowser, metric: str, pick) -> dict[str, float]:
    client = MlflowClient(tracking_uri=uri)
    return {
        row.name: pick([m.value for m in client.get_metric_history(row.run_id, metric)])
        for row in browser.model.rows
        if metric in row.metrics
    }


def test_summaries_and_which_way_is_best():
    assert summarize([0.9, 0.4, 0.6], "min") == MetricSummary(0.6, 0.4, 0.9, "min")
    assert summarize([0.9, 0.4, 0.6], "max").best == 0.9
    nan_last = summarize([1.0, math.nan], "min")
    assert math.isnan(nan_last.last) and nan_last.best == 1.0
    assert metric_goal("val_accuracy", "cnn") == "max"  # the plugin's own declaration
    assert metric_goal("val_loss", "cnn") == "min"
    assert metric_goal("test_reverse_kl", "gan") == "min"
    assert metric_goal("val_mse_ratio", "no-such-plugin") == "min"  # by its name
    assert [goal_by_name(n) for n in ("train_d_loss", "perplexity", "reward", "recall")] == [
        "min", "min", "max", "max"
    ]  # fmt: skip


def test_best_min_and_max_columns_match_the_histories(qtbot, store, errors):
    browser = opened(qtbot, store)
    model, summaries = browser.model, browser.summary_columns
    assert column_values(browser, "val_loss") == from_history(store, browser, "val_loss",
                                                              lambda v: v[-1])  # fmt: skip

    checks = [
        ("val_loss", "best", min),  # a loss: lowest is best
        ("val_accuracy", "best", max),
        ("val_accuracy", "min", min),
        ("reward", "max", max),
        ("reward", "best", max),  # no plugin declares it; not a loss by name
    ]
    for metric, summary, pick in checks:
        summaries.choose(metric, summary)
        qtbot.waitUntil(lambda: not summaries.loading, timeout=WAIT_MS)
        assert column_values(browser, metric) == from_history(store, browser, metric, pick)
    reward = next(c for c in range(model.columnCount()) if model.metric_at(c) == "reward")
    running = next(row for row in model.rows if row.name == "still-running")
    assert model.raw_value(running, reward) is None  # it logged no reward

    column = next(c for c in range(model.columnCount()) if model.metric_at(c) == "val_loss")
    assert model.headerData(column, browser.table.horizontalHeader().orientation()) == (
        "val_loss (best)"
    )
    tip = model.headerData(column, browser.table.horizontalHeader().orientation(), 3)
    assert "MLflow cannot sort" in tip
    assert model.order_key(column) is None
    browser._sort_clicked(column, browser.table.horizontalHeader().sortIndicatorOrder())
    assert "cannot sort" in browser.status.text() and not browser.loading

    # Only finished runs' summaries are kept: a refresh reads the running run's again.
    kept_runs = {run_id for _uri, run_id, _metric, _end in summaries.kept}
    assert {row.name for row in model.rows if row.run_id in kept_runs} == {"cnn-a", "cnn-b"}
    assert not errors


def test_the_header_menu_chooses_and_the_choice_is_remembered(qtbot, store, errors):
    browser = opened(qtbot, store)
    model, summaries = browser.model, browser.summary_columns
    column = next(c for c in range(model.columnCount()) if model.metric_at(c) == "val_accuracy")
    assert summaries.menu_for(0) is None  # the Run column has no summaries
    menu = summaries.menu_for(column)
    assert [action.text() for action in menu.actions()] == [
        f"{s} val_accuracy" for s in ("Last", "Best", "Min", "Max")
    ]
    assert menu.actions()[0].isChecked()
    menu.actions()[3].trigger()  # Max
    qtbot.waitUntil(lambda: not summaries.loading, timeout=WAIT_MS)
    assert column_values(browser, "val_accuracy") == {"cnn-a": 0.8, "cnn-b": 0.9,
                                                      "still-running": 0.4}  # fmt: skip

    again = opened(qtbot, store)  # the app next time
    assert again.model.summary_of == {"val_accuracy": "max"}
    qtbot.waitUntil(lambda: not again.summary_columns.loading, timeout=WAIT_MS)
    assert column_values(again, "val_accuracy")["cnn-b"] == 0.9
    again.summary_columns.menu_for(column).actions()[0].trigger()  # back to Last
    assert column_values(again, "val_accuracy")["cnn-b"] == 0.9  # its last value too
    assert column_values(again, "val_accuracy")["cnn-a"] == 0.7
    with pytest.raises(ValueError, match="'mean' is not one of last, best, min, max"):
        again.summary_columns.choose("val_accuracy", "mean")
    assert not errors
