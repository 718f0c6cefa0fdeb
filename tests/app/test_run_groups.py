"""Runs grouped by configuration (the same params but the seed): the grouping itself, and
the Runs browser's grouped table and mean ± std bands, on a real SQLite store whose runs are
written directly (no training)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import opened_browser
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from app.browser._groups import band, group_labels, group_runs
from engine.tracking import RunRecord

WAIT_MS = 60_000
START_MS = 1_700_000_000_000
# Two configurations (lr), two seeds each: val_accuracy at steps 1 and 2.
RUNS = {("0.01", "1"): (0.5, 0.6), ("0.01", "2"): (0.7, 0.8),
        ("0.1", "1"): (0.2, 0.3), ("0.1", "2"): (0.2, 0.5)}  # fmt: skip


def _record(name: str, **params: str) -> RunRecord:
    return RunRecord(name, "0", "e", name, "FINISHED", None, None, params=dict(params))


def test_runs_group_by_their_params_except_the_seed():
    rows = [
        _record("a", lr="0.01", seed="1", device="cpu"),
        _record("b", lr="0.1", seed="1"),
        _record("c", lr="0.01", seed="2", device="cuda:0"),
        _record("d", lr="0.01", seed="3", depth="4"),
    ]
    groups = group_runs(rows)
    assert [[row.name for row in group.runs] for group in groups] == [["a", "c"], ["b"], ["d"]]
    # Labelled by what differs among runs with the same params; d's kind is its alone.
    assert group_labels(groups) == ["lr=0.01", "lr=0.1", "d"]
    assert groups[2].label() == "depth=4 lr=0.01"


def test_a_band_is_the_mean_and_std_of_the_runs_at_each_step():
    x, mean, std = band(
        [(np.array([1, 2]), np.array([1.0, 3.0])), (np.array([1, 2, 3]), np.array([3.0, 5.0, 7.0]))]
    )
    assert x.tolist() == [1, 2, 3] and mean.tolist() == [2.0, 4.0, 7.0]
    assert std.tolist() == pytest.approx([2**0.5, 2**0.5, 0.0])


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> str:
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("groups")
    for index, ((lr, seed), values) in enumerate(RUNS.items()):
        start = START_MS + index * 1000
        run_id = client.create_run(
            experiment, start_time=start, run_name=f"lr{lr}-seed{seed}"
        ).info.run_id
        metrics = [
            Metric("val_accuracy", v, start + step, step) for step, v in enumerate(values, 1)
        ]
        client.log_batch(run_id, metrics=metrics, params=[Param("lr", lr), Param("seed", seed)])
        client.set_terminated(run_id, "FINISHED", end_time=start + 500)
    return uri


def test_the_browser_groups_runs_and_draws_their_bands(qtbot, store, errors):
    browser = opened_browser(qtbot, store, WAIT_MS)
    browser.group_by.setChecked(True)
    table = browser.groups.table
    assert table.rowCount() == 2
    cells = {table.item(r, 0).text(): [table.item(r, c).text() for c in (1, 2)] for r in range(2)}
    assert cells == {"lr=0.01": ["2", "0.7 ± 0.14"], "lr=0.1": ["2", "0.4 ± 0.14"]}

    table.selectAll()
    assert len(browser.selected_rows()) == 4
    with qtbot.waitSignal(browser.compared, timeout=WAIT_MS):
        browser.compare_selected()
    curves = browser.curves
    assert len(curves.bands) == 2
    names = sorted(drawn.curve.name() for drawn in curves.drawn)
    assert names == ["lr=0.01 (n=2)", "lr=0.1 (n=2)"]
    by_name = {drawn.curve.name(): drawn.curve.getData()[1].tolist() for drawn in curves.drawn}
    assert by_name["lr=0.1 (n=2)"] == pytest.approx([0.2, 0.4])
    first = [drawn.curve.name() for drawn in curves.drawn].index("lr=0.01 (n=2)")
    upper = curves.bands[first].curves[0].getData()[1]  # its mean + std
    assert upper.tolist() == pytest.approx([0.6 + 0.02**0.5, 0.7 + 0.02**0.5])

    browser.group_by.setChecked(False)  # back to a curve per run
    assert curves.bands == [] and len(curves.drawn) == 4
    assert errors == []
