"""The one adapter from engine worker processes to Qt signals.

A ``QProcess`` runs ``python -m engine.worker`` (or any engine command that prints events as
JSON lines); its output is split into lines and decoded with ``Event.from_json`` on the GUI
thread as it arrives, so no thread of ours ever blocks on the pipe. Stopping writes "stop" to
the child's stdin (cooperative: the run ends KILLED with a checkpoint); killing is real.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from engine.events import Event

STDERR_TAIL_CHARS = 8000


class WorkerAdapter(QObject):
    """Runs one engine process; emits ``event(Event)`` per line and ``ended(exit_code)``."""

    event = Signal(object)
    ended = Signal(int)

    def __init__(
        self,
        module_args: Sequence[str] = ("-m", "engine.worker"),
        stdin_payload: Mapping | None = None,
        env: Mapping[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.process = QProcess(self)
        self.module_args = list(module_args)
        self.stdin_payload = stdin_payload
        self._buffer = b""
        self.stderr_tail = ""
        self.exit_code: int | None = None
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in {**(env or {}), "PYTHONUNBUFFERED": "1"}.items():
            environment.insert(key, value)
        self.process.setProcessEnvironment(environment)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        self.process.start(sys.executable, self.module_args)
        if self.stdin_payload is not None:
            self.process.write((json.dumps(dict(self.stdin_payload)) + "\n").encode())

    @property
    def pid(self) -> int:
        return int(self.process.processId())

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Ask the child to stop after its current step (graceful).

        A "stop" line, not SIGTERM: the line waits in the pipe while the child is still
        starting up (before it installs its signal handler), and is acted on once it runs.
        """
        if self.running:
            self.process.write(b"stop\n")

    def kill(self) -> None:
        if self.running:
            self.process.kill()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the child ends (shutdown only); buffered events are still delivered."""
        if not self.running:
            return True
        finished = self.process.waitForFinished(timeout_ms)
        self._read_stdout()
        return finished

    # -- process signals ---------------------------------------------------------------------
    def _read_stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace").strip()
            if not line.startswith("{"):
                continue
            try:
                event = Event.from_json(line)
            except (ValueError, KeyError, TypeError):
                continue  # not one of ours (a library printing to stdout)
            self.event.emit(event)

    def _read_stderr(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode(errors="replace")
        self.stderr_tail = (self.stderr_tail + text)[-STDERR_TAIL_CHARS:]

    def _finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        self.exit_code = -9 if crashed else exit_code
        self.ended.emit(self.exit_code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.stderr_tail += f"\ncould not start {sys.executable}: {self.process.errorString()}"
            self.exit_code = -1
            self.ended.emit(-1)
