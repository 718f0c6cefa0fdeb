"""The runs table: one row per MLflow run, columns for params and metrics, sortable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from app.browser._query import RunRow, describe

FIXED_COLUMNS = ("Run", "Experiment", "Status", "Started", "Duration (s)")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class RunsTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRow] = []
        self.metric_names: list[str] = []
        self.param_names: list[str] = []

    def set_rows(self, rows: list[RunRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.metric_names = sorted({name for row in rows for name in row.metrics})
        self.param_names = sorted({name for row in rows for name in row.params})
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(FIXED_COLUMNS) + len(self.metric_names) + len(self.param_names)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self.column_name(section)

    def column_name(self, column: int) -> str:
        if column < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[column]
        column -= len(FIXED_COLUMNS)
        if column < len(self.metric_names):
            return self.metric_names[column]
        return "param: " + self.param_names[column - len(self.metric_names)]

    def raw_value(self, row: RunRow, column: int) -> Any:
        if column < len(FIXED_COLUMNS):
            return (row.name, row.experiment, row.status, row.start_ms, row.duration_s)[column]
        column -= len(FIXED_COLUMNS)
        if column < len(self.metric_names):
            return row.metrics.get(self.metric_names[column])
        return row.params.get(self.param_names[column - len(self.metric_names)])

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        value = self.raw_value(row, index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 3 and value is not None:
                return dt.datetime.fromtimestamp(value / 1000).strftime("%Y-%m-%d %H:%M:%S")
            return describe(value)
        if role == SORT_ROLE:
            if value is None:
                return float("-inf")
            try:
                return float(value)
            except (TypeError, ValueError):
                return str(value)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return f"{row.run_id}\n{row.note}" if row.note else row.run_id
        return None


class RunsFilter(QSortFilterProxyModel):
    """Free text over every column, plus experiment and status filters; numeric sort."""

    def __init__(self) -> None:
        super().__init__()
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.experiment = ""
        self.status = ""

    def set_experiment(self, name: str) -> None:
        self.experiment = name
        self.invalidateRowsFilter()

    def set_status(self, status: str) -> None:
        self.status = status
        self.invalidateRowsFilter()

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:  # noqa: N802
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if type(a) is type(b):
            return a < b
        return isinstance(a, float)  # numbers before text

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802
        row = self.sourceModel().rows[source_row]
        if self.experiment and row.experiment != self.experiment:
            return False
        if self.status and row.status != self.status:
            return False
        return super().filterAcceptsRow(source_row, source_parent)
