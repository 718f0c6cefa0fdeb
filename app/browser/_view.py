"""The runs browser: the store's MLflow runs across experiments, searched, filtered, sorted;
several selected runs compared; notes saved as MLflow tags; "Open in MLflow UI"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
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
from app.browser._compare import CompareCurves, ParamsDiff
from app.browser._model import RunsFilter, RunsTableModel
from app.browser._predict import PredictPanel
from app.browser._query import RunRow, fetch_histories, fetch_runs, save_note

ALL = "(all)"
STATUSES = (ALL, "RUNNING", "FINISHED", "FAILED", "KILLED")


class RunsBrowser(QWidget):
    """``open_in_mlflow(experiment_id, run_id)`` asks the window to start the MLflow UI."""

    open_in_mlflow = Signal(str, str)
    loaded = Signal(int)
    compared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tracking_uri = ""
        self.loading = False
        self.stale = False
        self.model = RunsTableModel()
        self.proxy = RunsFilter()
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setObjectName("mlflowFilter")
        self.search.setPlaceholderText(
            "MLflow filter, e.g. metrics.val_accuracy > 0.8 and params.lr = '0.01'"
        )
        self.search.returnPressed.connect(self.refresh)
        self.quick = QLineEdit()
        self.quick.setObjectName("quickFilter")
        self.quick.setPlaceholderText("filter shown rows")
        self.quick.textChanged.connect(self.proxy.setFilterFixedString)
        self.experiment = QComboBox()
        self.experiment.setObjectName("experimentFilter")
        self.experiment.currentTextChanged.connect(
            lambda text: self.proxy.set_experiment("" if text == ALL else text)
        )
        self.status_filter = QComboBox()
        self.status_filter.addItems(STATUSES)
        self.status_filter.currentTextChanged.connect(
            lambda text: self.proxy.set_status("" if text == ALL else text)
        )
        self.refresh_button = QPushButton("Refresh")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareButton")
        self.mlflow_button = QPushButton("Open in MLflow UI")
        self.mlflow_button.setObjectName("openMlflowButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.compare_button.clicked.connect(self.compare_selected)
        self.mlflow_button.clicked.connect(self._open_mlflow)
        self.register_button = QPushButton("Register model…")
        self.register_button.setObjectName("registerModelButton")
        self.register_button.setToolTip("Add the selected run's model to the model registry")
        self.register_button.clicked.connect(self.register_selected)
        self.export_button = QPushButton("Export model…")
        self.export_button.setObjectName("exportModelButton")
        self.export_button.setToolTip("Write the selected run's model as ONNX, TorchScript "
                                      "or safetensors, checked after writing")  # fmt: skip
        self.export_button.clicked.connect(self.export_selected)
        self.datasets_dir = None  # the workspace's, for the input example of an export
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.quick, 1)
        top.addWidget(QLabel("experiment"))
        top.addWidget(self.experiment)
        top.addWidget(QLabel("status"))
        top.addWidget(self.status_filter)
        top.addWidget(self.refresh_button)
        top.addWidget(self.compare_button)
        top.addWidget(self.mlflow_button)
        top.addWidget(self.register_button)
        top.addWidget(self.export_button)

        self.table = QTableView()
        self.table.setObjectName("runsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionsMovable(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.curves = CompareCurves()
        self.diff = ParamsDiff()
        self.note = QPlainTextEdit()
        self.note.setObjectName("runNote")
        self.note.setPlaceholderText(
            "Notes on the selected run (saved as the MLflow run description)"
        )
        self.save_note_button = QPushButton("Save note")
        self.save_note_button.setObjectName("saveNoteButton")
        self.save_note_button.clicked.connect(self._save_note)
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.addWidget(self.note, 1)
        notes_layout.addWidget(self.save_note_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Compare curves")
        self.tabs.addTab(self.diff, "Params diff")
        self.tabs.addTab(notes, "Notes")
        self.predict = PredictPanel()
        self.tabs.addTab(self.predict, "Predict")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("browserSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.tabs)
        self.splitter.setSizes([400, 300])
        self.status = QLabel()
        self.status.setObjectName("browserStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)
        self._selection_changed()

    # -- loading -----------------------------------------------------------------------------
    def set_tracking_uri(self, uri: str) -> None:
        """Point at a store; its runs load when the browser is first shown (MLflow is slow to
        import, so the app's start-up never waits for it)."""
        self.tracking_uri = uri
        self.stale = True
        self._selection_changed()
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.refresh()

    def refresh(self) -> None:
        if not self.tracking_uri:
            return
        self.stale = False
        self.loading = True
        self.status.setText(f"Loading runs from {self.tracking_uri}…")
        uri, text = self.tracking_uri, self.search.text().strip()
        run_in_background(
            lambda: fetch_runs(uri, text),
            self._loaded,
            self._load_failed,
            queue="mlflow",
            owner=self,
        )

    def _loaded(self, rows: list[RunRow]) -> None:
        self.loading = False
        self.model.set_rows(rows)
        experiments = sorted({row.experiment for row in rows})
        current = self.experiment.currentText()
        self.experiment.blockSignals(True)
        self.experiment.clear()
        self.experiment.addItems([ALL, *experiments])
        self.experiment.setCurrentText(current if current in experiments else ALL)
        self.experiment.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.status.setText(
            f"{len(rows)} runs in {len(experiments)} experiments · {self.tracking_uri}"
        )
        self.loaded.emit(len(rows))

    def _load_failed(self, message: str, _details: str) -> None:
        self.loading = False
        # A bad filter is the usual cause: say so where the user typed it.
        self.status.setText(f"Could not load runs: {message.splitlines()[0]}")
        self.loaded.emit(-1)

    # -- selection ---------------------------------------------------------------------------
    def selected_rows(self) -> list[RunRow]:
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

    def _selection_changed(self, *_args) -> None:
        rows = self.selected_rows()
        self.compare_button.setEnabled(len(rows) >= 1)
        self.mlflow_button.setEnabled(bool(self.tracking_uri))
        self.save_note_button.setEnabled(len(rows) == 1)
        finished = len(rows) == 1 and rows[0].status == "FINISHED"
        self.register_button.setEnabled(finished)
        self.export_button.setEnabled(finished)
        run_id = rows[0].run_id if finished else None
        generative = finished and _generative(rows[0].params.get("plugin", ""))
        self.predict.set_run(run_id, self.tracking_uri, self.datasets_dir, generative)
        self.note.setEnabled(len(rows) == 1)
        self.note.setPlainText(rows[0].note if len(rows) == 1 else "")

    def compare_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        keys = sorted({key for row in rows for key in row.metrics})
        uri, run_ids = self.tracking_uri, [row.run_id for row in rows]
        self.diff.set_rows(rows)
        self.status.setText(f"Loading metric histories of {len(rows)} runs…")

        def done(histories) -> None:
            self.curves.set_data(rows, histories)
            self.status.setText(f"Comparing {len(rows)} runs")
            self.compared.emit()

        run_in_background(
            lambda: fetch_histories(uri, run_ids, keys), done, queue="mlflow", owner=self
        )

    def _save_note(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        row, text = rows[0], self.note.toPlainText()
        row.note = text

        def done(_run_id: str) -> None:
            self.status.setText(f"Note saved on run {row.name}")

        run_in_background(
            lambda: save_note(self.tracking_uri, row.run_id, text), done, queue="mlflow", owner=self
        )

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
        model_task(self, work, self.status.setText, self._selection_changed)


def _generative(plugin_id: str) -> bool:
    """Whether the run's plugin draws from noise (its classes are loaded already)."""
    from engine.errors import UsageError
    from engine.plugin import get_plugin

    try:
        return bool(get_plugin(plugin_id).generative)
    except UsageError:
        return False
