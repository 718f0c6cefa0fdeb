"""The one launcher: an engine process started (forked from the zygote where it can), its
events read by one thread, its stderr kept as one tail, lines written to its stdin.

``EngineProcess`` runs any engine program that prints events as JSON lines (the worker, a
sweep coordinator); ``Worker`` is one running ``python -m engine.worker`` with its job
protocol. Callbacks run on the reader thread: ``on_event(event)`` per event, then
``on_exit(ProcessExited)`` once, after the last event, when the process has ended.
"""

from __future__ import annotations

import collections
import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.events import Event
from engine.worker._processes import start_process
from engine.worker._protocol import command

STDERR_TAIL_CHARS = 8000


@dataclass(frozen=True)
class ProcessExited:
    """An engine process's output ended: it exited (normally, or killed, or crashed)."""

    returncode: int | None
    stderr_tail: str


def can_fork_for(device: str) -> bool:
    """Whether a worker for ``device`` may fork from the zygote: CUDA cannot be used in a
    process forked from one that imported torch's CUDA parts, so only where it will not run
    on a GPU (``auto`` on a machine with no NVIDIA driver node trains on the CPU)."""
    device = str(device or "auto").lower()
    return device == "cpu" or (device == "auto" and not os.path.exists("/dev/nvidiactl"))


class EngineProcess:
    """``python -m module`` with ``env`` added: events out, lines in, one stderr tail."""

    def __init__(
        self,
        module: str,
        env: Mapping[str, str],
        on_event: Callable[[Event], None],
        on_exit: Callable[[ProcessExited], None] = lambda exited: None,
        *,
        new_session: bool = False,
        fork: bool = True,
    ) -> None:
        self._on_event, self._on_exit = on_event, on_exit
        # Read stderr as it comes: a child that writes more than a pipe holds (warnings, a
        # chatty plugin) would otherwise block, and with it the events.
        self._stderr: collections.deque[str] = collections.deque()
        self._stderr_chars = 0
        self._stderr_lock = threading.Lock()
        self.process = start_process(module, env, new_session=new_session, fork=fork)
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()
        self._reader = threading.Thread(target=self._read, name=f"netyard-{module}")
        self._reader.daemon = True
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    event = Event.from_json(line)
                except (ValueError, KeyError, TypeError):
                    continue  # a stray line that is not one of our events
                self._on_event(event)
        returncode = self.process.wait()
        self._stderr_reader.join()
        self._on_exit(ProcessExited(returncode, self.stderr_tail()))

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._stderr_lock:
                self._stderr.append(line)
                self._stderr_chars += len(line)
                while self._stderr_chars > STDERR_TAIL_CHARS and len(self._stderr) > 1:
                    self._stderr_chars -= len(self._stderr.popleft())

    def stderr_tail(self) -> str:
        with self._stderr_lock:
            return "".join(self._stderr)[-STDERR_TAIL_CHARS:]

    def command(self, name: str, **fields: Any) -> bool:
        """Send one command (``engine.worker._protocol``); False if the process is gone."""
        return self.send(command(name, **fields))

    def send(self, line: str) -> bool:
        """Write one line to the process's stdin; False if it is gone."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def close_input(self) -> None:
        """Close the process's stdin: end of file tells an engine process to end."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the process has ended and its last event was handed on; False if it
        did not end within ``timeout`` seconds."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def close(self, timeout: float = 30.0) -> None:
        """End the process: end of file first, a kill if it does not exit in time."""
        self.close_input()
        if not self.wait(timeout):
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Worker(EngineProcess):
    """One ``python -m engine.worker``: jobs (run configs) in, their events out. Takes what
    ``EngineProcess`` takes after the module."""

    def __init__(self, env: Mapping[str, str], *callbacks, **options) -> None:
        super().__init__("engine.worker", env, *callbacks, **options)

    def start_job(self, number: int, config: Mapping[str, Any], param_count: bool = False) -> bool:
        return self.command("run", job=number, config=dict(config), param_count=param_count)

    def stop_job(self, number: int) -> None:
        """Ask job ``number`` to stop after its current step (even if it has not started)."""
        self.command("stop", job=number)
