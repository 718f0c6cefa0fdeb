"""A classifier's per-class test scores as a table (its ``per_class.json`` artifact): which
classes the model gets wrong, beside the confusion matrix that shows with what."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("class", "precision", "recall", "f1", "support")


class PerClassTable(QTableWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(True)  # the worst class first, a click away
        # ...but at first in class order (2 before 10, which sorting the names would not keep).
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

    def show_rows(self, rows: list[dict]) -> None:
        self.setSortingEnabled(False)
        self.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, key in enumerate(COLUMNS):
                value = values.get(key, "")
                item = QTableWidgetItem()
                if isinstance(value, float):
                    item.setData(Qt.ItemDataRole.DisplayRole, round(value, 3))
                else:
                    item.setData(Qt.ItemDataRole.DisplayRole, value)
                if key != "class":
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.setItem(row, column, item)
        self.setSortingEnabled(True)
