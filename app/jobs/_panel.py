"""The jobs panel: every job with a progress bar, elapsed time and ETA; Stop, Kill, Re-run."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.jobs._job import Job
from app.jobs._manager import JobManager
from app.jobs._queue import AppQueue
from app.jobs._queue_panel import QueueSection
from engine.states import State

COLUMNS = ("Job", "State", "Progress", "Elapsed", "ETA", "Message")


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class JobsPanel(QWidget):
    """Lists jobs (sweeps with their trials as children) and acts on the selected one."""

    job_selected = Signal(object)

    def __init__(
        self, manager: JobManager, queue: AppQueue | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.manager = manager
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobsTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self._items: dict[int, QTreeWidgetItem] = {}
        self._jobs: dict[int, Job] = {}
        self._bars: dict[int, QProgressBar] = {}

        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(
            "Stop after the current step; the run ends KILLED with a checkpoint"
        )
        self.kill_button = QPushButton("Kill")
        self.kill_button.setToolTip("End the process now")
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip("Start the same configuration again")
        for button, handler in (
            (self.stop_button, lambda job: job.stop()),
            (self.kill_button, lambda job: job.kill()),
            (self.rerun_button, self.manager.rerun),
        ):
            button.clicked.connect(lambda _=False, act=handler: self._act(act))
        buttons = QHBoxLayout()
        for button in (self.stop_button, self.kill_button, self.rerun_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        # The run queue, where there is one: its rows on top of the tree, its controls below.
        self.queue_section = QueueSection(queue, self.tree, self) if queue is not None else None
        if self.queue_section is not None:
            layout.addWidget(self.queue_section.controls)

        self.tree.itemSelectionChanged.connect(self._selection_changed)
        manager.job_added.connect(self.add_job)
        for job in manager.jobs:
            self.add_job(job)
        # Elapsed time and ETA move on their own; one slow timer refreshes them all.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._refresh_times)
        self._clock.start()
        self._update_buttons()

    def add_job(self, job: Job, parent_item: QTreeWidgetItem | None = None) -> None:
        item = QTreeWidgetItem([job.title, job.state.label, "", "", "", ""])
        item.setData(0, Qt.ItemDataRole.UserRole, job.number)
        if parent_item is None:
            self.tree.addTopLevelItem(item)
        else:
            parent_item.addChild(item)
            parent_item.setExpanded(True)
        bar = QProgressBar()
        bar.setTextVisible(True)
        self.tree.setItemWidget(item, 2, bar)
        self._items[job.number] = item
        self._jobs[job.number] = job
        self._bars[job.number] = bar
        job.changed.connect(lambda job=job: self._refresh(job))
        child_added = getattr(job, "child_added", None)
        if child_added is not None:
            child_added.connect(lambda child, item=item: self.add_job(child, item))
        self._refresh(job)
        if parent_item is None:
            self.tree.setCurrentItem(item)

    def job_for_item(self, item: QTreeWidgetItem) -> Job | None:
        number = item.data(0, Qt.ItemDataRole.UserRole)
        return self._jobs[int(number)] if number is not None else None  # None: a queue row

    def item_for_job(self, job: Job) -> QTreeWidgetItem:
        return self._items[job.number]

    def selected_job(self) -> Job | None:
        item = self.tree.currentItem()
        return self.job_for_item(item) if item is not None else None

    def _act(self, action) -> None:
        job = self.selected_job()
        if job is not None:
            action(job)
        self._update_buttons()

    def _selection_changed(self) -> None:
        self._update_buttons()
        job = self.selected_job()
        if job is not None:
            self.job_selected.emit(job)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        active = job is not None and job.active
        self.stop_button.setEnabled(active and job.state != State.STOPPING)
        self.kill_button.setEnabled(active)
        can_rerun = job is not None and not job.active and getattr(job, "can_rerun", True)
        self.rerun_button.setEnabled(can_rerun)

    def _refresh(self, job: Job) -> None:
        item = self._items[job.number]
        item.setText(0, job.title)
        item.setText(1, job.state.label)
        item.setText(5, job.message)
        item.setToolTip(5, job.message)
        bar = self._bars[job.number]
        bar.setMaximum(max(job.total, 1))
        bar.setValue(min(job.progress, max(job.total, 1)))
        bar.setFormat(f"{job.progress}/{job.total}" if job.total else "")
        self._refresh_time(job)
        if job is self.selected_job():
            self._update_buttons()

    def _refresh_time(self, job: Job) -> None:
        item = self._items[job.number]
        item.setText(3, format_seconds(job.elapsed()))
        item.setText(4, format_seconds(job.eta()))

    def _refresh_times(self) -> None:
        for job in self._jobs.values():
            if job.active:
                self._refresh_time(job)
