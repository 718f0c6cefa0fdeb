"""Events as JSON lines on a stream: what every engine process prints for its parent."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class JsonLines:
    """``emit(event)`` writes one JSON line and flushes; safe to call from any thread."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self.stream.write(event.to_json() + "\n")
            self.stream.flush()
