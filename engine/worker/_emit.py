"""Events as JSON lines on a stream: what every engine process prints for its parent."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class JsonLines:
    """``emit(event)`` writes one JSON line and flushes; safe to call from any thread.

    Once the reader is gone (a broken pipe: the parent died) events are dropped: nobody is
    left to read them, and the run must still stop and end as it would have."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.reader_gone = False
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            if self.reader_gone:
                return
            try:
                self.stream.write(event.to_json() + "\n")
                self.stream.flush()
            except BrokenPipeError:
                self.reader_gone = True
