"""The coordinator's side of a trial worker process (see ``_trial_worker``).

Each worker's events go into one queue shared by all workers, as ``(slot, event)``; when a
worker's output ends the queue gets ``(slot, WorkerExited)``. The coordinator reads that one
queue, so it never blocks on a single worker.
"""

from __future__ import annotations

import collections
import json
import queue
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.events import Event
from engine.worker._processes import start_process

STDERR_LINES = 40


@dataclass(frozen=True)
class WorkerExited:
    """A worker's output ended: it exited (normally, or killed, or crashed)."""

    returncode: int | None
    stderr_tail: str


class TrialWorker:
    """One reusable worker process, pinned by ``env`` (``CUDA_VISIBLE_DEVICES``, threads)."""

    def __init__(self, slot: int, env: Mapping[str, str], events: queue.Queue) -> None:
        self.slot = slot
        self._events = events
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        # Forked from the app's zygote where there is one (it starts at once), else a fresh
        # process. Its own session: a terminal's Ctrl-C reaches the coordinator only, which
        # then decides whether running trials finish or stop.
        self.process = start_process("engine.sweeps._trial_worker", env, new_session=True)
        self._reader = threading.Thread(target=self._read, name=f"netyard-trial-{slot}")
        self._reader.daemon = True
        self._reader.start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    event = Event.from_json(line)
                except (ValueError, KeyError, TypeError):
                    continue  # a stray line that is not one of our events
                self._events.put((self.slot, event))
        returncode = self.process.wait()
        self._events.put((self.slot, WorkerExited(returncode, self.stderr_tail())))

    def _drain_stderr(self) -> None:
        # Read stderr all the time: a full pipe would block the worker's warnings.
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def _send(self, line: str) -> bool:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def start_trial(self, number: int, config: Mapping[str, Any], param_count: bool) -> bool:
        job = {"trial": number, "config": dict(config), "param_count": param_count}
        return self._send(json.dumps(job))

    def stop_trial(self, number: int) -> None:
        """Ask trial ``number`` to stop after its current step (pruned or cancelled)."""
        self._send(f"stop {number}")

    def close_input(self) -> None:
        """Close the worker's stdin: end of file stops any trial and ends the process."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass

    def close(self, timeout: float = 30.0) -> None:
        """End the process: end of file stops any trial; a kill if it does not exit in time."""
        self.close_input()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
