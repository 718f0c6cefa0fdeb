"""Runs' metric histories overlaid: one plot of one metric, a curve per run, drawn as the
curve options say (wall time: seconds since each run started, from MLflow's metric
timestamps). The Runs browser's "Compare curves" tab and the sweep dashboard's trial curves
are both this widget; the histories come from ``engine.tracking.fetch_histories``."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.dashboards._curve_options import WALL_TIME, CurveOptions, SmoothedCurve, apply_axes
from app.dashboards._hover import HoverTips
from app.dashboards._legend import outside_legend
from app.dashboards._plots import color, fast_plot
from engine.tracking import History, RunRecord


class RunCurves(QWidget):
    """``set_data(rows, histories)`` draws the runs' curves of the metric chosen above the
    plot; ``settings_key`` is where its curve options are remembered."""

    def __init__(
        self,
        settings_key: str = "curves/compare",
        hint: str = "Select runs in the table and press Compare.",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        self.metric.setObjectName("compareMetric")
        self.metric.currentTextChanged.connect(self._draw)
        self.info = QLabel(hint)
        self.plot_widget = pg.PlotWidget()
        self.plot = fast_plot(self.plot_widget.getPlotItem())
        self.legend = outside_legend(self.plot, "right")  # beside the curves, never over them
        self.hover = HoverTips(self.plot)  # run, step and value under the pointer
        self.options = CurveOptions(settings_key)
        self.options.setObjectName("compareCurveOptions")
        self.options.changed.connect(self._draw)
        apply_axes(self.plot, self.options.choice)
        self.drawn: list[SmoothedCurve] = []
        top = QHBoxLayout()
        top.addWidget(QLabel("metric"))
        top.addWidget(self.metric, 1)
        top.addWidget(self.info, 1)
        top.addWidget(self.options, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.rows: list[RunRecord] = []
        self.histories: dict[str, dict[str, History]] = {}

    def set_data(self, rows: list[RunRecord], histories) -> None:
        self.rows, self.histories = rows, histories
        keys = sorted({key for per_run in histories.values() for key in per_run})
        current = self.metric.currentText()
        self.metric.blockSignals(True)
        self.metric.clear()
        self.metric.addItems(keys)
        preferred = current if current in keys else next((k for k in keys if "val_" in k), "")
        if preferred:
            self.metric.setCurrentText(preferred)
        self.metric.blockSignals(False)
        self.info.setText(f"{len(rows)} run{'s' * (len(rows) != 1)}")
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()  # a comparison is drawn once per request, not streamed
        self.hover.clear()
        choice = self.options.choice
        apply_axes(self.plot, choice)
        key = self.metric.currentText()
        self.drawn = []
        for index, row in enumerate(self.rows):
            steps, values, times = self.histories.get(row.run_id, {}).get(key, ([], [], []))
            if not steps:
                continue
            if choice.x_axis == WALL_TIME:
                start = row.start_ms if row.start_ms is not None else min(times)
                x = (np.asarray(times, dtype=np.float64) - start) / 1000
            else:
                x = np.asarray(steps, dtype=np.float64)
            pen = pg.mkPen(color(index), width=2)
            curve = SmoothedCurve(self.plot, pen, f"{row.name} ({row.run_id[:6]})")
            curve.set_data(x, np.asarray(values, dtype=np.float64), choice.smoothing)
            self.drawn.append(curve)
            run = f"{row.name} ({row.run_id[:6]})"
            self.hover.add(curve.curve, lambda index, curve=curve, run=run: curve.tip(
                index, run, key, choice.x_axis))  # fmt: skip
