"""Clicking a trial in the sweep dashboard shows its curves (its MLflow run's metric
histories), as MATLAB's Experiment Manager does: a row of the trials table, or the trial's point
on the history plot. The sweep's events are the coordinator's real event objects (no
coordinator is started); the runs are in a real SQLite store."""

from __future__ import annotations

import shutil

import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from app.dashboards import SweepDashboard
from app.jobs._sweep_job import SweepJob
from engine.sweeps import SweepStarted, TrialFinished, TrialStarted

WAIT_MS = 60_000
START_MS = 1_700_000_000_000
LOSSES = {0: [2.0, 1.0, 0.5], 1: [2.0, 1.5, 1.2]}


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> tuple[str, list[str]]:
    """A run per trial with its loss and accuracy histories."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("sweep")
    run_ids = []
    for number, losses in LOSSES.items():
        run_id = client.create_run(experiment, start_time=START_MS, run_name="s").info.run_id
        points = [Metric("train_loss", loss, START_MS + step, step)
                  for step, loss in enumerate(losses, start=1)]  # fmt: skip
        points.append(Metric("val_accuracy", 0.9 - number / 10, START_MS + 3, 3))
        client.log_batch(run_id, metrics=points)
        client.set_terminated(run_id, "FINISHED")
        run_ids.append(run_id)
    return uri, run_ids


def finished_sweep(qtbot, uri: str, run_ids: list[str]) -> SweepDashboard:
    dashboard = SweepDashboard()
    qtbot.addWidget(dashboard)
    dashboard.timer.stop()
    sweep = SweepJob(
        {"plugin": "cnn", "dataset": "digits", "name": "s", "trials": 2}, parent=dashboard
    )
    dashboard.add_sweep(sweep)
    deliver = sweep.adapter.event.emit
    deliver(SweepStarted("s", "cnn", "digits", "", ["val_accuracy"], ["maximize"], 2, 2,
                         tracking_uri=uri))  # fmt: skip
    for number, run_id in enumerate(run_ids):
        deliver(TrialStarted(number, {"lr": 0.01 * (number + 1)}, number, 1000 + number))
        deliver(TrialFinished(number, [0.9 - number / 10], {"lr": 0.01}, run_id, 1.0))
    dashboard.redraw()
    return dashboard


def shown(dashboard: SweepDashboard) -> dict[str, list[float]]:
    """The curves drawn: {legend name: y values}."""
    return {
        curve.curve.name(): curve.curve.getData()[1].tolist()
        for curve in dashboard.trial_curves.curves.drawn
    }


def test_a_trial_chosen_in_the_table_or_the_history_shows_its_curves(qtbot, store, errors):
    uri, run_ids = store
    dashboard = finished_sweep(qtbot, uri, run_ids)
    curves = dashboard.trial_curves
    assert dashboard.tabs.widget(0) is curves.page  # below the trials table

    assert curves.select_trial(0) and curves.select_trial(1)  # the latest choice wins
    qtbot.waitUntil(lambda: bool(curves.curves.drawn), timeout=WAIT_MS)
    curves.curves.metric.setCurrentText("train_loss")
    assert shown(dashboard) == {f"trial 1 ({run_ids[1][:6]})": LOSSES[1]}
    assert "trial 1" in curves.heading.text()

    dashboard.tabs.setCurrentWidget(dashboard.history)
    point = next(p for p in dashboard.history_points.points() if p.pos().x() == 0)
    dashboard.history_points.sigClicked.emit(dashboard.history_points, [point], None)
    assert dashboard.tabs.currentWidget() is curves.page
    qtbot.waitUntil(lambda: f"trial 0 ({run_ids[0][:6]})" in shown(dashboard), timeout=WAIT_MS)
    assert shown(dashboard) == {f"trial 0 ({run_ids[0][:6]})": LOSSES[0]}
    assert errors == []
