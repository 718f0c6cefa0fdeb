"""Comparing selected runs: their metric curves overlaid, and which params differ."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.browser._query import History, RunRecord, params_diff
from app.dashboards import WALL_TIME, CurveOptions, SmoothedCurve, apply_axes, color, fast_plot

DIFF_BRUSH = QBrush(QColor(230, 159, 0, 70))


class CompareCurves(QWidget):
    """One plot of one metric, a curve per selected run, drawn as the curve options say
    (wall time: seconds since each run started, from MLflow's metric timestamps)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        self.metric.setObjectName("compareMetric")
        self.metric.currentTextChanged.connect(self._draw)
        self.info = QLabel("Select runs in the table and press Compare.")
        self.plot_widget = pg.PlotWidget()
        self.plot = fast_plot(self.plot_widget.getPlotItem())
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.options = CurveOptions("curves/compare")
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
        self.info.setText(f"{len(rows)} runs")
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()  # a comparison is drawn once per request, not streamed
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


class ParamsDiff(QTableWidget):
    """Params as rows, runs as columns; rows whose values differ come first, highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramsDiff")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    def set_rows(self, rows: list[RunRecord]) -> None:
        diff = params_diff(rows)
        self.clear()
        self.setColumnCount(len(rows))
        self.setRowCount(len(diff))
        self.setHorizontalHeaderLabels([f"{r.name} ({r.run_id[:6]})" for r in rows])
        self.setVerticalHeaderLabels([name for name, _values, _differs in diff])
        for row_index, (_name, values, differs) in enumerate(diff):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if differs:
                    item.setBackground(DIFF_BRUSH)
                self.setItem(row_index, column, item)
        self.resizeColumnsToContents()
