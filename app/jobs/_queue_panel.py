"""The queue in the Jobs panel: a "Queue" row whose children are the entries (their state:
queued or paused while they wait, then their job's), and a row of controls: move up and down,
remove, pause or resume, clear the ended ones, jobs at once, stop on failure."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.jobs._queue import AppQueue
from engine.states import State

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # an entry's id; job rows hold a job number instead


class QueueSection(QObject):
    """The queue's rows in ``tree`` and its controls (``controls``, for the panel's layout)."""

    def __init__(self, queue: AppQueue, tree: QTreeWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue, self.tree = queue, tree
        self.root = QTreeWidgetItem(["Queue", "", "", "", "", ""])
        self.root.setFlags(self.root.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        tree.insertTopLevelItem(0, self.root)
        self.root.setExpanded(True)
        self.items: dict[int, QTreeWidgetItem] = {}

        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected entry from the queue")
        self.pause_button = QPushButton("Pause queue")
        self.pause_button.setObjectName("pauseQueueButton")
        self.pause_button.setToolTip("Start no more entries; running ones go on")
        self.clear_button = QPushButton("Clear ended")
        self.clear_button.setToolTip("Remove the finished, failed and killed entries")
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setObjectName("queueJobsSpin")
        self.jobs_spin.setRange(0, 64)
        self.jobs_spin.setSpecialValueText("auto")
        self.jobs_spin.setToolTip("Queue entries at once (auto: one per GPU, else one)")
        self.stop_on_failure = QCheckBox("Stop on failure")
        self.stop_on_failure.setToolTip("Pause the queue when an entry fails")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.remove_button.clicked.connect(self._remove)
        self.pause_button.clicked.connect(lambda: queue.set_paused(not queue.state.paused))
        self.clear_button.clicked.connect(queue.clear_ended)
        self.jobs_spin.valueChanged.connect(lambda n: queue.set_max_jobs(n or None))
        self.stop_on_failure.toggled.connect(queue.set_stop_on_failure)

        self.controls = QWidget()
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Queue:"))
        for button in (self.up_button, self.down_button, self.remove_button,
                       self.pause_button, self.clear_button):  # fmt: skip
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(QLabel("at once"))
        row.addWidget(self.jobs_spin)
        row.addWidget(self.stop_on_failure)

        queue.changed.connect(self.refresh)
        tree.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def selected_entry_id(self) -> int | None:
        item = self.tree.currentItem()
        value = item.data(0, ENTRY_ROLE) if item is not None else None
        return int(value) if value is not None else None

    def refresh(self) -> None:
        state = self.queue.state
        selected = self.selected_entry_id()
        waiting = len(state.queued())
        running = len(state.running())
        summary = [f"{waiting} waiting", f"{running} running"]
        auto = "" if state.max_jobs else " (auto)"
        summary.append(f"{self.queue.jobs_at_once()} at once{auto}")
        self.root.setText(0, f"Queue ({', '.join(summary)})")
        self.root.setText(1, "PAUSED" if state.paused else "")
        ids = [entry.id for entry in state.entries]
        for entry_id in [i for i in self.items if i not in ids]:
            self.root.removeChild(self.items.pop(entry_id))
        for position, entry in enumerate(state.entries):
            item = self.items.get(entry.id)
            if item is None:
                item = self.items[entry.id] = QTreeWidgetItem()
                item.setData(0, ENTRY_ROLE, entry.id)
            if self.root.indexOfChild(item) != position:
                if self.root.indexOfChild(item) >= 0:
                    self.root.removeChild(item)
                self.root.insertChild(position, item)
            job = self.queue.jobs.get(entry.id)
            item.setText(0, f"#{entry.id} {entry.title}")
            item.setText(1, self.queue.entry_state(entry))
            message = entry.message or (job.message if job is not None else "")
            item.setText(5, message or _when(entry))
            item.setToolTip(5, message)
        self.root.setExpanded(True)
        if selected in self.items:
            self.tree.setCurrentItem(self.items[selected])
        for widget, value in ((self.jobs_spin, state.max_jobs or 0),
                              (self.stop_on_failure, state.stop_on_failure)):  # fmt: skip
            widget.blockSignals(True)
            (widget.setValue if widget is self.jobs_spin else widget.setChecked)(value)
            widget.blockSignals(False)
        self.pause_button.setText("Resume queue" if state.paused else "Pause queue")
        self.pause_button.setToolTip(
            "Start queued entries again" if state.paused
            else "Start no more entries; running ones go on"
        )  # fmt: skip
        self._update_buttons()

    def _entry(self):
        entry_id = self.selected_entry_id()
        return next((e for e in self.queue.state.entries if e.id == entry_id), None)

    def _update_buttons(self) -> None:
        entry = self._entry()
        entries = self.queue.state.entries
        index = entries.index(entry) if entry is not None else -1
        self.up_button.setEnabled(index > 0)
        self.down_button.setEnabled(0 <= index < len(entries) - 1)
        self.remove_button.setEnabled(entry is not None and entry.state != State.RUNNING)
        self.clear_button.setEnabled(any(e.ended for e in entries))

    def _move(self, offset: int) -> None:
        entry_id = self.selected_entry_id()
        if entry_id is not None:
            self.queue.move(entry_id, offset)

    def _remove(self) -> None:
        entry_id = self.selected_entry_id()
        if entry_id is not None:
            self.queue.remove(entry_id)


def _when(entry) -> str:
    """``added 14:02``, ``started 14:05`` or ``ended 14:09``: the entry's latest moment."""
    word, moment = "added", entry.added_at
    if entry.ended_at:
        word, moment = "ended", entry.ended_at
    elif entry.started_at:
        word, moment = "started", entry.started_at
    return f"{word} {time.strftime('%H:%M', time.localtime(moment))}"
