"""What a command is doing while the user waits: one status line, said at once.

A command that takes more than a second (starting servers, loading a model, importing torch
and MLflow) says so before it starts. On a terminal the line is rewritten in place, a spinner
and the seconds spent at its end, and cleared when the command goes on to its own output;
piped (a log, a CI job) each step is one plain line, written once, so a log shows where the
time went without carriage returns in it. Lines go to stderr, like ``ProgressPrinter``'s:
stdout stays the command's result (``predict``'s CSV, ``--json``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

SPINNER = "|/-\\"
TICK_SECONDS = 0.2
DEFAULT_COLUMNS = 80
ELLIPSIS = "..."  # ends every status line: a step under way, never a result or an error


class Status:
    """``say(text)`` shows what is being done now; ``clear()`` (or leaving the ``with``
    block) removes the line before the command prints its own output.

    On a terminal a daemon thread redraws the line every ``TICK_SECONDS`` so a long step
    visibly lives; writes to the stream go through one lock with it.
    """

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = _is_terminal(self.stream) if live is None else live
        self.text = ""
        self.since = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def say(self, text: str) -> None:
        """Show ``text`` (a step, "Loading the model of run R": ``ELLIPSIS`` is added)."""
        with self._lock:
            self.text, self.since = text + ELLIPSIS, time.monotonic()
            if self.live:
                self._draw(0)
            else:
                self.stream.write(self.text + "\n")
                self.stream.flush()
        if self.live and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="status-line", daemon=True)
            self._ticker.start()

    def clear(self) -> None:
        """Stop redrawing and erase the line (a terminal); nothing to do when piped."""
        self._stop.set()
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join()
        with self._lock:
            if self.live and self.text:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            self.text = ""
        self._stop.clear()

    def _tick(self) -> None:
        frame = 0
        while not self._stop.wait(TICK_SECONDS):
            frame += 1
            with self._lock:
                if self.text:
                    self._draw(frame)

    def _draw(self, frame: int) -> None:
        seconds = time.monotonic() - self.since
        elapsed = f"  {seconds:.0f} s" if seconds >= 1 else ""
        line = f"{SPINNER[frame % len(SPINNER)]} {self.text}{elapsed}"
        # Within the terminal's width: "\r" returns only to the start of a wrapped line's
        # last row, and the rows above would stay on screen.
        width = _columns(self.stream)
        if len(line) >= width:
            line = line[: max(0, width - len(elapsed) - 4)] + "..." + elapsed
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()

    def __enter__(self) -> Status:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.clear()


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, ValueError, OSError):  # not a terminal's file (a test's buffer)
        return DEFAULT_COLUMNS


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or bare stream: write plain lines
        return False


# One status line per process, as a terminal has one line to rewrite: commands ``say`` what
# they do next and ``clear`` it before their own output; ``engine.cli.main`` clears it when
# a command ends, by an error too, so the error's line never lands after a spinner.
_current: Status | None = None


def say(text: str) -> None:
    """Show ``text`` as what the command is doing now (on stderr as it is at the first call)."""
    global _current
    if _current is None:
        _current = Status()
    _current.say(text)


def clear() -> None:
    """Erase the status line, if any; the next ``say`` starts a new one."""
    global _current
    current, _current = _current, None
    if current is not None:
        current.clear()


def cleared_first(emit: Callable[[Any], None]) -> Callable[[Any], None]:
    """``emit`` (a command's event printer) that clears the status line before each event:
    once a run or a sweep reports, its own progress line takes the terminal's line over."""

    def forward(event: Any) -> None:
        clear()
        emit(event)

    return forward
