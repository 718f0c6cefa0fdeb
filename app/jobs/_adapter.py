"""The one adapter from engine processes to Qt signals.

The engine's launcher (``engine.worker.EngineProcess``) starts the process, forked from the
zygote where it can, and reads its events on a thread of its own; each event is re-emitted
here as a Qt signal, which Qt queues to the GUI thread, so no GUI code blocks on a pipe and
the order of events (then ``ended``) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QObject, Signal

from engine.worker import EngineProcess, ProcessExited


class WorkerAdapter(QObject):
    """Runs one engine program (``python -m module``); its first stdin line is ``first_line``.

    Emits ``event(Event)`` per event and ``ended(exit_code)`` once, after the last event.
    """

    event = Signal(object)
    ended = Signal(int)

    def __init__(
        self,
        module: str,
        first_line: str,
        env: Mapping[str, str] | None = None,
        *,
        fork: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.module = module
        self.first_line = first_line
        self.env = dict(env or {})
        self.fork = fork
        self.process: EngineProcess | None = None
        self.stderr_tail = ""
        self.exit_code: int | None = None

    def start(self) -> None:
        try:
            self.process = EngineProcess(
                self.module, self.env, self.event.emit, self._exited, fork=self.fork
            )
        except OSError as error:
            self.stderr_tail = f"could not start the {self.module} process: {error}"
            self.exit_code = -1
            self.ended.emit(-1)
            return
        self.send(self.first_line)

    def _exited(self, exited: ProcessExited) -> None:  # on the launcher's reader thread
        self.stderr_tail = exited.stderr_tail
        self.exit_code = exited.returncode if exited.returncode is not None else -1
        self.ended.emit(self.exit_code)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, line: str) -> None:
        """One line to the process's stdin; a line sent while it still starts up waits in the
        pipe and is acted on once it runs."""
        if self.running:
            self.process.send(line)

    def close_input(self) -> None:
        if self.process is not None:
            self.process.close_input()

    def kill(self) -> None:
        if self.running:
            self.process.kill()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the process ends (shutdown only); its last events are delivered."""
        if self.process is None:
            return True
        ended = self.process.wait(timeout_ms / 1000)
        if ended:
            QCoreApplication.sendPostedEvents()  # the queued events and ``ended``
        return ended
