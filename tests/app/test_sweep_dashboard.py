"""The sweep dashboard draws only what changed since its last frame.

A sweep of hundreds of fast trials made the GUI thread redraw every curve and plot at each
progress event (p99 event-loop lateness 155-215 ms); these tests pin the fix down. The
events are the sweep coordinator's real event objects, delivered through the job's adapter
signal as they arrive from the coordinator process (which is not started here).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication

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


# -- plots that say what they mean (issue 25, part 3) ---------------------------------------
LOG_SPEC = {**SPEC, "search": {"lr": "1e-3:1e-1:log", "dropout": "0:0.5"}}


def shown_sweep(qtbot, values=(0.986, 0.993)):
    """A dashboard on screen with two finished trials of a sweep searching lr on a log scale."""
    dashboard = SweepDashboard()
    qtbot.addWidget(dashboard)
    dashboard.timer.stop()
    dashboard.resize(900, 600)
    dashboard.show()
    qtbot.waitExposed(dashboard)
    sweep = SweepJob(LOG_SPEC, parent=dashboard)
    dashboard.add_sweep(sweep)
    deliver = sweep.adapter.event.emit
    deliver(SweepStarted("logs", "cnn", "digits", "", ["val_accuracy"], ["maximize"], 2, 1))
    for number, (lr, value) in enumerate(zip((0.002, 0.05), values, strict=True)):
        params = {"lr": lr, "dropout": 0.1 * (number + 1)}
        deliver(TrialStarted(number, params, 0, 1000))
        deliver(TrialProgress(number, 10, 20, {"val_accuracy": value - 0.01}))
        deliver(TrialFinished(number, [value], params, None, 1.0))
    dashboard.redraw()
    return dashboard


def hover_over(qtbot, view, plot, x: float, y: float) -> None:
    """Move the mouse over the point (x, y) of ``plot`` (in its view box's coordinates)."""
    from PySide6.QtCore import QPointF

    QCoreApplication.processEvents()  # the view's range and layout settle first
    where = view.mapFromScene(plot.vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseMove(view.viewport(), where)


def test_hovering_a_trial_names_its_number_params_and_value(qtbot):
    dashboard = shown_sweep(qtbot)
    dashboard.tabs.setCurrentWidget(dashboard.history)
    hover_over(qtbot, dashboard.history, dashboard.history_plot, 1.0, 0.993)
    text = dashboard.history_hover.text
    assert text.splitlines()[0] == "trial 1"
    assert {"val_accuracy = 0.993", "lr = 0.05", "dropout = 0.2"} <= set(text.splitlines())

    dashboard.tabs.setCurrentWidget(dashboard.intermediate)
    hover_over(qtbot, dashboard.intermediate, dashboard.intermediate_plot, 10.0, 0.976)
    lines = dashboard.intermediate_hover.text.splitlines()
    assert lines[0] == "trial 0 (FINISHED)" and {"step = 10", "val_accuracy = 0.976"} <= set(lines)
    # A colour per trial, the same on every plot.
    brushes = [brush.color().name() for brush in dashboard.history_points.data["brush"]]
    curves = [dashboard.intermediate_curves[n].opts["pen"].color().name() for n in (0, 1)]
    assert len(set(brushes)) == 2 and brushes == curves


def test_a_log_scale_parameter_is_drawn_on_log_axes(qtbot):
    dashboard = shown_sweep(qtbot)
    slices = dashboard.slice_view
    assert slices.plots["lr"].getAxis("bottom").logMode  # lr is searched on a log scale
    assert not slices.plots["dropout"].getAxis("bottom").logMode
    # Parallel coordinates: each axis in its own units, lr's ticks a log scale's.
    parallel = dashboard.parallel_view
    assert parallel.tick_labels("lr") == ["0.002", "0.005", "0.01", "0.02", "0.05"]
    positions = [position for position, _label in parallel.axes["lr"].ticks]
    assert positions[2] == pytest.approx(0.5)  # 0.01 halfway between 0.002 and 0.05
    assert parallel.tick_labels("dropout") == ["0.1", "0.12", "0.14", "0.16", "0.18", "0.2"]
    assert parallel.colorbar.levels() == pytest.approx((0.986, 0.993))


def test_no_axis_rescales_its_values_by_an_si_prefix(qtbot):
    """val_accuracy 0.986..0.993 read "val_accuracy (x0.001)" with ticks 986..993."""
    import pyqtgraph as pg

    dashboard = shown_sweep(qtbot)
    for page in (dashboard.history, dashboard.parallel, dashboard.slices):
        dashboard.tabs.setCurrentWidget(page)
        QCoreApplication.processEvents()
    axis = dashboard.history_plot.getAxis("left")
    low, high = axis.range
    assert 0.98 < low < high < 1.0
    assert "val_accuracy" in axis.labelString() and "(x" not in axis.labelString()
    assert axis.tickStrings([0.986, 0.99], axis.autoSIPrefixScale * axis.scale, 0.002) == [
        "0.986", "0.990"]  # fmt: skip
    views = (dashboard.history, dashboard.intermediate, dashboard.parallel, dashboard.slices)
    axes = [item for view in views for item in view.scene().items()
            if isinstance(item, pg.AxisItem)]  # fmt: skip
    assert len(axes) > 12 and all(a.autoSIPrefixScale == 1.0 for a in axes)
