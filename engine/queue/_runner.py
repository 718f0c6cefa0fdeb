"""Running the queue headless (``netyard queue start``): entries in order, as many at once as
the queue allows, each in an engine process (``engine.worker`` for a run, ``engine.sweeps``
for a sweep) through the one launcher, their events handed to ``emit(entry_id, event)``.

``stop()`` (safe from a signal handler: it only sets a flag) starts nothing more and asks the
running entries to stop; they go back in the queue at their place, so a later start runs
them again. Entries that others add, move or remove meanwhile are seen: the file is read
again every ``POLL_SECONDS``.
"""

from __future__ import annotations

import json
import queue as threads_queue
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from engine.events import Event
from engine.queue._entries import QueueEntry
from engine.queue._owner import this_process
from engine.queue._placement import jobs_at_once, place_run
from engine.queue._store import RunQueue
from engine.states import Outcome, State, exited_outcome, outcome_of

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


@dataclass(eq=False)
class _Process:
    """One engine process of the runner and the entry it runs now (None: an idle worker)."""

    process: Any = None  # engine.worker.EngineProcess
    env: dict[str, str] | None = None
    entry_id: int | None = None


@dataclass
class _Running:
    entry: QueueEntry
    holder: _Process
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
        self._events: threads_queue.Queue[tuple[_Process, Any]] = threads_queue.Queue()
        self._running: dict[int, _Running] = {}
        # Workers whose run ended, kept for the next run with the same environment: the
        # worker program takes job after job, so imports are paid once, not per entry.
        self._idle: list[_Process] = []
        self._counts: Counter[str] = Counter()
        self._owner: dict[str, Any] = {}

    def stop(self, kill: bool = False) -> None:
        """No new entries; running ones stop (``kill``: at once) and go back in the queue."""
        self.stopping = True
        self.kill_requested = self.kill_requested or kill

    def run(self) -> QueueSummary:
        """Until the queue has nothing left to start (or is paused) and nothing runs."""
        from engine.worker import ProcessExited

        if self.gpus is None:
            from engine.sweeps import visible_gpus

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
                    holder, item = self._events.get(timeout=POLL_SECONDS)
                except threads_queue.Empty:
                    continue
                running = self._running.get(holder.entry_id) if holder.entry_id else None
                if isinstance(item, ProcessExited):
                    if holder in self._idle:
                        self._idle.remove(holder)
                    if running is not None:
                        self._ended(running, item)
                elif running is not None:
                    self._on_event(running, item)
        finally:
            self._close_idle()
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
        busy = Counter(r.gpu for r in self._running.values() if r.gpu)
        gpu = None
        if entry.kind == "run":
            config, env, gpu = place_run(entry.payload, self.gpus or [], busy, jobs)
            holder = self._worker(env)
            holder.entry_id = entry.id
            holder.process.start_job(entry.id, config)
        else:
            holder = self._process("engine.sweeps", {})
            holder.entry_id = entry.id
            holder.process.send(json.dumps(entry.payload))
        self._running[entry.id] = _Running(entry, holder, entry.weight(jobs), gpu)
        self.emit(entry.id, EntryStarted(entry.id, entry.title, entry.kind, jobs))

    def _worker(self, env: dict[str, str]) -> _Process:
        for holder in self._idle:
            if holder.env == env and holder.process.poll() is None:
                self._idle.remove(holder)
                return holder
        return self._process("engine.worker", env)

    def _process(self, module: str, env: dict[str, str]) -> _Process:
        from engine.worker import EngineProcess, Worker

        holder = _Process(env=env)

        def on_event(event) -> None:
            self._events.put((holder, event))

        def on_exit(exited) -> None:
            self._events.put((holder, exited))

        # Their own session: a terminal's Ctrl-C reaches this runner only, which decides.
        if module == "engine.worker":
            holder.process = Worker(env, on_event, on_exit, new_session=True)
        else:
            holder.process = EngineProcess(module, env, on_event, on_exit, new_session=True)
        return holder

    def _close_idle(self) -> None:
        for holder in self._idle:
            holder.process.close_input()  # all at once: they end in parallel
        for holder in self._idle:
            holder.process.close()
        self._idle.clear()

    # -- events and ends ---------------------------------------------------------------------------
    def _on_event(self, running: _Running, event: Event) -> None:
        outcome = outcome_of(event)
        self.emit(running.entry.id, event)
        if outcome is None or running.outcome is not None:
            return
        running.outcome = outcome
        if running.entry.kind == "run":  # its worker is free for the next run
            running.holder.entry_id = None
            self._idle.append(running.holder)
            self._ended(running, None)

    def _ended(self, running: _Running, exited) -> None:
        """The entry reported its outcome (a run) or its process exited (``exited``)."""
        entry_id = running.entry.id
        del self._running[entry_id]
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
            process = running.holder.process
            if self.kill_requested:
                process.kill()
            elif not running.stop_sent:
                running.stop_sent = True
                # A run stops after its step (stopped, with a checkpoint); a sweep cancels
                # its running trials.
                if running.entry.kind == "run":
                    process.stop_job(running.entry.id)
                else:
                    process.send("cancel")
