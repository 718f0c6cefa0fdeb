"""Training's health in the live view: the health figures on log axes, a rollback cutting the
curves back to the step the run went back to and marked on the loss plot, the onset of
overfitting marked, and both said in the job's message (the jobs panel's column)."""

from __future__ import annotations

import pyqtgraph as pg

from app.dashboards import LiveRunsView
from app.jobs import RunJob
from engine.events import EvalMetrics, OverfittingSeen, RolledBack, StepMetrics
from engine.runner import RunConfig


def markers(view) -> list[str]:
    plot = view.plots["loss"]
    return [item.label.format for item in plot.items if isinstance(item, pg.InfiniteLine)]


def test_rollback_and_overfitting_are_marked_and_said(qtbot):
    view = LiveRunsView()
    qtbot.addWidget(view)
    view.timer.stop()
    job = RunJob(RunConfig("cnn", "digits", track=False))
    view.add_job(job)
    deliver = job.adapter.event.emit  # as the worker's events arrive
    steps = list(range(1, 61))
    deliver(StepMetrics(steps, {"train_loss": [1.0 / s for s in steps]}, 100))
    health = {"val_loss": 0.5, "health/grad_norm": 3.0, "health/update_ratio": 1e-3,
              "health/grad_norm/conv1": 2.0, "health/generalization_gap": 0.1}  # fmt: skip
    deliver(EvalMetrics(40, health, 100))
    view.redraw()
    assert view.plots["health/grad_norm"].ctrl.logYCheck.isChecked()  # log axes for health
    assert view.plots["health/update_ratio"].ctrl.logYCheck.isChecked()

    rollback = RolledBack(60, "loss is nan", restored_step=40, lr_factor=0.5, number=1, allowed=3)
    deliver(rollback)
    view.redraw()
    train = view.current.series["train_loss"]
    assert train.x[-1] == 40  # steps 41-60 are trained again, not drawn twice
    assert markers(view) == [f"#{job.number} rollback 1"]
    assert job.message == rollback.message

    seen = OverfittingSeen(step=90, since_step=50)
    deliver(seen)
    assert markers(view)[-1] == f"#{job.number} overfitting from step 50"
    assert job.message == seen.message and "since step 50" in job.message
