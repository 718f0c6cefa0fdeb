"""The app's side of the run queue: the workspace's persisted queue (``engine.queue``) run
through the app's ``JobManager``, as many entries at once as the queue allows, each run placed
(its GPU, its CPU threads) by ``engine.worker.place`` as the headless runner places its own.

The queue file is the truth: every change goes through it (under its lock), and changes made
elsewhere (``netyard queue add`` in a terminal, another window) are seen within a second.
Entries this window started and had not finished when it closes go back in the queue at
their place (they run again from the start next time); so do those of a window that crashed.
A job stopped or killed from the Jobs panel ends its entry so (stopped, killed), and the queue
moves on.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.jobs._job import Job
from app.jobs._manager import JobManager
from engine.errors import UsageError
from engine.queue import QueueEntry, QueueState, RunQueue, this_process
from engine.runner import RunConfig
from engine.states import State
from engine.worker import jobs_at_once, place

POLL_MS = 1000


class AppQueue(QObject):
    """``changed`` fires when the queue's entries or settings, or one of its jobs' states,
    changed; ``problem(sentence)`` when a change was refused."""

    changed = Signal()
    problem = Signal(str)

    def __init__(self, manager: JobManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.store: RunQueue | None = None
        self.state = QueueState()
        self.gpus: list[str] = []
        self.jobs: dict[int, Job] = {}  # entry id -> the job this window started for it
        self._gpu_of: dict[int, str | None] = {}  # entry id -> the GPU its run is pinned to
        self._weight: dict[int, int] = {}  # entry id -> its share of the jobs at once
        self._ready = False  # the GPUs are known: entries may start
        self._closing = False
        self._seen_mtime = -1.0
        self._owner = this_process()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- set-up ---------------------------------------------------------------------------------
    def set_workspace(self, root: str) -> None:
        store = RunQueue.of_workspace(root)
        if self.store is not None and store.path != self.store.path:
            # Jobs started for the other workspace's queue go on and record their ends there.
            self.jobs, self._gpu_of, self._weight = {}, {}, {}
        self.store = store
        self._timer.start()
        self.reload()

    def set_gpus(self, gpus: list[str]) -> None:
        """The GPUs to place runs on; entries start only once they are known."""
        self.gpus = list(gpus)
        self._ready = True
        self.schedule()

    def jobs_at_once(self) -> int:
        return jobs_at_once(self.state.max_jobs, self.gpus)

    # -- changes from the GUI ---------------------------------------------------------------------
    def add(self, kind: str, payload: dict[str, Any]) -> QueueEntry | None:
        entry = self._do(lambda store: store.add(kind, payload))
        self.schedule()
        return entry

    def remove(self, entry_id: int) -> None:
        self._do(lambda store: store.remove(entry_id))

    def move(self, entry_id: int, offset: int) -> None:
        """Up (``offset`` -1) or down (+1) one place."""
        ids = [entry.id for entry in self.state.entries]
        if entry_id in ids:
            position = min(max(ids.index(entry_id) + 1 + offset, 1), len(ids))
            self._do(lambda store: store.move(entry_id, position))

    def clear_ended(self) -> None:
        self._do(lambda store: store.clear_ended())

    def set_paused(self, paused: bool) -> None:
        self._do(lambda store: store.set_paused(paused))
        self.schedule()

    def set_max_jobs(self, max_jobs: int | None) -> None:
        self._do(lambda store: store.set_settings(max_jobs=max_jobs))
        self.schedule()

    def set_stop_on_failure(self, stop: bool) -> None:
        self._do(lambda store: store.set_settings(stop_on_failure=stop))

    def _do(self, change):
        if self.store is None:
            return None
        try:
            result = change(self.store)
        except UsageError as error:  # another process changed the queue meanwhile
            self.problem.emit(str(error))
            result = None
        self.reload()
        return result

    # -- running --------------------------------------------------------------------------------
    def reload(self) -> None:
        if self.store is None:
            return
        self._seen_mtime = self.store.mtime()
        try:
            self.state = self.store.state()
        except UsageError as error:  # an unreadable file: said once per change of it
            self.problem.emit(str(error))
            self.state = QueueState()
        self.changed.emit()

    def _poll(self) -> None:
        if self.store is not None and self.store.mtime() != self._seen_mtime:
            self.reload()
            self.schedule()

    def schedule(self) -> None:
        """Start the queued entries that fit, in order, unless paused."""
        if self.store is None or not self._ready or self._closing:
            return
        started = False
        try:
            while True:
                jobs = self.jobs_at_once()
                used = sum(self._weight[i] for i, job in self.jobs.items() if job.active)
                entry = self.store.claim_next(self._owner, jobs - used, jobs)
                if entry is None:
                    break
                self._start(entry, jobs)
                started = True
        except UsageError as error:
            self.problem.emit(str(error))
        if started:
            self.reload()

    def _start(self, entry: QueueEntry, jobs: int) -> None:
        if entry.kind == "run":
            busy = Counter(self._gpu_of.get(i) for i, job in self.jobs.items() if job.active)
            config = RunConfig.from_dict(entry.payload)  # checked when the queue file was read
            placement = place(config.device, self.gpus, busy, jobs)
            config = dataclasses.replace(config, threads=placement.threads_for(config.threads))
            job = self.manager.start_run(config, placement.environment)
            self._gpu_of[entry.id] = placement.gpu
        else:
            job = self.manager.start_sweep(entry.payload)
        job.queue_entry = entry.id
        self._weight[entry.id] = entry.weight(jobs)
        self.jobs[entry.id] = job
        store, last = self.store, [job.state]  # the workspace may change while it runs

        def changed(job=job, entry_id=entry.id) -> None:
            if job.state == last[0]:
                return
            last[0] = job.state
            if not job.active and not self._closing:
                self._ended(store, entry_id, job)
            self.changed.emit()

        job.changed.connect(changed)
        if not job.active:  # it could not even start
            changed()

    def _ended(self, store: RunQueue, entry_id: int, job: Job) -> None:
        try:
            paused = store.finish(entry_id, job.state, job.message)
        except UsageError as error:
            self.problem.emit(str(error))
            return
        if paused:
            self.problem.emit(f"the queue is paused: {job.title} failed (stop on failure)")
        self.reload()
        self.schedule()

    def shutdown(self) -> None:
        """The window closes: what it runs for the queue goes back in the queue."""
        self._closing = True
        self._timer.stop()
        ours = [entry_id for entry_id, job in self.jobs.items() if job.active]
        if self.store is not None and ours:
            self.store.requeue(ours, self._owner)

    def entry_state(self, entry: QueueEntry) -> str:
        """What the Jobs panel shows, in capitals like the jobs' states: QUEUED or PAUSED
        while it waits, then its job's state where this window runs it, else the stored one
        (RUNNING in another process: ``netyard queue start``)."""
        job = self.jobs.get(entry.id)
        if entry.state == State.QUEUED:
            return "PAUSED" if self.state.paused else State.QUEUED.label
        if job is not None and (job.active or entry.state == State.RUNNING):
            return job.state.label
        return State(entry.state).label
