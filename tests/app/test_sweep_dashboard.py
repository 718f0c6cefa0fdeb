"""The sweep dashboard draws only what changed since its last frame.

A sweep of hundreds of fast trials made the GUI thread redraw every curve and plot at each
progress event (p99 event-loop lateness 155-215 ms); these tests pin the fix down. The
events are the sweep coordinator's real event objects, delivered through the job's adapter
signal as they arrive from the coordinator process (which is not started here).
"""

from __future__ import annotations

from app.dashboards._sweep import SweepDashboard
from app.jobs._sweep_job import SweepJob
from engine.sweeps import SweepStarted, TrialFinished, TrialProgress, TrialStarted

SPEC = {"plugin": "cnn", "dataset": "digits", "name": "frames", "trials": 3}


def dashboard_with_sweep(qtbot):
    dashboard = SweepDashboard()
    qtbot.addWidget(dashboard)
    dashboard.timer.stop()  # frames are drawn by the test, one ``redraw`` at a time
    sweep = SweepJob(SPEC, parent=dashboard)
    dashboard.add_sweep(sweep)
    deliver = sweep.adapter.event.emit
    deliver(SweepStarted("frames", "cnn", "digits", "", ["val_accuracy"], ["maximize"], 3, 2))
    for number in (0, 1):
        deliver(TrialStarted(number, {"lr": 0.01 * (number + 1)}, number, 1000 + number))
        deliver(TrialProgress(number, 10, 20, {"val_accuracy": 0.5}))
    dashboard.redraw()
    return dashboard, deliver


def test_a_progress_event_redraws_only_its_trials_curve(qtbot):
    dashboard, deliver = dashboard_with_sweep(qtbot)
    curves = dashboard.intermediate_curves
    before = {number: curves[number].xData for number in (0, 1)}
    history = dashboard.history_points.data

    deliver(TrialProgress(1, 20, 20, {"val_accuracy": 0.7}))
    dashboard.redraw()

    assert curves[0].xData is before[0]  # trial 0 did not change: not set again
    assert curves[1].xData is not before[1]
    assert curves[1].xData.tolist() == [10.0, 20.0]
    assert dashboard.history_points.data is history  # no trial completed: summary untouched

    dashboard.redraw()  # nothing happened since: nothing is drawn
    assert curves[1].xData.tolist() == [10.0, 20.0]


def test_a_completed_trial_redraws_the_summary_plots(qtbot):
    dashboard, deliver = dashboard_with_sweep(qtbot)
    history = dashboard.history_points.data

    deliver(TrialFinished(0, [0.8], {"lr": 0.01}, None, 1.0))
    dashboard.redraw()

    assert dashboard.history_points.data is not history
    assert dashboard.history_points.data["y"].tolist() == [0.8]
    assert dashboard.table.states() == {0: "FINISHED", 1: "RUNNING"}
    assert "1 finished" in dashboard.summary.text()


def test_the_history_axis_ticks_whole_trials_only(qtbot):
    from app.dashboards._plots import IntegerAxis

    axis = IntegerAxis("bottom")
    for low, high in ((0.0, 2.0), (0.0, 7.0), (0.0, 400.0)):
        for spacing, _offset in axis.tickSpacing(low, high, 600):
            assert spacing >= 1.0 and spacing == int(spacing), (low, high, spacing)
        ticks = [v for _spacing, values in axis.tickValues(low, high, 600) for v in values]
        assert ticks and all(v == int(v) for v in ticks)
