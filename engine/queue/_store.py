"""The queue file in the workspace (``queue.json``): read, changed under a file lock, written
whole to a temporary file and renamed over the old one, so that a crash or a full disk leaves
the old queue or the new one, never half of one.

Every change reads the file afresh under the lock: the app, ``netyard queue`` commands and a
``netyard queue start`` in another terminal may change the same queue, and each sees the
others' changes. An entry marked running whose process is gone (a crash, a kill, the
machine's power) goes back to ``queued`` at its place the next time the queue is read: it was
interrupted, not finished, so it runs again from its start (its MLflow run of the
interrupted attempt is marked FAILED by the usual reconciliation).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from engine.errors import UsageError
from engine.queue._checks import InvalidQueue, check_queue
from engine.queue._entries import KINDS, STATES, QueueEntry, QueueState, entry_title
from engine.queue._owner import is_alive
from engine.states import State

FILE_NAME = "queue.json"
INTERRUPTED = "interrupted; runs again from its start"
T = TypeVar("T")
UNCHANGED = object()


def queue_path(workspace_root: str | os.PathLike[str]) -> Path:
    return Path(workspace_root) / FILE_NAME


class RunQueue:
    """The persisted queue of one workspace; every method reads (and writes) the file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def of_workspace(cls, workspace_root: str | os.PathLike[str]) -> RunQueue:
        return cls(queue_path(workspace_root))

    # -- reading --------------------------------------------------------------------------------
    def state(self) -> QueueState:
        """The queue as it is now, with entries of dead runners put back in the queue."""
        state = self._read()
        if any(e.state == State.RUNNING and not is_alive(e.owner) for e in state.running()):
            return self._change(lambda s: s)  # the recovery is written by ``_change``
        return state

    def mtime(self) -> float:
        """When the file last changed (0 before there is one): cheap to poll."""
        try:
            return self.path.stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return 0.0

    def entry(self, entry_id: int) -> QueueEntry:
        return _find(self.state(), entry_id)

    # -- changing ---------------------------------------------------------------------------------
    def add(self, kind: str, payload: dict[str, Any], title: str | None = None) -> QueueEntry:
        """Append a run (``RunConfig.to_dict()``) or sweep (``SweepSpec.to_dict()``); the caller
        has validated it."""
        if kind not in KINDS:
            raise UsageError(f"invalid queue entry kind {kind!r}: expected one of run, sweep")

        def add(state: QueueState) -> QueueEntry:
            entry = QueueEntry(
                id=state.next_id,
                kind=kind,
                payload=json.loads(json.dumps(payload)),  # plain JSON data, a copy
                title=title or entry_title(kind, payload),
                added_at=time.time(),
            )
            state.next_id += 1
            state.entries.append(entry)
            return entry

        return self._change(add)

    def remove(self, entry_id: int) -> QueueEntry:
        def remove(state: QueueState) -> QueueEntry:
            entry = _find(state, entry_id)
            if entry.state == State.RUNNING:
                raise UsageError(
                    f"queue entry {entry_id} is running; stop its job first, then remove it"
                )
            state.entries.remove(entry)
            return entry

        return self._change(remove)

    def clear_ended(self) -> int:
        """Remove every finished, failed and killed entry; returns how many."""

        def clear(state: QueueState) -> int:
            before = len(state.entries)
            state.entries = [e for e in state.entries if not e.ended]
            return before - len(state.entries)

        return self._change(clear)

    def move(self, entry_id: int, position: int) -> QueueEntry:
        """Put the entry at ``position`` (1 is the first) of the list."""

        def move(state: QueueState) -> QueueEntry:
            entry = _find(state, entry_id)
            count = len(state.entries)
            if not 1 <= position <= count:
                raise UsageError(f"invalid position {position}: expected 1 to {count}")
            state.entries.remove(entry)
            state.entries.insert(position - 1, entry)
            return entry

        return self._change(move)

    def set_paused(self, paused: bool) -> None:
        self._change(lambda state: setattr(state, "paused", paused))

    def set_settings(
        self, max_jobs: int | None | object = UNCHANGED, stop_on_failure: bool | None = None
    ) -> QueueState:
        """``max_jobs`` (None: one per GPU, else one) and ``stop_on_failure``, where given."""
        if max_jobs not in (UNCHANGED, None) and not 1 <= int(max_jobs) <= 1024:
            raise UsageError(f"invalid number of jobs at once {max_jobs!r}: expected 1 to 1024")

        def update(state: QueueState) -> QueueState:
            if max_jobs is not UNCHANGED:
                state.max_jobs = max_jobs
            if stop_on_failure is not None:
                state.stop_on_failure = stop_on_failure
            return state

        return self._change(update)

    # -- running ----------------------------------------------------------------------------------
    def claim_next(self, owner: dict[str, Any], free: int, jobs_at_once: int) -> QueueEntry | None:
        """Mark the first queued entry running for ``owner`` and return it, if the queue is not
        paused and it fits in ``free`` of ``jobs_at_once``. Entries start strictly in order: a
        sweep that needs more room than is free holds back the entries behind it. What other
        runners of the queue run (the app's window beside ``netyard queue start``) takes its
        room too: the limit is the queue's, not each runner's."""

        def claim(state: QueueState) -> QueueEntry | None:
            waiting = state.queued()
            running = sum(entry.weight(jobs_at_once) for entry in state.running())
            room = min(free, jobs_at_once - running)
            if state.paused or not waiting or waiting[0].weight(jobs_at_once) > room:
                return None
            entry = waiting[0]
            entry.state, entry.owner, entry.message = State.RUNNING, dict(owner), ""
            entry.started_at, entry.ended_at = time.time(), None
            return entry

        return self._change(claim)

    def finish(self, entry_id: int, state_name: str, message: str = "") -> bool:
        """Record how a running entry ended; True if that paused the queue (a failure, with
        ``stop_on_failure``). An entry removed meanwhile is let go."""
        if state_name not in STATES:
            raise ValueError(f"unknown queue entry state {state_name!r}")

        def finish(state: QueueState) -> bool:
            entry = next((e for e in state.entries if e.id == entry_id), None)
            if entry is None:
                return False
            entry.state, entry.message, entry.owner = state_name, message, None
            entry.ended_at = time.time()
            if state_name == State.FAILED and state.stop_on_failure and not state.paused:
                state.paused = True
                return True
            return False

        return self._change(finish)

    def requeue(
        self, entry_ids: list[int], owner: dict[str, Any], message: str = INTERRUPTED
    ) -> None:
        """Put entries that ``owner`` runs back in the queue at their place (it stops)."""

        def requeue(state: QueueState) -> None:
            for entry in state.entries:
                if entry.id in entry_ids and entry.state == State.RUNNING and entry.owner == owner:
                    _back_in_queue(entry, message)

        self._change(requeue)

    # -- the file ---------------------------------------------------------------------------------
    def _read(self) -> QueueState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return QueueState()
        try:
            data = json.loads(text)
            check_queue(data)
        except InvalidQueue as error:
            raise UsageError(
                f"the queue file {self.path} is not valid: {error}; correct it or move it away "
                "to start an empty queue"
            ) from None
        except ValueError as error:
            raise UsageError(
                f"the queue file {self.path} cannot be read ({error}); move it away to start "
                "an empty queue"
            ) from None
        return QueueState.from_dict(data)

    def _change(self, change: Callable[[QueueState], T]) -> T:
        with self._locked():
            state = self._read()
            before = state.to_dict()
            for entry in state.running():
                if not is_alive(entry.owner):
                    _back_in_queue(entry, INTERRUPTED)
            result = change(state)
            if state.to_dict() != before:  # runners ask often; the file changes when it does
                self._write(state)
            return result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _write(self, state: QueueState) -> None:
        text = json.dumps(state.to_dict(), indent=1)
        handle, temporary = tempfile.mkstemp(prefix=".queue-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _back_in_queue(entry: QueueEntry, message: str) -> None:
    entry.state, entry.owner, entry.message = State.QUEUED, None, message
    entry.started_at = entry.ended_at = None


def _find(state: QueueState, entry_id: int) -> QueueEntry:
    for entry in state.entries:
        if entry.id == entry_id:
            return entry
    ids = ", ".join(str(e.id) for e in state.entries) or "none, the queue is empty"
    raise UsageError(f"no queue entry {entry_id}; entries: {ids}")
