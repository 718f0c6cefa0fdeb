"""Curves people can read: TensorBoard's debiased smoothing with the raw curve faint behind,
a log y axis, and the x axis by step or wall time, in the live view and in the runs
browser's comparison (histories read back from a real MLflow store)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from app.browser._compare import CompareCurves
from app.browser._query import RunRecord, fetch_histories
from app.dashboards import WALL_TIME, CurveChoice, CurveOptions, LiveRunsView, ema
from app.dashboards._smoothing import extend_ema
from app.jobs import RunJob
from engine.events import EvalMetrics, RunStarted, StepMetrics
from engine.runner import RunConfig

NOISY = [1.0, 3.0, 0.5, 2.5, 0.2, 2.0, 0.1, 1.5]


def test_ema_is_tensorboards_debiased_average():
    assert ema([1.0, 3.0], 0.5).tolist() == pytest.approx([1.0, (0.25 + 1.5) / 0.75])
    assert ema([5.0] * 20, 0.9).tolist() == pytest.approx([5.0] * 20)  # no pull towards 0
    assert ema(NOISY, 0.0).tolist() == NOISY
    smoothed = ema([1.0, math.nan, 3.0], 0.5)
    assert math.isnan(smoothed[1])  # shown as it is, left out of the average
    assert smoothed[2] == pytest.approx((0.25 + 1.5) / 0.75)
    # Chunk by chunk, as the live view smooths a growing series, is the same as all at once.
    first, state = extend_ema(NOISY[:3], 0.7)
    rest, _state = extend_ema(NOISY[3:], 0.7, state)
    assert np.concatenate([first, rest]).tolist() == pytest.approx(ema(NOISY, 0.7).tolist())
    with pytest.raises(ValueError, match="outside 0 .. 0.99"):
        ema(NOISY, 1.0)


@pytest.fixture
def live(qtbot):
    view = LiveRunsView()
    qtbot.addWidget(view)
    view.timer.stop()  # the test draws when it wants to
    clock = [100.0]
    view.now = lambda: clock[0]
    job = RunJob(RunConfig("cnn", "digits", track=False))
    view.add_job(job)
    trace = view.trace_for(job)
    job.event.emit(RunStarted(None, "cnn", "digits", 8, 0, "cpu"))
    clock[0] = 104.0  # the first four steps took four seconds
    job.event.emit(StepMetrics(list(range(1, 5)), {"train_loss": NOISY[:4]}, 8))
    clock[0] = 112.0  # the next four took eight
    job.event.emit(StepMetrics(list(range(5, 9)), {"train_loss": NOISY[4:]}, 8))
    job.event.emit(EvalMetrics(8, {"val_loss": 0.7}, 8))
    view.redraw()
    return view, trace


def test_the_live_view_smooths_with_the_slider_and_keeps_the_raw_curve_faint(live):
    view, trace = live
    curve = trace.curves["train_loss"]
    assert curve.getData()[1].tolist() == NOISY
    assert len(curve.raw.getData()[1] if curve.raw.getData()[1] is not None else []) == 0

    view.options.slider.setValue(60)
    assert curve.getData()[1].tolist() == pytest.approx(ema(NOISY, 0.6).tolist())
    assert curve.raw.getData()[1].tolist() == NOISY  # the raw data, behind
    assert curve.raw.opts["pen"].color().alpha() < 100
    assert curve.raw.zValue() < curve.curve.zValue()

    # More points smooth on from where the average stood.
    trace.series["train_loss"].append([9, 10], [3.0, 0.0])
    view.redraw()
    assert curve.getData()[1].tolist() == pytest.approx(ema([*NOISY, 3.0, 0.0], 0.6).tolist())

    view.options.slider.setValue(0)
    assert curve.getData()[1].tolist() == [*NOISY, 3.0, 0.0]


def test_the_live_view_lays_out_and_lists_only_the_runs_in_sight(live):
    view, first = live
    second_job = RunJob(RunConfig("cnn", "digits", track=False))
    view.add_job(second_job)  # not overlaid: the first run is hidden
    second_job.event.emit(StepMetrics([1, 2], {"train_loss": [1.0, 0.5]}, 8))
    view.redraw()
    one, two = f"#{first.job.number}", f"#{second_job.number}"

    def legend() -> list[str]:
        return [label.text for _sample, label in view.plots["loss"].legend.items]

    assert legend() == [f"{two} train_loss"]
    third_job = RunJob(RunConfig("rnn", "sines", track=False))
    view.add_job(third_job)  # a forecaster alone: only its plot is laid out
    third_job.event.emit(EvalMetrics(4, {"val_mse": 0.5}, 8))
    view.redraw()
    assert list(view.graphics.ci.items) == [view.plots["mse"]]
    view.show_job(second_job)  # ticked again in the run list
    assert view.graphics.ci.items == {view.plots["loss"]: [(0, 0)], view.plots["mse"]: [(0, 1)]}
    assert legend() == [f"{two} train_loss"]
    view.show_job(first.job)
    both = [f"{two} train_loss", f"{one} train_loss", f"{one} val_loss"]
    assert legend() == both
    view.show_job(first.job)  # already in sight: its entries stay where they are
    assert legend() == both


def test_a_forecasters_baselines_share_its_plot_each_in_a_line_style_of_its_own(live):
    from PySide6.QtCore import Qt

    view, trace = live
    names = ("val_mse", "val_naive_mse", "val_seasonal_naive_mse", "val_linear_mse")
    trace.job.event.emit(EvalMetrics(8, dict.fromkeys(names, 1.0), 8))
    view.redraw()
    styles = {name: trace.curves[name].curve.opts["pen"].style() for name in names}
    assert styles["val_mse"] == Qt.PenStyle.SolidLine
    assert len(set(styles.values())) == 4
    plot = view.plots["mse"]
    number = trace.job.number
    assert {label.text for _sample, label in plot.legend.items} == {f"#{number} {n}" for n in names}


def test_log_y_and_wall_time_in_the_live_view(live):
    view, trace = live
    plot = view.plots["loss"]
    assert not plot.getAxis("left").logMode
    view.options.log_y.setChecked(True)
    assert plot.getAxis("left").logMode
    assert view.plots["loss"].ctrl.logYCheck.isChecked()

    view.options.x_axis.setCurrentIndex(view.options.x_axis.findData(WALL_TIME))
    x = trace.curves["train_loss"].getData()[0]
    # Seconds since RunStarted, interpolated between the two chunks' arrivals.
    assert x.tolist() == pytest.approx([1, 2, 3, 4, 6, 8, 10, 12])
    assert trace.curves["val_loss"].getData()[0].tolist() == pytest.approx([12.0])
    assert "time" in plot.getAxis("bottom").labelText


def test_curve_options_are_remembered(qtbot):
    options = CurveOptions("curves/test")
    qtbot.addWidget(options)
    options.set_choice(CurveChoice(smoothing=0.85, log_y=True, x_axis=WALL_TIME))
    again = CurveOptions("curves/test")
    qtbot.addWidget(again)
    assert again.choice == CurveChoice(smoothing=0.85, log_y=True, x_axis=WALL_TIME)
    other = CurveOptions("curves/other")
    qtbot.addWidget(other)
    assert other.choice == CurveChoice()


def test_compare_curves_smooth_and_put_runs_on_their_own_wall_clock(
    qtbot, tmp_path, _empty_mlflow_store
):
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("curves")
    rows = []
    for index, start in enumerate((1_000_000, 5_000_000)):
        run = client.create_run(experiment, start_time=start, run_name=f"r{index}")
        points = [Metric("loss", v, start + 500 * step, step) for step, v in enumerate(NOISY)]
        client.log_batch(run.info.run_id, metrics=points)
        rows.append(RunRecord(run.info.run_id, experiment, "curves", f"r{index}", "RUNNING",
                           start, None, metrics={"loss": NOISY[-1]}))  # fmt: skip

    curves = CompareCurves()
    qtbot.addWidget(curves)
    curves.set_data(rows, fetch_histories(uri, [r.run_id for r in rows], ["loss"]))
    assert [c.getData()[1].tolist() for c in curves.drawn] == [NOISY, NOISY]
    curves.options.slider.setValue(90)
    assert curves.drawn[0].getData()[1].tolist() == pytest.approx(ema(NOISY, 0.9).tolist())
    assert curves.drawn[0].raw.getData()[1].tolist() == NOISY
    curves.options.x_axis.setCurrentIndex(curves.options.x_axis.findData(WALL_TIME))
    # Both runs start at 0 s although one started 4000 s after the other.
    for curve in curves.drawn:
        assert curve.getData()[0].tolist() == pytest.approx([0.5 * s for s in range(8)])
    curves.options.log_y.setChecked(True)
    assert curves.plot.getAxis("left").logMode


def test_a_log_axis_leaves_out_what_it_cannot_draw(qtbot):
    """A schedule's last learning rate is 0: the lr plot (always log) draws the rest."""
    import pyqtgraph as pg

    from app.dashboards._curve_options import SmoothedCurve

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    plot.setLogMode(y=True)
    curve = SmoothedCurve(plot, pg.mkPen("#000000"), "lr", symbol="o")
    curve.set_data(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.01, 0.0]), 0.0)
    x, y = curve.getData()
    assert x.tolist() == [1.0, 2.0] and np.allclose(y, [-1.0, -2.0])
    curve.set_data(np.array([3.0]), np.array([0.0]), 0.6)
    assert curve.getData()[1] is None  # nothing to draw yet


def test_a_log_axis_over_decades_labels_only_its_1_2_5_ticks(qtbot):
    """Nine labels a decade overprint at its top; over more than a decade only 1, 2 and 5
    times a power of ten are labelled (every tick keeps its mark)."""
    from app.dashboards._plots import ReadableLogAxis

    axis = ReadableLogAxis("left")
    decades = [math.log10(m * 10.0**e) for e in (-5, -4) for m in range(1, 10)] + [-3.0]
    strings = axis.logTickStrings(decades, 1, None)
    labelled = [v for v, text in zip(decades, strings, strict=True) if text]
    assert np.allclose(10 ** np.array(labelled), [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3])
    one_decade = [math.log10(m * 1e-3) for m in range(2, 10)]
    assert all(axis.logTickStrings(one_decade, 1, None))


def test_a_short_log_axis_drops_labels_that_would_overprint(qtbot):
    """60 pixels from 0.06 to 0.14: 0.07, 0.08 and 0.09 would sit on one another and on the
    0.1 of the level above; those a text height apart stay."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFontMetricsF

    from app.dashboards._plots import ReadableLogAxis

    axis = ReadableLogAxis("left")
    axis.setLogMode(False, True)
    axis.setRange(math.log10(0.06), math.log10(0.14))
    axis.setGeometry(QRectF(0, 0, 50, 60))
    minor = [math.log10(v) for v in (0.06, 0.07, 0.08, 0.09)]
    strings = axis.logTickStrings(minor, 1, None)
    labelled = [v for v, text in zip(minor, strings, strict=True) if text]
    per_decade = 60 / (math.log10(0.14) - math.log10(0.06))
    height = QFontMetricsF(axis.font()).height()
    assert labelled and len(labelled) < len(minor)
    for value in (*labelled, -1.0):  # the 0.1 above them
        others = [v for v in (*labelled, -1.0) if v != value]
        assert min(abs(value - v) for v in others) * per_decade >= height - 1e-6
    tall = ReadableLogAxis("left")  # room for all of them: all labelled
    tall.setLogMode(False, True)
    tall.setRange(math.log10(0.06), math.log10(0.14))
    tall.setGeometry(QRectF(0, 0, 50, 600))
    assert all(tall.logTickStrings(minor, 1, None))


# -- plots that say what they mean (issue 25, part 3) ---------------------------------------
def _record(index: int) -> RunRecord:
    return RunRecord(f"run{index}abcdef", "0", "curves", f"r{index}", "FINISHED", 0, None)


def test_hovering_a_curve_names_the_run_step_and_value(live, qtbot):
    from PySide6.QtCore import QCoreApplication, QPointF

    view, trace = live
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    QCoreApplication.processEvents()
    plot = view.plots["loss"]
    where = view.graphics.mapFromScene(plot.vb.mapViewToScene(QPointF(3.0, NOISY[2])))
    qtbot.mouseMove(view.graphics.viewport(), where)
    job = trace.job
    assert view.hovers["loss"].text.splitlines() == [
        f"#{job.number} {job.title}", "step 3", "train_loss = 0.5"]  # fmt: skip


def test_a_series_of_one_point_is_drawn_as_a_marker(qtbot):
    """A run stopped after its first evaluation, compared with others, showed nothing."""
    curves = CompareCurves()
    qtbot.addWidget(curves)
    histories = {_record(0).run_id: {"val_loss": ([10], [0.5], [1000])},
                 _record(1).run_id: {"val_loss": ([10, 20], [0.5, 0.4], [1000, 2000])}}  # fmt: skip
    curves.set_data([_record(0), _record(1)], histories)
    lone, whole = (curve.curve for curve in curves.drawn)
    assert lone.opts["symbol"] == "o" and lone.scatter.points().size == 1
    assert whole.opts["symbol"] is None


def test_legends_stay_beside_the_curves(qtbot):
    """With four runs overlaid the legend covered the curves and was cut off."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    window = QWidget()  # as in the app: its ``metric`` combo box hides QWidget.metric()
    qtbot.addWidget(window)
    curves = CompareCurves()
    QVBoxLayout(window).addWidget(curves)
    records = [_record(index) for index in range(4)]
    histories = {r.run_id: {"val_loss": (list(range(50)), NOISY * 6 + [0, 0], [0] * 50)}
                 for r in records}  # fmt: skip
    curves.set_data(records, histories)
    window.resize(800, 400)
    window.show()
    qtbot.waitExposed(window)
    QCoreApplication.processEvents()
    legend, view_box = curves.legend.sceneBoundingRect(), curves.plot.vb.sceneBoundingRect()
    assert len(curves.legend.items) == 4 and legend.height() > 40
    assert legend.left() > view_box.right() - 1  # beside the view box, not over it
    assert curves.plot_widget.sceneRect().contains(legend)  # and whole
