"""The plugin gallery: every discovered plugin, and the failed ones with their error.

A plugin that failed to load is listed with its error; selecting it shows the traceback.
Nothing a plugin does at import time can take the app down (discovery catches it).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app._icons import icon, plugin_icon
from engine.plugin import PluginEntry


def describe(entry: PluginEntry) -> str:
    if entry.ok:
        kinds = ", ".join(entry.plugin.data_kinds)
        return f"{entry.name}\n{entry.id} · data: {kinds}\n{entry.description}"
    return f"{entry.id} — failed to load\n{entry.target}\n{entry.error}"


class PluginGallery(QWidget):
    """``plugin_chosen(plugin class)`` when a working plugin is selected."""

    plugin_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[PluginEntry] = []
        self.list = QListWidget()
        self.list.setObjectName("pluginList")
        self.list.setIconSize(QSize(40, 40))
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setUniformItemSizes(False)
        self.list.currentRowChanged.connect(self._row_changed)

        self.failure_title = QLabel()
        self.failure_title.setWordWrap(True)
        self.failure_title.setStyleSheet("color: #d03030; font-weight: 600;")
        self.traceback_view = QPlainTextEdit()
        self.traceback_view.setObjectName("pluginTraceback")
        self.traceback_view.setReadOnly(True)
        self.traceback_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_button = QPushButton("Hide details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(
            lambda hidden: (
                self.traceback_view.setVisible(not hidden),
                self.details_button.setText("Show details" if hidden else "Hide details"),
            )
        )
        failure = QWidget()
        failure_layout = QVBoxLayout(failure)
        failure_layout.setContentsMargins(0, 0, 0, 0)
        failure_layout.addWidget(self.failure_title)
        failure_layout.addWidget(self.details_button)
        failure_layout.addWidget(self.traceback_view, 1)
        self.details = QStackedWidget()
        self.details.addWidget(QWidget())
        self.details.addWidget(failure)
        self.details.setVisible(False)

        header = QLabel("Plugins")
        header.setStyleSheet("font-weight: 600;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(header)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.details, 1)

    def set_entries(self, entries: list[PluginEntry]) -> None:
        self.entries = list(entries)
        self.list.clear()
        for entry in self.entries:
            item = QListWidgetItem(describe(entry))
            item.setIcon(plugin_icon(entry.plugin.icon) if entry.ok else icon("error"))
            item.setToolTip(entry.description if entry.ok else entry.error or "")
            if not entry.ok:
                item.setForeground(Qt.GlobalColor.red)
            self.list.addItem(item)
        first_ok = next((i for i, e in enumerate(self.entries) if e.ok), 0)
        if self.entries:
            self.list.setCurrentRow(first_ok)

    def select(self, plugin_id: str) -> bool:
        for row, entry in enumerate(self.entries):
            if entry.id == plugin_id:
                self.list.setCurrentRow(row)
                return True
        return False

    def selected_entry(self) -> PluginEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def _row_changed(self, row: int) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        if entry.ok:
            self.details.setVisible(False)
            self.plugin_chosen.emit(entry.plugin)
            return
        self.failure_title.setText(f"{entry.id} ({entry.target}) failed to load: {entry.error}")
        self.traceback_view.setPlainText(entry.traceback or entry.error or "")
        self.details.setCurrentIndex(1)
        self.details.setVisible(True)
