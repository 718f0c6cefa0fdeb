"""The run configuration: schema form, dataset, device, seed; Start, reset, copy as CLI."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app._catalog import Catalog, check_dataset
from app._settings import load_json, save_json
from app.form._schema_form import ERROR_STYLE, SchemaForm
from engine.errors import UsageError
from engine.plugin import Plugin
from engine.runner import RunConfig, check_seed

USER_DATA = "user:"  # combo item data prefix for a user-data scheme


def settings_key(plugin_id: str) -> str:
    return f"run_config/{plugin_id}"


class DatasetPicker(QWidget):
    """Built-in dataset ids, plus each user-data scheme with a file/folder chooser."""

    changed = Signal()

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.kinds: tuple[str, ...] = ()
        self.combo = QComboBox()
        self.combo.setObjectName("datasetCombo")
        self.argument = QLineEdit()
        self.argument.setObjectName("datasetArgument")
        self.argument.setPlaceholderText("path to your data")
        self.file_button = QPushButton("File…")
        self.folder_button = QPushButton("Folder…")
        self.file_button.clicked.connect(self._choose_file)
        self.folder_button.clicked.connect(self._choose_folder)
        user_row = QHBoxLayout()
        user_row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.argument, self.file_button, self.folder_button):
            user_row.addWidget(widget)
        self.user_row = QWidget()
        self.user_row.setLayout(user_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.user_row)
        self.combo.currentIndexChanged.connect(self._combo_changed)
        self.argument.textChanged.connect(self.changed)
        catalog.datasets_changed.connect(self.populate)
        self.populate()

    def set_kinds(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self.populate()

    def populate(self) -> None:
        current = self.dataset_id()
        self.combo.blockSignals(True)
        self.combo.clear()
        if not self.catalog.datasets_loaded:
            self.combo.addItem(self.catalog.dataset_error or "loading datasets…", "")
        for info in self.catalog.datasets:
            if not self.kinds or info.kind in self.kinds:
                self.combo.addItem(f"{info.id} — {info.description}", info.id)
                self.combo.setItemData(self.combo.count() - 1, info.description, 3)
        for scheme, syntax in self.catalog.sources.items():
            self.combo.addItem(f"your data: {syntax}", USER_DATA + scheme)
        self.combo.blockSignals(False)
        if current:
            self.set_dataset_id(current)
        self._combo_changed()

    def dataset_id(self) -> str:
        data = self.combo.currentData() or ""
        if data.startswith(USER_DATA):
            return f"{data[len(USER_DATA) :]}:{self.argument.text().strip()}"
        return data

    def set_dataset_id(self, dataset_id: str) -> None:
        index = self.combo.findData(dataset_id)
        if index < 0:
            scheme, sep, argument = dataset_id.partition(":")
            index = self.combo.findData(USER_DATA + scheme) if sep else -1
            if index >= 0:
                self.argument.setText(argument)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def _combo_changed(self) -> None:
        data = self.combo.currentData() or ""
        self.user_row.setVisible(data.startswith(USER_DATA))
        self.changed.emit()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a data file")
        if path:
            self.argument.setText(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a data folder")
        if path:
            self.argument.setText(path)


class RunForm(QWidget):
    """Configure one run of one plugin; ``start_requested(config)`` carries a RunConfig dict."""

    start_requested = Signal(dict)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.plugin: type[Plugin] | None = None
        self.schema_form: SchemaForm | None = None
        self.workspace: str | None = None
        self.tracking_uri: str | None = None

        self.title = QLabel("Choose a plugin")
        self.title.setObjectName("runFormTitle")
        self.title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.dataset = DatasetPicker(catalog)
        self.device = QComboBox()
        self.device.setObjectName("deviceCombo")
        self.seed = QLineEdit("0")
        self.seed.setObjectName("seedEdit")
        self.seed.setToolTip("Random seed: a whole number from 0 to 4294967295")
        self.threads = QSpinBox()
        self.threads.setRange(0, 1024)
        self.threads.setSpecialValueText("all cores")
        self.threads.setToolTip("CPU threads for the run (0 = all cores)")
        self.experiment = QLineEdit()
        self.experiment.setPlaceholderText("default: PLUGIN-DATASET")
        self.run_error = QLabel()
        self.run_error.setObjectName("error_run")
        self.run_error.setStyleSheet(ERROR_STYLE)
        self.run_error.setWordWrap(True)
        run_box = QGroupBox("Run")
        run_rows = QFormLayout(run_box)
        run_rows.addRow("dataset", self.dataset)
        run_rows.addRow("device", self.device)
        run_rows.addRow("seed", self.seed)
        run_rows.addRow("CPU threads", self.threads)
        run_rows.addRow("experiment", self.experiment)
        run_rows.addRow(self.run_error)

        self.form_holder = QVBoxLayout()
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.addWidget(run_box)
        content_layout.addLayout(self.form_holder)
        content_layout.addStretch(1)
        # Never squeeze the rows to fit: the scroll area scrolls instead.
        content_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        self.status = QLabel()
        self.status.setObjectName("runFormStatus")
        self.status.setWordWrap(True)
        self.reset_button = QPushButton("Reset to defaults")
        self.copy_button = QPushButton("Copy as CLI command")
        self.start_button = QPushButton("Start run")
        self.start_button.setObjectName("startRunButton")
        self.start_button.setDefault(True)
        self.reset_button.clicked.connect(self.reset)
        self.copy_button.clicked.connect(self.copy_command)
        self.start_button.clicked.connect(self.start)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        for signal in (
            self.dataset.changed,
            self.seed.textChanged,
            self.device.currentIndexChanged,
        ):
            signal.connect(self.validate)
        self.threads.valueChanged.connect(self.validate)
        self.experiment.textChanged.connect(self.validate)
        catalog.devices_changed.connect(self._fill_devices)
        catalog.datasets_changed.connect(self.validate)
        self._fill_devices()
        self.validate()

    # -- plugin ------------------------------------------------------------------------------
    def set_plugin(self, plugin: type[Plugin]) -> None:
        if self.plugin is not None and self.plugin is plugin:
            return
        if self.schema_form is not None:
            self.schema_form.setParent(None)
            self.schema_form.deleteLater()
        self.plugin = plugin
        self.title.setText(f"{plugin.name} ({plugin.id})")
        self.title.setToolTip(plugin.description)
        self.schema_form = SchemaForm(plugin.full_schema())
        self.schema_form.changed.connect(self.validate)
        self.form_holder.addWidget(self.schema_form)
        self.dataset.set_kinds(tuple(plugin.data_kinds))
        self._restore(load_json(settings_key(plugin.id), {}))
        self.validate()

    def _restore(self, saved: dict[str, Any]) -> None:
        if not saved:
            return
        self.schema_form.set_values(saved.get("hparams", {}))
        if saved.get("dataset"):
            self.dataset.set_dataset_id(saved["dataset"])
        index = self.device.findData(saved.get("device", "auto"))
        if index >= 0:
            self.device.setCurrentIndex(index)
        self.seed.setText(str(saved.get("seed", 0)))
        self.threads.setValue(int(saved.get("threads") or 0))
        self.experiment.setText(saved.get("experiment") or "")

    def reset(self) -> None:
        if self.schema_form is None:
            return
        self.schema_form.reset()
        self.seed.setText("0")
        self.device.setCurrentIndex(0)
        self.threads.setValue(0)
        self.experiment.clear()
        self.validate()

    def _fill_devices(self) -> None:
        current = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        for device in self.catalog.devices:
            self.device.addItem(device.label, device.id)
        index = self.device.findData(current)
        self.device.setCurrentIndex(max(index, 0))
        self.device.blockSignals(False)

    # -- validation and output --------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        """Every reason the current input cannot start, by field ("run" for the run group)."""
        if self.plugin is None or self.schema_form is None:
            return {"run": "choose a plugin in the gallery"}
        _values, errors = self.schema_form.values()
        run_errors = []
        if not self.catalog.datasets_loaded:
            run_errors.append(self.catalog.dataset_error or "datasets are still loading")
        else:
            problem = check_dataset(self.dataset.dataset_id(), self.plugin)
            if problem:
                run_errors.append(problem)
        try:
            self._seed()
        except UsageError as error:
            run_errors.append(str(error))
        if run_errors:
            errors["run"] = "\n".join(run_errors)
        return errors

    def _seed(self) -> int:
        text = self.seed.text().strip()
        try:
            value = int(text)
        except ValueError:
            raise UsageError(
                f"invalid seed {text!r}: expected a whole number from 0 to 4294967295"
            ) from None
        return check_seed(value)

    def validate(self) -> bool:
        errors = self.errors()
        if self.schema_form is not None:
            self.schema_form.show_errors(errors)
        self.run_error.setText(errors.get("run", ""))
        self.run_error.setVisible("run" in errors)
        if errors:
            count = len(errors)
            first = next(iter(errors.values())).splitlines()[0]
            self.status.setText(f"Cannot start ({count} problem{'s' * (count > 1)}): {first}")
            self.status.setStyleSheet(ERROR_STYLE)
        else:
            self.status.setText("Ready to start.")
            self.status.setStyleSheet("")
            self._remember()
        self.start_button.setEnabled(not errors)
        self.copy_button.setEnabled(not errors)
        return not errors

    def config(self) -> dict[str, Any]:
        """The RunConfig as a dict (only call when ``validate()`` is True)."""
        hparams, _errors = self.schema_form.values()
        return {
            "plugin": self.plugin.id,
            "dataset": self.dataset.dataset_id(),
            "hparams": hparams,
            "seed": self._seed(),
            "device": self.device.currentData() or "auto",
            "threads": self.threads.value() or None,
            "workspace": self.workspace,
            "tracking_uri": self.tracking_uri,
            "experiment": self.experiment.text().strip() or None,
        }

    def _remember(self) -> None:
        config = self.config()
        saved = {key: config[key] for key in ("hparams", "dataset", "device", "seed", "threads")}
        saved["experiment"] = config["experiment"]
        save_json(settings_key(self.plugin.id), saved)

    def command_line(self) -> str:
        """``netyard run ...`` for what Start would run (only call when ``validate()`` is True).

        Hyperparameters at the plugin's default are left out (the CLI fills them in the same
        way), except steps, always shown, and monitor where the plugin has per-task monitors:
        a run without one watches the dataset task's metric, not the default shown here.
        """
        config = self.config()
        defaults = self.plugin.full_schema().defaults()
        kept = {"steps", "monitor"} if self.plugin.task_monitors else {"steps"}
        config["hparams"] = {
            name: value
            for name, value in config["hparams"].items()
            if name in kept or value != defaults[name]
        }
        return RunConfig.from_dict(config).to_command_line()

    def copy_command(self) -> None:
        if self.validate():
            QGuiApplication.clipboard().setText(self.command_line())

    def start(self) -> None:
        if self.validate():
            self.start_requested.emit(self.config())
