"""The parent's side: start a worker, read its events, stop or kill it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping

from engine.events import Event


class WorkerProcess:
    """One run in a child process. Iterate ``events()`` until it ends, then read ``returncode``.

    ``env`` adds variables for the child (``CUDA_VISIBLE_DEVICES`` pins it to one GPU).
    """

    def __init__(self, config: Mapping, env: Mapping[str, str] | None = None) -> None:
        import json

        child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env,
            bufsize=1,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(dict(config)) + "\n")
        self.process.stdin.flush()
        self.stderr_tail = ""

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
        if self.process.stderr is not None:
            self.stderr_tail = self.process.stderr.read()[-4000:]

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
