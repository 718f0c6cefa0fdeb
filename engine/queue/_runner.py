"""Running the queue headless (``netyard queue start``): entries in order, as many at once as
the queue allows, each in an engine process of one ``WorkerPool`` (``engine.worker`` for a
run, reused for the next run with its environment; ``engine.sweeps`` for a sweep), placed by
``engine.worker.place``, their events handed to ``emit(entry_id, event)``.

``stop()`` (safe from a signal handler: it only sets a flag) starts nothing more and asks the
running entries to stop; they go back in the queue at their place, so a later start runs
them again. Entries that others add, move or remove meanwhile are seen: the file is read
again every ``POLL_SECONDS``.
"""

from __future__ import annotations

import queue as threads_queue
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from engine.events import Event
from engine.queue._entries import QueueEntry
from engine.queue._owner import this_process
from engine.queue._store import RunQueue
from engine.states import Outcome, State, exited_outcome, outcome_of
from engine.worker import ProcessExited, WorkerPool, jobs_at_once, place, visible_gpus

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class EntryStarted(Event):
    kind: ClassVar[str] = "queue_entry_started"
    entry_id: int
    title: str
    entry_kind: str
    jobs_at_once: int


@dataclass(frozen=True)
class EntryEnded(Event):
    """An entry ended (``state``: finished, stopped, failed) or went back in the queue
    (``state`` queued: the runner stopped before it ended)."""

    kind: ClassVar[str] = "queue_entry_ended"
    entry_id: int
    state: str
    message: str = ""
    paused_queue: bool = False


@dataclass
class _Running:
    entry: QueueEntry
    weight: int
    gpu: str | None = None
    outcome: Outcome | None = None  # once the entry reported it
    stop_sent: bool = False


@dataclass(frozen=True)
class QueueSummary:
    finished: int
    failed: int  # failed, stopped or killed
    stopped: bool  # stop() ended it; what ran went back in the queue


class QueueRunner:
    def __init__(
        self,
        run_queue: RunQueue,
        emit: Callable[[int, Event], None],
        *,
        max_jobs: int | None = None,
        gpus: list[str] | None = None,
    ) -> None:
        self.queue = run_queue
        self.emit = emit
        self.max_jobs = max_jobs  # None: the queue's setting
        self.gpus = gpus
        self.stopping = False
        self.kill_requested = False
        self._pool = WorkerPool()  # its keys: the entries' ids
        self._running: dict[int, _Running] = {}
        self._counts: Counter[str] = Counter()
        self._owner: dict[str, Any] = {}

    def stop(self, kill: bool = False) -> None:
        """No new entries; running ones stop (``kill``: at once) and go back in the queue."""
        self.stopping = True
        self.kill_requested = self.kill_requested or kill

    def run(self) -> QueueSummary:
        """Until the queue has nothing left to start (or is paused) and nothing runs."""
        if self.gpus is None:
            self.gpus = visible_gpus()
        owner = self._owner = this_process()
        try:
            while True:
                if self.stopping:
                    self._stop_running()
                else:
                    self._start_what_fits(owner)
                if not self._running:
                    break
                try:
                    entry_id, item = self._pool.events.get(timeout=POLL_SECONDS)
                except threads_queue.Empty:
                    continue
                running = self._running.get(entry_id)
                if running is None:
                    continue  # an idle worker's, or one of an entry that has ended
                if isinstance(item, ProcessExited):
                    self._ended(running, item)
                else:
                    self._on_event(running, item)
        finally:
            self._pool.close()
        return QueueSummary(self._counts[State.FINISHED], self._counts[State.FAILED], self.stopping)

    # -- starting --------------------------------------------------------------------------------
    def _start_what_fits(self, owner: dict[str, Any]) -> None:
        state = self.queue.state()
        jobs = jobs_at_once(self.max_jobs or state.max_jobs, self.gpus or [])
        while True:
            free = jobs - sum(r.weight for r in self._running.values())
            entry = self.queue.claim_next(owner, free, jobs)
            if entry is None:
                return
            self._start(entry, jobs)

    def _start(self, entry: QueueEntry, jobs: int) -> None:
        gpu = None
        if entry.kind == "run":
            busy = Counter(r.gpu for r in self._running.values() if r.gpu)
            placement = place(entry.payload.get("device"), self.gpus or [], busy, jobs)
            gpu, config = placement.gpu, placement.run_config(entry.payload)
            self._pool.worker(entry.id, placement.environment).start_job(entry.id, config)
        else:  # a sweep places its own trials
            self._pool.start(entry.id, "engine.sweeps", {}).command("sweep", spec=entry.payload)
        self._running[entry.id] = _Running(entry, entry.weight(jobs), gpu)
        self.emit(entry.id, EntryStarted(entry.id, entry.title, entry.kind, jobs))

    # -- events and ends ---------------------------------------------------------------------------
    def _on_event(self, running: _Running, event: Event) -> None:
        outcome = outcome_of(event)
        self.emit(running.entry.id, event)
        if outcome is None or running.outcome is not None:
            return
        running.outcome = outcome
        if running.entry.kind == "run":  # its worker is free for the next run
            self._ended(running, None)

    def _ended(self, running: _Running, exited) -> None:
        """The entry reported its outcome (a run) or its process exited (``exited``)."""
        entry_id = running.entry.id
        del self._running[entry_id]
        self._pool.release(entry_id)
        outcome = running.outcome or exited_outcome(
            running.entry.kind, exited.returncode, exited.stderr_tail
        )
        state, message = outcome.state, outcome.message
        if self.stopping and state != State.FINISHED:
            self.queue.requeue([entry_id], self._owner)
            self.emit(entry_id, EntryEnded(entry_id, State.QUEUED, "stopped; back in the queue"))
            return
        paused = self.queue.finish(entry_id, state, message)
        self._counts[State.FINISHED if state == State.FINISHED else State.FAILED] += 1
        self.emit(entry_id, EntryEnded(entry_id, state, message, paused))

    def _stop_running(self) -> None:
        for running in self._running.values():
            process = self._pool.get(running.entry.id)
            if self.kill_requested:
                self._pool.kill(running.entry.id)
            elif not running.stop_sent:
                running.stop_sent = True
                # A run stops after its step (stopped, with a checkpoint); a sweep cancels
                # its running trials.
                if running.entry.kind == "run":
                    process.stop_job(running.entry.id)
                else:
                    process.command("cancel")
