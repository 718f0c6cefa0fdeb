"""The run configuration: schema form, dataset, device, seed; Start, reset, copy as CLI."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app._catalog import Catalog, check_dataset
from app._settings import load_json, save_json
from app.form._common import (
    DatasetPicker,
    DeviceCombo,
    FormPage,
    SeedEdit,
    TaskDefaults,
    experiment_edit,
    threads_spin,
)
from app.form._dataset_preview import DatasetPreviewPanel, beside
from app.form._lr_finder_dialog import LrFinderDialog, finder_button
from app.form._schema_form import ERROR_STYLE, SchemaForm
from engine.errors import UsageError
from engine.plugin import Plugin
from engine.runner import RunConfig

# What the form remembers of its RunConfig for each plugin.
_KEPT = ("hparams", "dataset", "device", "seed", "threads", "experiment")


def settings_key(plugin_id: str) -> str:
    return f"run_config/{plugin_id}"


class RunForm(FormPage):
    """Configure one run of one plugin; ``start_requested(config)`` carries a ``RunConfig``."""

    start_requested = Signal(object)
    queue_requested = Signal(object)  # the same RunConfig, for the run queue

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__("runFormTitle", "runFormStatus", parent)
        self.catalog = catalog
        self.plugin: type[Plugin] | None = None
        self.schema_form: SchemaForm | None = None
        self.defaults = TaskDefaults()  # what the fields stand for, for the dataset's task
        self.workspace: str | None = None
        self.tracking_uri: str | None = None

        self.dataset = DatasetPicker(catalog)
        self.device = DeviceCombo(catalog)
        self.device.setObjectName("deviceCombo")
        self.seed = SeedEdit("seedEdit")
        self.threads = threads_spin("the free cores")
        self.experiment = experiment_edit()
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
        self.preview = DatasetPreviewPanel(
            self,
            lambda: self.schema_form.fields["val_fraction"].value(),
            lambda name: self.schema_form.fields[name].value(),
        )
        self.content.addLayout(beside(run_box, self.preview))
        self.form_holder = QVBoxLayout()
        self.content.addLayout(self.form_holder)

        self.reset_button = QPushButton("Reset to defaults")
        self.copy_button = QPushButton("Copy as CLI command")
        self.start_button = QPushButton("Start run")
        self.start_button.setObjectName("startRunButton")
        self.start_button.setDefault(True)
        self.reset_button.clicked.connect(self.reset)
        self.copy_button.clicked.connect(self.copy_command)
        self.start_button.clicked.connect(self.start)
        self.queue_button = QPushButton("Add to queue")
        self.queue_button.setObjectName("queueRunButton")
        self.queue_button.setToolTip("Run it after the queue's earlier entries (Jobs panel)")
        self.queue_button.clicked.connect(self.add_to_queue)
        self.buttons(
            self.reset_button, self.copy_button, start=self.start_button, queue=self.queue_button
        )

        self.watch(self.validate, self.dataset, self.seed, self.device, self.threads)
        self.watch(self.validate, self.experiment)
        catalog.devices_changed.connect(self.validate)
        catalog.datasets_changed.connect(self.validate)
        self.validate()

    # -- plugin ------------------------------------------------------------------------------
    def set_plugin(self, plugin: type[Plugin]) -> None:
        QTimer.singleShot(0, self.guard_fields)  # the plugin's fields, once they are built
        if self.plugin is not None and self.plugin is plugin:
            return
        if self.schema_form is not None:
            self.schema_form.setParent(None)
            self.schema_form.deleteLater()
        self.plugin = plugin
        self.title.setText(f"{plugin.name} ({plugin.id})")
        self.title.setToolTip(plugin.description)
        self.schema_form = SchemaForm(plugin.full_schema())
        self.defaults.reset(plugin)
        self.schema_form.changed.connect(self.validate)
        self.form_holder.addWidget(self.schema_form)
        if "lr" in self.schema_form.fields and plugin.automatic_optimization:
            field = self.schema_form.fields["lr"]
            field.layout_.addWidget(finder_button(self.find_lr))
        self.dataset.set_kinds(tuple(plugin.data_kinds))
        self._restore(load_json(settings_key(plugin.id), {}))
        self.validate()

    def _restore(self, saved: dict[str, Any]) -> None:
        if not saved:
            return
        kept = RunConfig.from_dict(
            {"plugin": self.plugin.id, "dataset": "", **{k: saved[k] for k in _KEPT if k in saved}}
        )
        self.schema_form.set_values(kept.hparams)
        if kept.dataset:
            self.dataset.set_dataset_id(kept.dataset)
        self._show_run_options(kept)

    def _show_run_options(self, config: RunConfig) -> None:
        self.device.set_device_id(config.device)
        self.seed.set_value(config.seed)
        self.threads.setValue(config.threads or 0)
        self.experiment.setText(config.experiment or "")

    def reset(self) -> None:
        if self.schema_form is None:
            return
        self.defaults.values = TaskDefaults.of(self.plugin, self.dataset.dataset_id(), self.catalog)
        self.schema_form.set_values(self.defaults.values)
        self._show_run_options(RunConfig(self.plugin.id, ""))  # the defaults
        self.validate()

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
            self.config()
        except UsageError as error:
            run_errors.append(str(error))
        if run_errors:
            errors["run"] = "\n".join(run_errors)
        return errors

    def _follow_task_defaults(self) -> None:
        if self.schema_form is None:
            return
        values, _errors = self.schema_form.values()
        changed = self.defaults.follow(
            self.plugin, self.dataset.dataset_id(), self.catalog, values
        )  # first: set_values below comes back through validate
        self.schema_form.set_values(changed)

    def validate(self) -> bool:
        self._follow_task_defaults()
        self.preview.schedule()
        errors = self.errors()
        if self.schema_form is not None:
            self.schema_form.show_errors(errors)
        self.run_error.setText(errors.get("run", ""))
        self.run_error.setVisible("run" in errors)
        if errors:
            count = len(errors)
            first = next(iter(errors.values())).splitlines()[0]
            self.show_status(f"Cannot start ({count} problem{'s' * (count > 1)}): {first}")
        else:
            self.show_status("")
            self._remember()
        self.start_button.setEnabled(not errors)
        self.queue_button.setEnabled(not errors)
        self.copy_button.setEnabled(not errors)
        return not errors

    def config(self) -> RunConfig:
        """The form's ``RunConfig``, checked: ``UsageError`` for a seed, thread count or
        device that is not valid (its hyperparameters are checked by the schema form)."""
        hparams, _errors = self.schema_form.values()
        return RunConfig(
            plugin=self.plugin.id,
            dataset=self.dataset.dataset_id(),
            hparams=hparams,
            seed=self.seed.value(),
            device=self.device.device_id(),
            threads=self.threads.value() or None,
            workspace=self.workspace,
            tracking_uri=self.tracking_uri,
            experiment=self.experiment.text().strip() or None,
        ).check()

    def _remember(self) -> None:
        config = self.config().to_dict()
        save_json(settings_key(self.plugin.id), {key: config[key] for key in _KEPT})

    def command_line(self) -> str:
        """``netyard run ...`` for what Start would run (only call when ``validate()`` is True).

        Hyperparameters at the default for the dataset's task are left out (the CLI fills
        them in the same way), except steps, always shown.
        """
        config = self.config()
        hparams = {
            name: value
            for name, value in config.hparams.items()
            if name == "steps" or value != self.defaults.values.get(name)
        }
        return dataclasses.replace(config, hparams=hparams).to_command_line()

    def copy_command(self) -> None:
        if self.validate():
            QGuiApplication.clipboard().setText(self.command_line())

    def start(self) -> None:
        if self.validate():
            self.start_requested.emit(self.config())

    def find_lr(self) -> LrFinderDialog | None:
        """Open the learning-rate finder on this form's run; "Use" sets the lr field."""
        if not self.validate():
            return None
        field = self.schema_form.fields["lr"]
        dialog = LrFinderDialog(self.config().to_dict(), field.set_value, parent=self)
        dialog.finished.connect(lambda _result: self.validate())
        dialog.open()
        return dialog

    def add_to_queue(self) -> None:
        if self.validate():
            self.queue_requested.emit(self.config())
