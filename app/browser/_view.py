"""The runs browser: the store's MLflow runs across experiments, searched, filtered and
sorted by MLflow and loaded a page at a time; several selected runs compared; notes saved as
MLflow tags; "Open in MLflow UI"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app._model_actions import (
    EXPORT_SUFFIXES,
    ask_model_name,
    export_run_model,
    model_task,
    register_run,
)  # fmt: skip
from app._tasks import run_in_background
from app.browser._artifacts import ArtifactCompare
from app.browser._compare import CompareCurves, ParamsDiff
from app.browser._export import RunsExport
from app.browser._group_table import GroupsTable
from app.browser._model import STARTED_COLUMN, RunsFilter, RunsTableModel
from app.browser._notes import RunNotes
from app.browser._organise_menu import RunsOrganiser
from app.browser._paging import RunsPager
from app.browser._predict import PredictPanel
from app.browser._query import (
    NEWEST_FIRST,
    RunRecord,
    RunsPage,
    RunsQuery,
    fetch_histories,
    warm_up,
)  # fmt: skip
from app.browser._summaries import SummaryColumns

ALL = "(all)"
STATUSES = (ALL, "RUNNING", "FINISHED", "FAILED", "KILLED")
MAX_COLUMN_WIDTH = 320  # pixels a column takes at most when fitted to its contents
FAILURES = {"query": "load runs", "page": "load more runs", "count": "count the runs"}


class RunsBrowser(QWidget):
    """``open_in_mlflow(experiment_id, run_id)`` asks the window to start the MLflow UI."""

    open_in_mlflow = Signal(str, str)
    loaded = Signal(int)
    compared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tracking_uri = ""
        self.stale = False
        self.order: tuple[str, bool] = NEWEST_FIRST  # MLflow's order_by key, ascending
        self._compared_names: list[str] = []  # the compared runs' names as drawn below
        self.datasets_dir = None  # the workspace's, for the input example of an export
        self.model = RunsTableModel()
        self.proxy = RunsFilter()
        self.proxy.setSourceModel(self.model)
        self.pager = RunsPager(self)
        self.pager.first_page.connect(self._first_page)
        self.pager.next_page.connect(self._next_page)
        self.pager.counted.connect(self._show_count)
        self.pager.failed.connect(self._failed)
        self.model.fetch_requested.connect(self.pager.fetch_next)

        self.group_by = QCheckBox("Group by configuration")
        self.group_by.setObjectName("groupByConfig")
        self.group_by.setToolTip(
            "One row per configuration (the same params but the seed) of the loaded runs, "
            "with the mean ± std of a metric; compared, each group is its mean curve in a "
            "± std band"
        )
        self.group_by.toggled.connect(self._group_toggled)
        self.table = self._build_table()
        # A metric column's header menu: its runs' Last, Best, Min or Max value.
        self.summary_columns = SummaryColumns(
            self.model, self.table.horizontalHeader(), lambda: self.tracking_uri, self
        )
        # The Run menu (right click, or its button): rename, tags, star, archive, resume.
        self.organiser = RunsOrganiser(self)
        # Export runs: the selected runs as a CSV table or an HTML report (engine.reports).
        self.export_runs = RunsExport(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("browserSplitter")
        # Grouped by configuration, a row per group of the loaded runs takes the table's place.
        self.groups = GroupsTable()
        self.groups.selection_changed.connect(self._selection_changed)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.groups)
        self.splitter.addWidget(self.table_stack)
        self.splitter.addWidget(self._build_tabs())
        self.splitter.setSizes([400, 300])
        self.status = QLabel()
        self.status.setObjectName("browserStatus")
        self.notes.saved.connect(self.status.setText)
        self.run_count = QLabel()
        self.run_count.setObjectName("runCount")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.run_count)
        layout = QVBoxLayout(self)
        # Two rows: what is listed (MLflow's query), then what to do with the selection.
        layout.addLayout(self._build_query_row())
        layout.addLayout(self._build_action_row())
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        self._selection_changed()

    def _build_query_row(self) -> QHBoxLayout:
        """The MLflow filter, the quick filter of loaded rows, the experiment and status."""
        self.search = QLineEdit()
        self.search.setObjectName("mlflowFilter")
        self.search.setPlaceholderText(
            "MLflow filter, e.g. metrics.val_accuracy > 0.8 and params.lr = '0.01'"
        )
        self.search.returnPressed.connect(self.refresh)
        self.quick = QLineEdit()
        self.quick.setObjectName("quickFilter")
        self.quick.setPlaceholderText("filter loaded rows")
        self.quick.setToolTip("Hides loaded rows without the text; the MLflow filter searches "
                              "every run")  # fmt: skip
        self.quick.textChanged.connect(self.proxy.setFilterFixedString)
        self.experiment = QComboBox()
        self.experiment.setObjectName("experimentFilter")
        self.experiment.addItem(ALL, "")
        self.experiment.currentIndexChanged.connect(self.refresh)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.addItems(STATUSES)
        self.status_filter.currentTextChanged.connect(self.refresh)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.search, 3)
        row.addWidget(self.quick, 1)
        for label, widget in (("experiment", self.experiment), ("status", self.status_filter),
                              ("show", self.organiser.show_combo)):  # fmt: skip
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.organiser.starred_only)
        row.addWidget(self.refresh_button)
        return row

    def _build_action_row(self) -> QHBoxLayout:
        """What to do with the selected runs: compare, organise, open, register, export."""
        self.compare_button = _button("Compare", "compareButton", self.compare_selected)
        self.mlflow_button = _button("Open in MLflow UI", "openMlflowButton", self._open_mlflow)
        self.register_button = _button("Register model…", "registerModelButton",
                                       self.register_selected, "Add the selected run's model "
                                       "to the model registry")  # fmt: skip
        self.export_button = _button("Export model…", "exportModelButton", self.export_selected,
                                     "Write the selected run's model as ONNX, TorchScript or "
                                     "safetensors, checked after writing")  # fmt: skip
        row = QHBoxLayout()
        buttons = (self.compare_button, self.organiser.button, self.mlflow_button,
                   self.register_button, self.export_button, self.export_runs.button)  # fmt: skip
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.group_by)
        return row

    def _group_toggled(self, grouped: bool) -> None:
        if grouped:
            self.groups.set_rows(self.model.rows)
        self.table_stack.setCurrentWidget(self.groups if grouped else self.table)
        self.curves.set_grouped(grouped)
        self._selection_changed()

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("runsTable")
        table.setModel(self.proxy)
        header = table.horizontalHeader()
        # The header's sort indicator asks MLflow for a new order (sortingEnabled would sort
        # only the loaded rows, in the proxy).
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(STARTED_COLUMN, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_clicked)
        header.setResizeContentsPrecision(0)  # sized to the rows in sight, not to every row
        header.setSectionsMovable(True)
        self.model.columnsInserted.connect(self._size_new_columns)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(True)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        return table

    def _build_tabs(self) -> QTabWidget:
        """What the selected runs show: curves, params, images, the note, predictions."""
        self.curves = CompareCurves()
        self.diff = ParamsDiff()
        self.images = ArtifactCompare()
        self.notes = RunNotes(lambda: self.tracking_uri)
        self.note, self.save_note_button = self.notes.note, self.notes.save_button  # shortcuts
        self.predict = PredictPanel()
        self.tabs = QTabWidget()
        for page, title in ((self.curves, "Compare curves"), (self.diff, "Params diff"),
                            (self.images, "Compare images"), (self.notes, "Notes"),
                            (self.predict, "Predict")):  # fmt: skip
            self.tabs.addTab(page, title)
        return self.tabs

    # -- loading -----------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """Whether the first page of the query asked for last is still on its way."""
        return self.pager.loading

    def set_tracking_uri(self, uri: str) -> None:
        """Point at a store; its runs load when the browser is first shown (MLflow is slow to
        import, so the app's start-up never waits for it)."""
        if uri != self.tracking_uri:
            self.pager.forget()  # rows of the store before must not arrive after this
            self.model.clear()
            self._fill_experiments({})
            self.run_count.clear()
        self.tracking_uri = uri
        self.stale = True
        self._selection_changed()
        if self.isVisible():
            self.refresh()

    def warm_up(self) -> None:
        """Pay the first listing's fixed costs on the MLflow queue now, not when the tab is
        opened (see ``_query.warm_up``); a store that fails says so when it is listed."""
        if self.tracking_uri and self.stale:
            uri = self.tracking_uri
            run_in_background(lambda: warm_up(uri), None, lambda *_: None, queue="mlflow",
                              owner=self)  # fmt: skip

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.refresh()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.pager.stop_counting()
        super().closeEvent(event)

    def refresh(self) -> None:
        """Ask MLflow for the first page of the runs the filter, combos and sort select."""
        if not self.tracking_uri:
            return
        self.stale = False
        self.status.setText(f"Loading runs from {self.tracking_uri}…")
        self.pager.search(self.tracking_uri, self.current_query())

    def current_query(self) -> RunsQuery:
        status = self.status_filter.currentText()
        key, ascending = self.order
        return RunsQuery(
            filter_string=self.search.text().strip(),
            status="" if status == ALL else status,
            experiment_id=self.experiment.currentData() or "",
            order_key=key,
            ascending=ascending,
            **self.organiser.query_options(),
        )

    def _first_page(self, page: RunsPage) -> None:
        # The rows start over (a refresh after a run or sweep ended): the runs selected stay
        # selected where the new rows have them.
        selected = [row.run_id for row in self.selected_rows()]
        self.model.reset_rows(page, self.pager.has_more)
        self._fill_experiments(page.experiments)
        self._show_sort_indicator()
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            # A long run or experiment name (a CSV's path and options) would push every other
            # column out of sight; the cell elides it and its tooltip has it whole.
            if self.table.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.table.setColumnWidth(column, MAX_COLUMN_WIDTH)
        self.status.setText(f"{len(page.experiments)} experiments · {self.tracking_uri}")
        self._show_count()
        if selected:
            self.select_runs(*selected)
        self._selection_changed()
        self.show_current_names()
        if self.group_by.isChecked():
            self.groups.set_rows(self.model.rows)
        self.loaded.emit(len(self.model.rows))

    def _next_page(self, page: RunsPage) -> None:
        self.model.append_rows(page, self.pager.has_more)
        if self.group_by.isChecked():
            self.groups.set_rows(self.model.rows)
        self._show_count()
        self.loaded.emit(len(self.model.rows))

    def _failed(self, what: str, message: str) -> None:
        self.status.setText(f"Could not {FAILURES[what]}: {message}")
        if what == "query":
            self.loaded.emit(-1)
        elif what == "page":
            self.model.fetch_failed()
        else:
            self.run_count.setText(f"{_grouped(len(self.model.rows))} runs loaded, not counted")

    def _show_count(self) -> None:
        """ "N of M runs": N loaded, M matching the query (counted after the first page)."""
        if self.pager.query is None:
            self.run_count.clear()
            return
        loaded, total = _grouped(len(self.model.rows)), self.pager.total
        if total is None:
            self.run_count.setText(f"{loaded} of … runs (counting)")
        else:
            self.run_count.setText(f"{loaded} of {_grouped(total)} runs")

    def _fill_experiments(self, experiments: dict[str, str]) -> None:
        """Every active experiment by name; the one chosen stays chosen if it still exists."""
        chosen = self.experiment.currentData() or ""
        self.experiment.blockSignals(True)
        self.experiment.clear()
        self.experiment.addItem(ALL, "")
        for experiment_id, name in sorted(experiments.items(), key=lambda item: item[1]):
            self.experiment.addItem(name, experiment_id)
        self.experiment.setCurrentIndex(max(self.experiment.findData(chosen), 0))
        self.experiment.blockSignals(False)

    def _size_new_columns(self, _parent, first: int, last: int) -> None:
        for column in range(first, last + 1):
            self.table.resizeColumnToContents(column)

    # -- sorting, by MLflow ------------------------------------------------------------------
    def _sort_clicked(self, column: int, order: Qt.SortOrder) -> None:
        key = self.model.order_key(column)
        if key is None:
            self._show_sort_indicator()  # back on the column the runs are sorted by
            self.status.setText(f"MLflow cannot sort runs by {self.model.column_name(column)}")
            return
        self.order = (key, order == Qt.SortOrder.AscendingOrder)
        self.refresh()

    def _show_sort_indicator(self) -> None:
        key, ascending = self.order
        order = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(self.model.column_of(key), order)
        header.blockSignals(False)

    # -- selection ---------------------------------------------------------------------------
    def selected_rows(self) -> list[RunRecord]:
        """The selected runs; grouped by configuration, every run of the selected groups."""
        if self.group_by.isChecked():
            return self.groups.selected_rows()
        indexes = self.table.selectionModel().selectedRows()
        source_rows = sorted({self.proxy.mapToSource(index).row() for index in indexes})
        return [self.model.rows[row] for row in source_rows]

    def select_run(self, run_id: str) -> bool:
        for source_row, row in enumerate(self.model.rows):
            if row.run_id == run_id:
                index = self.proxy.mapFromSource(self.model.index(source_row, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                    return True
        return False

    def select_runs(self, *run_ids: str) -> int:
        """Select exactly these runs' rows (those shown), as ctrl-clicks on each would; how
        many were selected."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        for source_row, row in enumerate(self.model.rows):
            if row.run_id in run_ids:
                index = self.proxy.mapFromSource(self.model.index(source_row, 0))
                if index.isValid():
                    selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
        return len(selection.indexes())

    def _selection_changed(self, *_args) -> None:
        rows = self.selected_rows()
        self.compare_button.setEnabled(len(rows) >= 1)
        self.mlflow_button.setEnabled(bool(self.tracking_uri))
        finished = len(rows) == 1 and rows[0].status == "FINISHED"
        self.register_button.setEnabled(finished)
        self.export_button.setEnabled(finished)
        run_id = rows[0].run_id if finished else None
        generative = finished and _generative(rows[0].params.get("plugin", ""))
        self.predict.set_run(run_id, self.tracking_uri, self.datasets_dir, generative)
        self.notes.show_rows(rows)

    def compare_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        keys = sorted({key for row in rows for key in row.metrics})
        uri, run_ids = self.tracking_uri, [row.run_id for row in rows]
        self.diff.set_rows(rows)
        self._compared_names = [row.name for row in rows]  # see show_current_names
        self.images.set_runs(uri, rows)
        self.status.setText(f"Loading metric histories of {len(rows)} runs…")

        def done(histories) -> None:
            self.curves.set_data(rows, histories)
            self.status.setText(f"Comparing {len(rows)} runs")
            self.compared.emit()

        run_in_background(
            lambda: fetch_histories(uri, run_ids, keys), done, queue="mlflow", owner=self,
            busy=f"Loading metric histories of {len(rows)} runs…",
        )  # fmt: skip

    def show_current_names(self) -> None:
        """The compared runs under the names the table has now (renamed here, or elsewhere
        and listed again): the params diff's headers and the curves' legend."""
        current = {row.run_id: row for row in self.model.rows}
        rows = [current.get(row.run_id, row) for row in self.diff.rows]
        if [row.name for row in rows] == self._compared_names:
            return  # none renamed: the curves are not drawn again (their zoom stays)
        self._compared_names = [row.name for row in rows]
        self.diff.set_rows(rows)
        if self.curves.rows:
            rows = [current.get(row.run_id, row) for row in self.curves.rows]
            self.curves.set_data(rows, self.curves.histories)

    def _open_mlflow(self) -> None:
        rows = self.selected_rows()
        row = rows[0] if rows else None
        self.open_in_mlflow.emit(row.experiment_id if row else "", row.run_id if row else "")

    # -- using a run's model -----------------------------------------------------------------
    def register_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        row = rows[0]
        name = ask_model_name(self, f"run {row.name}", row.experiment)
        if name:
            uri, datasets = self.tracking_uri, self.datasets_dir
            self._model_task(
                f"Registering {row.name} as {name}…",
                lambda: register_run(uri, row.run_id, name, datasets),
            )

    def export_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        row = rows[0]
        filters = ";;".join(f"{fmt} (*{suffix})" for suffix, fmt in EXPORT_SUFFIXES.items())
        path, _chosen = QFileDialog.getSaveFileName(
            self, "Export model", f"{row.name}.onnx", filters
        )
        if path:
            uri, datasets = self.tracking_uri, self.datasets_dir
            self._model_task(
                f"Exporting {row.name} to {path} and checking it…",
                lambda: export_run_model(uri, row.run_id, path, datasets),
            )

    def _model_task(self, doing: str, work) -> None:
        self.status.setText(doing)
        self.register_button.setEnabled(False)
        self.export_button.setEnabled(False)
        model_task(self, work, self.status.setText, self._selection_changed, busy=doing)


def _button(text: str, name: str, slot, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _generative(plugin_id: str) -> bool:
    """Whether the run's plugin draws from noise (its classes are loaded already)."""
    from engine.errors import UsageError
    from engine.plugin import get_plugin

    try:
        return bool(get_plugin(plugin_id).generative)
    except UsageError:
        return False


def _grouped(count: int) -> str:
    return f"{count:,}".replace(",", " ")  # 10 000
