"""The parent's side: start a worker, read its events, stop or kill it."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping

from engine.events import Event
from engine.worker._processes import start_process

STDERR_TAIL_CHARS = 4000


class WorkerProcess:
    """One run in a child process. Iterate ``events()`` until it ends, then read ``returncode``.

    ``env`` adds variables for the child (``CUDA_VISIBLE_DEVICES`` pins it to one GPU).
    """

    def __init__(self, config: Mapping, env: Mapping[str, str] | None = None) -> None:
        import json

        # Forked from a zygote only for a CPU run: its device is known to need no CUDA.
        cpu = str(config.get("device", "auto")).lower() == "cpu"
        self.process = start_process("engine.worker", env or {}, fork=cpu)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(dict(config)) + "\n")
        self.process.stdin.flush()
        self.stderr_tail = ""
        # Read stderr as it comes: a child that writes more than a pipe holds (64 KiB of
        # warnings, a chatty plugin) would otherwise block, and with it the events.
        self._stderr_lines: deque[str] = deque(maxlen=200)
        self._stderr_reader = threading.Thread(
            target=self._drain_stderr, name="netyard-worker-stderr", daemon=True
        )
        self._stderr_reader.start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr_lines.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def events(self) -> Iterator[Event]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if line.startswith("{"):
                yield Event.from_json(line)
        self.process.wait()
        self._stderr_reader.join()
        self.stderr_tail = "".join(self._stderr_lines)[-STDERR_TAIL_CHARS:]

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        """Ask the run to stop after its current step (it ends KILLED with a checkpoint)."""
        if self.process.poll() is None:
            try:
                self.process.stdin.write("stop\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.process.terminate()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout)
