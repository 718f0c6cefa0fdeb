"""Comparing selected runs: their metric curves overlaid, and which params differ.

The curves are ``app.dashboards.RunCurves`` (moved there so the sweep dashboard's trial
curves draw with the same widget: ``app.dashboards`` may not import ``app.browser``)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from app.browser._groups import band, group_labels, group_runs
from app.browser._query import RunRecord, params_diff
from app.dashboards import WALL_TIME, RunCurves, SmoothedCurve, apply_axes, color

DIFF_BRUSH = QBrush(QColor(230, 159, 0, 70))
BAND_ALPHA = 50


class CompareCurves(RunCurves):
    """The "Compare curves" tab: one metric, a curve per selected run; grouped by
    configuration (``set_grouped``), a mean curve per group inside its ± std band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("curves/compare", "Select runs in the table and press Compare.", parent)
        self.grouped = False
        self.bands: list[pg.FillBetweenItem] = []

    def set_grouped(self, grouped: bool) -> None:
        self.grouped = grouped
        self._draw()

    def _draw(self) -> None:
        self.bands = []
        if not self.grouped:
            super()._draw()
            return
        self.plot.clear()
        self.hover.clear()
        choice = self.options.choice
        apply_axes(self.plot, choice)
        key = self.metric.currentText()
        self.drawn = []
        groups = group_runs(self.rows)
        labels = group_labels(groups)
        for index, group in enumerate(groups):
            curves = []
            for row in group.runs:
                steps, values, times = self.histories.get(row.run_id, {}).get(key, ([], [], []))
                if not steps:
                    continue
                x = np.asarray(steps, dtype=np.float64)
                if choice.x_axis == WALL_TIME:
                    start = row.start_ms if row.start_ms is not None else min(times)
                    x = (np.asarray(times, dtype=np.float64) - start) / 1000
                curves.append((x, np.asarray(values, dtype=np.float64)))
            if curves:
                self._draw_group(index, f"{labels[index]} (n={len(curves)})", curves)
        self.info.setText(f"{len(self.rows)} runs in {len(groups)} configurations")

    def _draw_group(self, index: int, name: str, curves) -> None:
        """The group's mean curve (smoothed as the options say) over its ± std band."""
        x, mean, std = band(curves)
        low = mean - std
        if self.options.choice.log_y:  # a log axis has no room for 0 or below
            low = np.where(low > 0, low, mean)
        edges = [pg.PlotDataItem(x, edge, pen=pg.mkPen(None)) for edge in (mean + std, low)]
        fill = QColor(color(index))
        fill.setAlpha(BAND_ALPHA)
        area = pg.FillBetweenItem(*edges, brush=pg.mkBrush(fill))
        area.setZValue(-2)
        for item in (*edges, area):
            self.plot.addItem(item)
        self.bands.append(area)
        curve = SmoothedCurve(self.plot, pg.mkPen(color(index), width=2), name)
        curve.set_data(x, mean, self.options.choice.smoothing)
        self.drawn.append(curve)
        key, x_axis = self.metric.currentText(), self.options.choice.x_axis
        self.hover.add(
            curve.curve,
            lambda point, curve=curve, name=name: curve.tip(point, f"mean of {name}", key, x_axis),
        )


class ParamsDiff(QTableWidget):
    """Params as rows, runs as columns; rows whose values differ come first, highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramsDiff")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.rows: list[RunRecord] = []

    def set_rows(self, rows: list[RunRecord]) -> None:
        self.rows = list(rows)
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
