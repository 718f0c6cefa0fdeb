"""The runs table grouped by configuration: one row per group of the loaded runs, with its
run count and the mean ± std of a metric, its member runs listed; selecting groups selects
their runs (to compare them, as bands)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.browser._groups import RunGroup, group_labels, group_runs
from engine.tracking import RunRecord

COLUMNS = ("Configuration", "Runs (n)", "mean ± std", "Members")


class GroupsTable(QWidget):
    """``set_rows`` groups the loaded runs; ``selected_rows`` are the runs of the selected
    groups; ``selection_changed`` when the selection changes."""

    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        self.metric.setObjectName("groupMetric")
        self.metric.setToolTip("The metric whose mean ± std over each group's runs is shown")
        self.metric.currentTextChanged.connect(self._fill)
        self.table = QTableWidget()
        self.table.setObjectName("groupsTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.itemSelectionChanged.connect(self.selection_changed)
        top = QHBoxLayout()
        top.addWidget(QLabel("metric"))
        top.addWidget(self.metric, 1)
        top.addStretch(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.groups: list[RunGroup] = []

    def set_rows(self, rows: list[RunRecord]) -> None:
        self.groups = group_runs(rows)
        names = sorted({name for row in rows for name in row.metrics if name.count("/") < 2})
        current = self.metric.currentText()
        self.metric.blockSignals(True)
        self.metric.clear()
        self.metric.addItems(names)
        preferred = (
            current
            if current in names
            else next((n for n in names if n.startswith("val_")), names[0] if names else "")
        )
        if preferred:
            self.metric.setCurrentText(preferred)
        self.metric.blockSignals(False)
        self._fill()

    def _fill(self) -> None:
        metric = self.metric.currentText()
        labels = group_labels(self.groups)
        self.table.clearContents()
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHorizontalHeaderLabels(
            [*COLUMNS[:2], f"{metric} (mean ± std)" if metric else COLUMNS[2], COLUMNS[3]]
        )
        self.table.setRowCount(len(self.groups))
        for row_index, group in enumerate(self.groups):
            count, mean, std = group.metric_stats(metric) if metric else (0, math.nan, 0.0)
            stats = "" if not count else f"{mean:.4g} ± {std:.2g}"
            members = ", ".join(row.name for row in group.runs)
            cells = (labels[row_index], str(len(group.runs)), stats, members)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(group.label())  # every param it was trained with
                if column == 3:
                    item.setToolTip("\n".join(f"{r.name} ({r.run_id[:6]})" for r in group.runs))
                if column in (1, 2):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row_index, column, item)
        self.table.resizeColumnsToContents()

    def selected_rows(self) -> list[RunRecord]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [run for row in rows for run in self.groups[row].runs]
