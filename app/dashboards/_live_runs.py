"""Live curves of runs as they train, several runs overlaid on demand.

One persistent ``PlotDataItem`` per (run, metric), fed from ``GrowingSeries`` buffers. Events
only append to buffers; a single ~15 Hz timer pushes the changed ones to their curves, so a
burst of events costs one redraw. Metrics are grouped by name without the split prefix:
``train_loss`` and ``val_loss`` share the "loss" plot. The curve options above the plots
(smoothing, log y, x by step or wall time) apply to every plot; wall time is when the events
arrived here, counted from the run's start, one clock per run interpolated between events.

Training's health (``health/*``, at each evaluation) is drawn the same way: the gradient norm,
the update-to-weight ratio (both on a log scale), the gradient norm of each layer group in one
plot of its own (a colour per layer), the generalisation gap. A rollback and the onset of
overfitting are marked on the loss plot with a labelled vertical line; a rollback also cuts
the run's curves back to the step it went back to, which it then trains again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dashboards._curve_options import WALL_TIME, CurveOptions, SmoothedCurve, apply_axes
from app.dashboards._hover import HoverTips
from app.dashboards._legend import outside_legend
from app.dashboards._per_class import PerClassTable
from app.dashboards._plots import color, fast_plot
from app.dashboards._series import GrowingSeries
from app.dashboards._snapshot import SnapshotView
from app.dashboards._zoom_image import ZoomImage
from app.jobs import RunJob
from engine.events import (
    EvalMetrics,
    OverfittingSeen,
    RolledBack,
    RunFinished,
    RunStarted,
    Snapshot,
    StepMetrics,
)

FRAME_MS = 66  # about 15 frames a second
PREFIXES = ("train_", "val_", "test_")
# A forecaster's baselines share its plots: its mse beside naive, seasonal and linear ones.
SHARED_GROUPS = {
    "naive_mse": "mse",
    "seasonal_naive_mse": "mse",
    "linear_mse": "mse",
    "mse_ratio_linear": "mse_ratio",
}
# ...each in a line style of its own (the run's colour is the run's), thinner than the model's.
BASELINE_STYLES = {
    "naive_mse": Qt.PenStyle.DotLine,
    "seasonal_naive_mse": Qt.PenStyle.DashDotLine,
    "linear_mse": Qt.PenStyle.DashLine,
    "mse_ratio_linear": Qt.PenStyle.DashLine,
}
NO_MATRIX = (
    "A classifier's confusion matrix, or a forecaster's test forecast, appears here when "
    "its run ends."
)
# The end-of-run figure the tab below the curves shows, by artifact, and the tab's title:
# a classifier's confusion matrix, a forecaster's test forecast beside its baselines.
RESULT_IMAGES = {"confusion_matrix.png": "Confusion matrix", "forecast.png": "Forecast"}
# A classifier's other test diagnostics, each in a tab of its own beside the matrix, shown
# only for a run that logged it: per-class scores, the reliability diagram, its surest mistakes.
PER_CLASS_TABLE = "per_class.json"
DIAGNOSTIC_IMAGES = {"reliability.png": "Calibration", "mistakes.png": "Mistakes"}
PER_CLASS_TITLE = "Per class"
LAYER_GRAD_NORM = "health/grad_norm/"  # + a layer group: all in one plot, LAYER_GRAD_NORMS
LAYER_GRAD_NORMS = "health/grad_norm by layer"
LOG_SCALE_GROUPS = ("lr", "health/grad_norm", "health/update_ratio", LAYER_GRAD_NORMS)


def unprefixed(name: str) -> str:
    """``val_mse`` -> ``mse``: the metric without its split."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def metric_group(name: str) -> str:
    if name.startswith(LAYER_GRAD_NORM):
        return LAYER_GRAD_NORMS
    name = unprefixed(name)
    return SHARED_GROUPS.get(name, name)


@dataclass
class RunTrace:
    job: RunJob
    index: int
    series: dict[str, GrowingSeries] = field(default_factory=dict)
    curves: dict[str, SmoothedCurve] = field(default_factory=dict)
    # (step, seconds since the run started) as events arrive: the x of the wall-time axis.
    clock: GrowingSeries = field(default_factory=GrowingSeries)
    started: float | None = None
    visible: bool = True
    snapshot: tuple[int, dict] | None = None
    result_pixmap: QPixmap | None = None
    result_title: str = RESULT_IMAGES["confusion_matrix.png"]
    per_class: list[dict] | None = None  # rows of per_class.json
    diagnostics: dict[str, QPixmap] = field(default_factory=dict)  # by DIAGNOSTIC_IMAGES name
    markers: list[pg.InfiniteLine] = field(default_factory=list)  # rollbacks, overfitting


class LiveRunsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.traces: dict[int, RunTrace] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.hovers: dict[str, HoverTips] = {}  # by plot: run, step and value under the pointer
        self.current: RunTrace | None = None

        self.run_list = QListWidget()
        self.run_list.setObjectName("liveRunList")
        self.run_list.itemChanged.connect(self._check_changed)
        self.run_list.currentItemChanged.connect(self._current_changed)
        self.overlay = QCheckBox("Overlay earlier runs")
        self.overlay.setObjectName("overlayRuns")
        self.overlay.setToolTip("Keep earlier runs' curves shown when a new run starts")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Runs (tick to overlay)"))
        left_layout.addWidget(self.run_list, 1)
        left_layout.addWidget(self.overlay)

        self.options = CurveOptions("curves/live")
        self.options.setObjectName("liveCurveOptions")
        self.options.changed.connect(self._options_changed)
        self.now = time.monotonic  # the wall clock of the wall-time axis
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("liveCurves")
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addWidget(self.options)
        curves_layout.addWidget(self.graphics, 1)
        self.snapshots = SnapshotView()
        self.result_image = ZoomImage(NO_MATRIX, opens=ZoomImage.WIDTH)
        self.result_image.setObjectName("resultImage")
        self.extras = QTabWidget()
        self.extras.addTab(self.snapshots, "Snapshot")
        self.extras.addTab(self.result_image, "Confusion matrix")
        self.per_class = PerClassTable()
        self.per_class.setObjectName("perClassTable")
        self.extras.addTab(self.per_class, PER_CLASS_TITLE)
        self.diagnostic_images: dict[str, ZoomImage] = {}
        for name, title in DIAGNOSTIC_IMAGES.items():
            image = self.diagnostic_images[name] = ZoomImage("", opens=ZoomImage.WIDTH)
            image.setObjectName(f"diagnostic_{name.removesuffix('.png')}")
            self.extras.addTab(image, title)
        self._show_diagnostics(None)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(curves)
        right.addWidget(self.extras)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([600, 300])  # the curves first; the snapshot or matrix below
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("liveSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 800])  # wide enough for "#N plugin on data (seed S) — STATE"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # -- runs --------------------------------------------------------------------------------
    def add_job(self, job: RunJob) -> None:
        trace = RunTrace(job, len(self.traces))
        self.traces[job.number] = trace
        if not self.overlay.isChecked():
            for other in self.traces.values():
                if other is not trace:
                    self._set_visible(other, False)
        item = QListWidgetItem(f"#{job.number} {job.title}")
        item.setData(Qt.ItemDataRole.UserRole, job.number)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setForeground(pg.mkColor(color(trace.index)))
        self.run_list.addItem(item)
        self.run_list.setCurrentItem(item)
        job.event.connect(lambda event, trace=trace: self.on_event(trace, event))
        job.changed.connect(
            lambda job=job, item=item: item.setText(
                f"#{job.number} {job.title} — {job.state.label}"
            )
        )

    def show_job(self, job: RunJob) -> None:
        trace = self.traces.get(job.number)
        if trace is None:
            return
        item = self._item(trace)
        item.setCheckState(Qt.CheckState.Checked)
        self.run_list.setCurrentItem(item)

    def trace_for(self, job: RunJob) -> RunTrace | None:
        return self.traces.get(job.number)

    def _item(self, trace: RunTrace) -> QListWidgetItem:
        for row in range(self.run_list.count()):
            item = self.run_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == trace.job.number:
                return item
        raise KeyError(trace.job.number)

    def _set_visible(self, trace: RunTrace, visible: bool) -> None:
        trace.visible = visible
        for curve in trace.curves.values():
            curve.setVisible(visible)
        for marker in trace.markers:
            marker.setVisible(visible)
        self._relayout()
        try:
            item = self._item(trace)
        except KeyError:
            return
        self.run_list.blockSignals(True)
        item.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
        self.run_list.blockSignals(False)

    def _check_changed(self, item: QListWidgetItem) -> None:
        trace = self.traces.get(item.data(Qt.ItemDataRole.UserRole))
        if trace is not None:
            self._set_visible(trace, item.checkState() == Qt.CheckState.Checked)

    def _current_changed(self, item: QListWidgetItem | None, _previous) -> None:
        trace = self.traces.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        self.current = trace
        if trace is None:
            return
        if trace.snapshot:
            step, data = trace.snapshot
            self.snapshots.show_snapshot(step, data, f"#{trace.job.number}")
        else:
            self.snapshots.show_none(f"#{trace.job.number}")
        self.result_image.set_image(trace.result_pixmap, NO_MATRIX)
        self.extras.setTabText(1, trace.result_title)
        self._show_diagnostics(trace)

    def _show_diagnostics(self, trace: RunTrace | None) -> None:
        """The classifier tabs of ``trace`` (hidden where it logged none: a forecaster)."""
        rows = trace.per_class if trace else None
        self.per_class.show_rows(rows or [])
        self.extras.setTabVisible(self.extras.indexOf(self.per_class), bool(rows))
        for name, image in self.diagnostic_images.items():
            pixmap = trace.diagnostics.get(name) if trace else None
            image.set_image(pixmap)
            self.extras.setTabVisible(self.extras.indexOf(image), pixmap is not None)

    # -- events (cheap: buffers only) ---------------------------------------------------------
    def on_event(self, trace: RunTrace, event) -> None:
        if isinstance(event, StepMetrics):
            self._tick(trace, event.steps[-1])
            for name, values in event.metrics.items():
                self._series(trace, name).append(event.steps, values)
        elif isinstance(event, EvalMetrics):
            self._tick(trace, event.step)
            for name, value in event.metrics.items():
                self._series(trace, name).append([event.step], [value])
        elif isinstance(event, Snapshot):
            trace.snapshot = (event.step, event.data)
            if trace is self.current:
                self.snapshots.show_snapshot(event.step, event.data, f"#{trace.job.number}")
        elif isinstance(event, RunFinished) and event.run_id and trace.job.config.track:
            self._fetch_result_image(trace, event.run_id)
        elif isinstance(event, RunStarted):
            trace.started = self.now()
            trace.clock.append([event.start_step], [0.0])
        elif isinstance(event, RolledBack):
            for series in trace.series.values():
                series.truncate_after(event.restored_step)
            self._mark(trace, event.restored_step, f"rollback {event.number}")
        elif isinstance(event, OverfittingSeen):
            self._mark(trace, event.since_step, f"overfitting from step {event.since_step}")

    def _mark(self, trace: RunTrace, step: int, text: str) -> None:
        """A labelled vertical line at ``step`` on the loss plot (the first plot if none)."""
        plot = self.plots.get("loss") or next(iter(self.plots.values()), None)
        if plot is None:
            return
        pen = pg.mkPen(color(trace.index), width=1, style=Qt.PenStyle.DotLine)
        label = {"position": 0.9, "color": color(trace.index)}
        marker = pg.InfiniteLine(
            step, angle=90, pen=pen, label=f"#{trace.job.number} {text}", labelOpts=label
        )
        marker.setVisible(trace.visible)
        plot.addItem(marker)
        trace.markers.append(marker)

    def _tick(self, trace: RunTrace, step: int) -> None:
        now = self.now()
        if trace.started is None:  # no RunStarted seen: time counts from the first metrics
            trace.started = now
        if not trace.clock.size or step > trace.clock.x[-1]:
            trace.clock.append([step], [now - trace.started])

    def _series(self, trace: RunTrace, name: str) -> GrowingSeries:
        series = trace.series.get(name)
        if series is None:
            series = trace.series[name] = GrowingSeries()
        return series

    # -- drawing (on the timer) ----------------------------------------------------------------
    def redraw(self, appended: bool = True) -> None:
        choice = self.options.choice
        for trace in self.traces.values():
            for name, series in trace.series.items():
                if not series.dirty:
                    continue
                curve = trace.curves.get(name) or self._make_curve(trace, name)
                x = series.x
                if choice.x_axis == WALL_TIME:
                    x = np.interp(series.x, trace.clock.x, trace.clock.y) if trace.clock.size else x
                curve.set_data(x, series.y, choice.smoothing, appended and not series.rewound)
                series.dirty = series.rewound = False

    def _options_changed(self) -> None:
        """Every curve redrawn from its whole series, every plot's axes set anew."""
        choice = self.options.choice
        for group, plot in self.plots.items():
            apply_axes(plot, choice, always_log=group in LOG_SCALE_GROUPS)
        for trace in self.traces.values():
            for series in trace.series.values():
                series.dirty = True
        self.redraw(appended=False)

    def _plot(self, group: str) -> pg.PlotItem:
        plot = self.plots.get(group)
        if plot is None:
            plot = fast_plot(pg.PlotItem(), group)  # placed by _relayout once it has a curve
            apply_axes(plot, self.options.choice, always_log=group in LOG_SCALE_GROUPS)
            outside_legend(plot, "right")
            self.plots[group] = plot
            self.hovers[group] = HoverTips(plot)
        return plot

    def _make_curve(self, trace: RunTrace, name: str) -> SmoothedCurve:
        group = metric_group(name)
        validation = not name.startswith("train_")
        hue = color(trace.index)
        if group == LAYER_GRAD_NORMS:  # layers apart by colour, runs by their legend names
            hue = color(sum(1 for other in trace.curves if metric_group(other) == group))
        pen = pg.mkPen(hue, width=2.5 if validation else 1)
        if validation:
            pen.setStyle(
                Qt.PenStyle.DashLine if name.startswith("test_") else Qt.PenStyle.SolidLine
            )
        baseline = BASELINE_STYLES.get(unprefixed(name))
        if baseline is not None:
            pen.setStyle(baseline)
            pen.setWidthF(1.5)
        curve = SmoothedCurve(
            self._plot(group),
            pen,
            f"#{trace.job.number} {name}",
            symbol="o" if validation else None,
            symbolSize=4,
            symbolBrush=hue,
            symbolPen=None,
        )
        curve.setVisible(trace.visible)
        trace.curves[name] = curve
        job = trace.job
        self.hovers[group].add(curve.curve, lambda index: curve.tip(
            index, f"#{job.number} {job.title}", name, self.options.choice.x_axis))  # fmt: skip
        self._relayout()
        return curve

    def _relayout(self) -> None:
        """Lay out only the plots with a run in sight, two a row in the order they were made:
        an RNN run shown alone has no empty accuracy plot left over from hidden CNN runs."""
        shown = {metric_group(name) for trace in self.traces.values() if trace.visible
                 for name in trace.curves}  # fmt: skip
        wanted = [plot for group, plot in self.plots.items() if group in shown]
        layout = self.graphics.ci
        cells = {plot: [(index // 2, index % 2)] for index, plot in enumerate(wanted)}
        if layout.items == cells:
            return
        for plot in list(layout.items):
            layout.removeItem(plot)
        for plot, [(row, column)] in cells.items():
            layout.addItem(plot, row=row, col=column)

    # -- end-of-run artifacts ------------------------------------------------------------------
    def _fetch_result_image(self, trace: RunTrace, run_id: str) -> None:
        """The run's confusion matrix or forecast plot (``RESULT_IMAGES``), if it logged one,
        and a classifier's other diagnostics (``PER_CLASS_TABLE``, ``DIAGNOSTIC_IMAGES``)."""
        from app._tasks import run_in_background

        config = trace.job.config
        tracking_uri = config.tracking_uri or _workspace_uri(config.workspace)

        def download() -> dict[str, bytes]:
            import tempfile
            from pathlib import Path

            from mlflow.tracking import MlflowClient

            client = MlflowClient(tracking_uri=tracking_uri)
            names = {a.path for a in client.list_artifacts(run_id)}
            result = next((name for name in RESULT_IMAGES if name in names), None)
            wanted = [result] if result else []
            wanted += [n for n in (PER_CLASS_TABLE, *DIAGNOSTIC_IMAGES) if n in names]
            with tempfile.TemporaryDirectory() as folder:
                return {
                    name: Path(client.download_artifacts(run_id, name, folder)).read_bytes()
                    for name in wanted
                }

        def show(found: dict[str, bytes]) -> None:
            import json

            def pixmap_of(data: bytes) -> QPixmap:
                pixmap = QPixmap()
                pixmap.loadFromData(data)
                return pixmap

            if PER_CLASS_TABLE in found:
                trace.per_class = json.loads(found.pop(PER_CLASS_TABLE))
            for name in DIAGNOSTIC_IMAGES:
                if name in found:
                    trace.diagnostics[name] = pixmap_of(found.pop(name))
            for name, data in found.items():  # the one of RESULT_IMAGES
                trace.result_pixmap = pixmap_of(data)
                trace.result_title = RESULT_IMAGES[name]
            if trace is self.current:
                self.result_image.set_image(trace.result_pixmap, NO_MATRIX)
                self.extras.setTabText(1, trace.result_title)
                self._show_diagnostics(trace)

        run_in_background(download, show, queue="mlflow", owner=self)


def _workspace_uri(workspace: str | None) -> str:
    from engine.workspace import Workspace

    return Workspace.resolve(workspace).tracking_uri
