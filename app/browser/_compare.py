"""Comparing selected runs: their metric curves overlaid, and which params differ."""

from __future__ import annotations

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

from app.browser._query import RunRow, params_diff
from app.dashboards import color, fast_plot

DIFF_BRUSH = QBrush(QColor(230, 159, 0, 70))


class CompareCurves(QWidget):
    """One plot of one metric, a curve per selected run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        self.metric.setObjectName("compareMetric")
        self.metric.currentTextChanged.connect(self._draw)
        self.info = QLabel("Select runs in the table and press Compare.")
        self.plot_widget = pg.PlotWidget()
        self.plot = fast_plot(self.plot_widget.getPlotItem())
        self.plot.setLabel("bottom", "step")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        top = QHBoxLayout()
        top.addWidget(QLabel("metric"))
        top.addWidget(self.metric, 1)
        top.addWidget(self.info, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.rows: list[RunRow] = []
        self.histories: dict[str, dict[str, tuple[list[int], list[float]]]] = {}

    def set_data(self, rows: list[RunRow], histories) -> None:
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
        key = self.metric.currentText()
        for index, row in enumerate(self.rows):
            steps, values = self.histories.get(row.run_id, {}).get(key, ([], []))
            if steps:
                pen = pg.mkPen(color(index), width=2)
                self.plot.plot(steps, values, pen=pen, name=f"{row.name} ({row.run_id[:6]})")


class ParamsDiff(QTableWidget):
    """Params as rows, runs as columns; rows whose values differ come first, highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramsDiff")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    def set_rows(self, rows: list[RunRow]) -> None:
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
