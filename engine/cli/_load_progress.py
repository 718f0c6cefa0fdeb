"""A long data load (an image folder decoded the first time, a large CSV) as a progress bar
in the command's status line (``engine.cli._status``), so the wait before training is
never silent.

On a terminal the bar is redrawn in place at most every ``REDRAW_SECONDS``; piped (a log, a
CI job) it is written at each quarter, so a log shows the load without hundreds of lines.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine.cli._progress import BAR_WIDTH
from engine.cli._status import say

REDRAW_SECONDS = 0.1
QUARTERS = 4


def load_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#####-----]  52 %`` for ``done`` of ``total``."""
    fraction = done / total if total else 1.0
    filled = int(round(fraction * width))
    return f"[{'#' * filled}{'-' * (width - filled)}] {fraction * 100:3.0f} %"


class LoadProgress:
    """A ``engine.data.Progress`` callback that shows each load step in the status line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        self.live = stream.isatty()
        self.last_step: tuple[str, int] | None = None  # (what, quarter) last written, piped
        self.last_draw = 0.0

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.live:
            now = time.monotonic()
            if done < total and now - self.last_draw < REDRAW_SECONDS:
                return
            self.last_draw = now
        else:
            step = (what, done * QUARTERS // max(1, total))
            if step == self.last_step:
                return
            self.last_step = step
        say(f"{what[:1].upper()}{what[1:]} {load_bar(done, total)} ({done:,} of {total:,})")
