"""The runs table: one row per loaded MLflow run, columns for the metrics and params of the
rows loaded so far. Rows arrive a page at a time; MLflow filters and sorts them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal

from app.browser._organise import run_label, run_tooltip
from app.browser._query import RunRecord, describe
from app.browser._summaries import LAST, SUMMARIES, MetricSummary
from engine.metrics import is_per_class_metric

FIXED_COLUMNS = ("Run", "Experiment", "Status", "Started", "Duration (s)")
STARTED_COLUMN = 3
LONG_CELL = 40  # characters: a cell longer than this may be cut by its column's width
# What MLflow orders each fixed column by; None where it cannot: an experiment's name and a
# duration are not run attributes its order_by takes.
FIXED_ORDER_KEYS = ("attributes.run_name", None, "attributes.status", "attributes.start_time", None)
Role = Qt.ItemDataRole


class RunsTableModel(QAbstractTableModel):
    """The view calls ``fetchMore`` when scrolled to the end; ``fetch_requested`` passes the
    wish on, and ``append_rows`` delivers the page once it has come."""

    fetch_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRecord] = []
        self.metric_names: list[str] = []
        self.param_names: list[str] = []
        self.has_more = False
        self.fetching = False
        self._run_ids: set[str] = set()
        # A metric column shows its run's last value, or a summary of its history
        # (``_summaries``): {metric: "best" | "min" | "max"}, and the summaries read so far.
        self.summary_of: dict[str, str] = {}
        self.summaries: dict[tuple[str, str], MetricSummary] = {}

    # -- rows --------------------------------------------------------------------------------
    def reset_rows(self, rows: list[RunRecord], has_more: bool) -> None:
        """The first page of a query: rows and columns start over."""
        self.beginResetModel()
        self._run_ids = set()
        self.rows = self._unseen(rows)
        self.summaries = {}  # a running run's history grew since: read again
        self.metric_names = sorted(_table_metrics(self.rows))
        self.param_names = sorted({name for row in self.rows for name in row.params})
        self.has_more, self.fetching = has_more, False
        self.endResetModel()

    def append_rows(self, rows: list[RunRecord], has_more: bool) -> None:
        """A next page: its new metric and param names add columns, then its rows come."""
        self.has_more, self.fetching = has_more, False
        rows = self._unseen(rows)
        if not rows:
            return
        self._add_columns(rows)
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.reset_rows([], has_more=False)

    def fetch_failed(self) -> None:
        self.fetching = False  # scrolling to the end again asks again

    def _unseen(self, rows: list[RunRecord]) -> list[RunRecord]:
        # MLflow pages by offset: a run started between two pages pushes the last run of one
        # page onto the next, so a run can come twice.
        fresh = [row for row in rows if row.run_id not in self._run_ids]
        self._run_ids.update(row.run_id for row in fresh)
        return fresh

    def _add_columns(self, rows: list[RunRecord]) -> None:
        metrics = _table_metrics(rows).difference(self.metric_names)
        if metrics:
            first = len(FIXED_COLUMNS) + len(self.metric_names)
            self._insert_columns(first, self.metric_names, sorted(metrics))
        params = {name for row in rows for name in row.params}.difference(self.param_names)
        if params:
            self._insert_columns(self.columnCount(), self.param_names, sorted(params))

    def _insert_columns(self, first: int, names: list[str], new: list[str]) -> None:
        self.beginInsertColumns(QModelIndex(), first, first + len(new) - 1)
        names.extend(new)
        self.endInsertColumns()

    # -- paging (Qt's incremental loading) ---------------------------------------------------
    def canFetchMore(self, parent: QModelIndex) -> bool:  # noqa: N802
        return not parent.isValid() and self.has_more and not self.fetching

    def fetchMore(self, parent: QModelIndex) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self.fetching = True
            self.fetch_requested.emit()

    # -- columns -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(FIXED_COLUMNS) + len(self.metric_names) + len(self.param_names)

    def column_name(self, column: int) -> str:
        if column < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[column]
        column -= len(FIXED_COLUMNS)
        if column < len(self.metric_names):
            name = self.metric_names[column]
            summary = self.summary_of.get(name, LAST)
            if summary == LAST and not self._is_setting(name):
                return name
            return f"{name} ({summary})"
        return "param: " + self.param_names[column - len(self.metric_names)]

    def _is_setting(self, metric: str) -> bool:
        """Whether ``metric`` is a hyperparameter logged as it changed (``lr`` under a
        schedule): its last value (a cosine schedule's final 0) is not the configured one,
        so its column says "last" beside the param's column."""
        return metric in self.param_names

    def metric_at(self, column: int) -> str | None:
        """The metric a column shows, None for a fixed or a param column."""
        column -= len(FIXED_COLUMNS)
        return self.metric_names[column] if 0 <= column < len(self.metric_names) else None

    # -- summary columns ---------------------------------------------------------------------
    def set_summary(self, metric: str, summary: str) -> None:
        if summary == LAST:
            self.summary_of.pop(metric, None)
        else:
            self.summary_of[metric] = summary
        if metric in self.metric_names:
            column = len(FIXED_COLUMNS) + self.metric_names.index(metric)
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, column, column)
            self._column_changed(column)

    def add_summaries(self, summaries: dict[tuple[str, str], MetricSummary]) -> None:
        self.summaries.update(summaries)
        for metric in {metric for _run_id, metric in summaries}:
            if metric in self.metric_names:
                self._column_changed(len(FIXED_COLUMNS) + self.metric_names.index(metric))

    def _column_changed(self, column: int) -> None:
        if self.rows:
            last = len(self.rows) - 1
            self.dataChanged.emit(self.index(0, column), self.index(last, column))

    def order_key(self, column: int) -> str | None:
        """The MLflow ``order_by`` key of a column, None if MLflow cannot sort by it."""
        if column < len(FIXED_COLUMNS):
            return FIXED_ORDER_KEYS[column]
        column -= len(FIXED_COLUMNS)
        if column < len(self.metric_names):
            if self.summary_of.get(self.metric_names[column], LAST) != LAST:
                return None  # summed up here from the histories: MLflow cannot order by it
            return f"metrics.`{self.metric_names[column]}`"
        return f"params.`{self.param_names[column - len(self.metric_names)]}`"

    def column_of(self, order_key: str) -> int:
        """The column MLflow's ``order_key`` sorts by, -1 if no loaded row has it."""
        return next(
            (column for column in range(self.columnCount()) if self.order_key(column) == order_key),
            -1,
        )

    def headerData(self, section: int, orientation, role=Role.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Role.DisplayRole:
            return self.column_name(section)
        if role == Role.InitialSortOrderRole and self._numeric(section):
            return Qt.SortOrder.DescendingOrder  # the newest run, the largest value first
        if role == Role.ToolTipRole:
            return self._header_tip(section)
        return None

    def _header_tip(self, column: int) -> str | None:
        metric = self.metric_at(column)
        if metric is None:
            return None if self.order_key(column) else "MLflow cannot sort runs by this column"
        summary = self.summary_of.get(metric, LAST)
        if summary == LAST and self._is_setting(metric):
            return (
                f"{metric}: each run's last logged value, where a schedule ended; the value "
                f"it was configured with is the param: {metric} column. Right-click for Best, "
                f"Min or Max."
            )
        if summary == LAST:
            return f"{metric}: each run's last value. Right-click for Best, Min or Max."
        return (
            f"{metric}: the {SUMMARIES[summary].lower()} of each run's history, read here "
            f"for the loaded runs, so MLflow cannot sort runs by it. Right-click for Last."
        )

    def _numeric(self, column: int) -> bool:
        metrics_end = len(FIXED_COLUMNS) + len(self.metric_names)
        return column == STARTED_COLUMN or len(FIXED_COLUMNS) <= column < metrics_end

    # -- cells, formatted when the view asks for them ---------------------------------------
    def raw_value(self, row: RunRecord, column: int) -> Any:
        if column < len(FIXED_COLUMNS):
            return (row.name, row.experiment, row.state.label, row.start_ms, row.duration_s)[column]
        column -= len(FIXED_COLUMNS)
        if column < len(self.metric_names):
            name = self.metric_names[column]
            summary = self.summary_of.get(name, LAST)
            if summary == LAST or name not in row.metrics:
                return row.metrics.get(name)
            found = self.summaries.get((row.run_id, name))
            return None if found is None else found.value(summary)
        return row.params.get(self.param_names[column - len(self.metric_names)])

    def data(self, index: QModelIndex, role=Role.DisplayRole):
        if not index.isValid():
            return None
        if role == Role.DisplayRole:
            if index.column() == 0:  # a star before a starred run's name
                row = self.rows[index.row()]
                return run_label(row.name, row.tags)
            return self._display(self.rows[index.row()], index.column())
        if role == Role.ToolTipRole:
            row = self.rows[index.row()]
            if index.column() == 0:
                return run_tooltip(row.run_id, row.note, row.tags, row.name)
            text = self._display(row, index.column())
            return text if len(text) > LONG_CELL else None  # what a narrow column elides
        return None

    def _display(self, row: RunRecord, column: int) -> str:
        value = self.raw_value(row, column)
        if column == STARTED_COLUMN and value is not None:
            return dt.datetime.fromtimestamp(value / 1000).strftime("%Y-%m-%d %H:%M:%S")
        return describe(value)


class RunsFilter(QSortFilterProxyModel):
    """The "filter loaded rows" line: free text over every column of the rows loaded so far.
    It never sorts: clicking a header asks MLflow for the runs in that order."""

    def __init__(self) -> None:
        super().__init__()
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def canFetchMore(self, parent: QModelIndex) -> bool:  # noqa: N802
        # With rows hidden the table's end stays in sight, and the view would fetch page
        # after page of the store looking for matches: this line filters loaded rows only.
        if self.filterRegularExpression().pattern():
            return False
        return super().canFetchMore(parent)


def _table_metrics(rows: list[RunRecord]) -> set[str]:
    """The metrics that get a column: not one class's score (``test_f1/cat``, 30 columns for
    ten classes, shown in the run's per-class table) nor one layer's gradient norm
    (``health/grad_norm/conv``, drawn in the live view); the summaries of both stay."""
    names = {name for row in rows for name in row.metrics}
    return {name for name in names if not is_per_class_metric(name) and name.count("/") < 2}
