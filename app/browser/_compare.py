"""Comparing selected runs: their metric curves overlaid, and which params differ.

The curves are ``app.dashboards.RunCurves`` (moved there so the sweep dashboard's trial
curves draw with the same widget: ``app.dashboards`` may not import ``app.browser``)."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from app.browser._query import RunRecord, params_diff
from app.dashboards import RunCurves

DIFF_BRUSH = QBrush(QColor(230, 159, 0, 70))


class CompareCurves(RunCurves):
    """The "Compare curves" tab: one metric, a curve per selected run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("curves/compare", "Select runs in the table and press Compare.", parent)


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
