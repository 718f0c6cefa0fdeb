"""What the run form and the sweep form share: the page (title, scrolling rows, status, the
button row) and the fields both ask for (dataset, device, seed, CPU threads, experiment)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
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

from app._catalog import Catalog
from app._wheel_guard import WheelGuard, guard_fields
from app.form._schema_form import ERROR_STYLE
from engine.errors import UsageError
from engine.options import SEED, THREADS

USER_DATA = "user:"  # combo item data prefix for a user-data scheme


class FormPage(QWidget):
    """A title, rows that scroll (``content``: add boxes to it), a status line, and
    ``buttons(left…, start=…)`` at the bottom."""

    def __init__(self, title_name: str, status_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Choose a plugin")
        self.title.setObjectName(title_name)
        self.title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.title.setWordWrap(True)
        inner = QWidget()
        self.content = QVBoxLayout(inner)
        # Never squeeze the rows to fit: the scroll area scrolls instead.
        self.content.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(inner)
        self.status = QLabel()
        self.status.setObjectName(status_name)
        self.status.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.scroll, 1)
        self._layout.addWidget(self.status)

    def guard_fields(self) -> None:
        """Scrolling the form never changes a field under the pointer (``app._wheel_guard``);
        call again once fields were added (a plugin's rows, an objective)."""
        if getattr(self, "_wheel_guard", None) is None:
            self._wheel_guard = WheelGuard(self)
        guard_fields(self, self._wheel_guard)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.guard_fields()
        super().showEvent(event)

    def buttons(
        self, *left: QPushButton, start: QPushButton, queue: QPushButton | None = None
    ) -> None:
        """The bottom row; call once, after every box is in ``content``. ``queue`` (Add to
        queue) goes beside Start."""
        self.content.addStretch(1)
        row = QHBoxLayout()
        for button in left:
            row.addWidget(button)
        row.addStretch(1)
        if queue is not None:
            row.addWidget(queue)
        row.addWidget(start)
        self._layout.addLayout(row)

    @staticmethod
    def watch(slot, *widgets: QWidget) -> None:
        """Call ``slot`` whenever one of ``widgets`` (the shared fields, combos, spin boxes,
        line edits) changes."""
        for widget in widgets:
            if isinstance(widget, DatasetPicker):
                widget.changed.connect(slot)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(slot)
            elif isinstance(widget, QLineEdit):
                widget.textChanged.connect(slot)
            else:  # QSpinBox, QDoubleSpinBox
                widget.valueChanged.connect(slot)

    def show_status(self, problem: str) -> None:
        """``problem`` in red, or "Ready to start." when there is none."""
        self.status.setText(problem or "Ready to start.")
        self.status.setStyleSheet(ERROR_STYLE if problem else "")


class DeviceCombo(QComboBox):
    """The catalog's devices (auto, CPU, each GPU found); keeps the choice when GPUs appear."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog
        catalog.devices_changed.connect(self._fill)
        self._fill()

    def device_id(self) -> str:
        return self.currentData() or "auto"

    def set_device_id(self, device_id: str) -> None:
        self.setCurrentIndex(max(self.findData(device_id), 0))

    def _fill(self) -> None:
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        for device in self.catalog.devices:
            self.addItem(device.label, device.id)
        self.set_device_id(current)
        self.blockSignals(False)


class SeedEdit(QLineEdit):
    """A seed as text (a spin box stops at 2**31 - 1); the engine's check says what is valid."""

    def __init__(self, object_name: str) -> None:
        super().__init__("0")
        self.setObjectName(object_name)
        self.setToolTip(f"Random seed: {SEED.valid()}")

    def value(self) -> int:
        """The seed; ``UsageError`` naming the text when it is not one."""
        return SEED.parse(self.text())

    def set_value(self, seed: int) -> None:
        self.setText(str(seed))


def threads_spin(all_threads_text: str) -> QSpinBox:
    """CPU threads per run, 0 meaning ``all_threads_text``."""
    spin = QSpinBox()
    spin.setRange(0, THREADS.high)
    spin.setSpecialValueText(all_threads_text)
    spin.setToolTip(
        f"CPU threads for each run (0 = {all_threads_text}: the cores that other programs "
        "leave idle, looked at again every few seconds while it trains)"
    )
    return spin


def experiment_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText("default: PLUGIN-DATASET")
    return edit


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


class TaskDefaults:
    """The defaults a form's fields stand for: the plugin's, with the chosen dataset's task
    defaults over them (a forecasting RNN is smaller and stops early), as the runner applies
    them to what a run leaves unset. A field still at the defaults of the task before follows
    the new task's; one the user changed keeps its value."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.monitor = ""  # the watched metric's default for the task, ``val_...``

    def reset(self, plugin) -> None:
        self.values = plugin.full_schema().defaults()
        self.monitor = f"val_{plugin.monitor}"

    @staticmethod
    def of(plugin, dataset_id: str, catalog: Catalog) -> dict[str, Any]:
        defaults = plugin.full_schema().defaults()
        task = _task(dataset_id, catalog)
        if task is not None:
            defaults.update(plugin.task_defaults.get(task, {}))
            if "monitor" in defaults:
                defaults["monitor"] = f"val_{plugin.monitor_for(task)}"
        return defaults

    def follow(
        self, plugin, dataset_id: str, catalog: Catalog, current: dict[str, Any]
    ) -> dict[str, Any]:
        """The new values for fields of ``current`` still at the old defaults ({} when the
        defaults did not change); ``values`` holds the new defaults from now on."""
        before, after = self.values, self.of(plugin, dataset_id, catalog)
        if after == before:
            return {}
        self.values = after
        task = _task(dataset_id, catalog)
        self.monitor = f"val_{plugin.monitor_for(task) if task else plugin.monitor}"
        return {
            name: value
            for name, value in after.items()
            if name in current and current[name] == before.get(name) != value
        }


def _task(dataset_id: str, catalog: Catalog) -> str | None:
    if not catalog.datasets_loaded:
        return None
    from engine.data import dataset_info

    try:
        return dataset_info(dataset_id.strip()).task
    except UsageError:
        return None
