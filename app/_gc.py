"""Cyclic garbage collection in the GUI thread only, while pool threads run Python code.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed. When that is a pool thread (an MLflow query, a server start-up) and the garbage
holds Qt objects, their C++ destructors run there, take Qt's locks and wait for the GIL, while
the GUI thread holds the GIL and waits for the same locks: the process freezes for good (seen
in the tests: a pool thread migrating an MLflow store collected a widget of an earlier window
while the GUI thread was deleting another). pyqtgraph's ``GarbageCollector`` shows the cure:
switch automatic collection off and collect on a timer in the GUI thread.

Here automatic collection is off only while background tasks may run (``hold`` before a task
starts); the timer hands it back once every pool is idle, and so does ``release`` after a
wait for the pools. Code that runs without the app's event loop (the engine's tests in the
same process) is never left without a collector.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QTimer

CHECK_INTERVAL_MS = 100

_timer: QTimer | None = None
_was_enabled = True


def _never_busy() -> bool:
    return False


_busy: Callable[[], bool] = _never_busy


def hold(busy: Callable[[], bool]) -> None:
    """Collect only in the GUI thread until ``busy()`` is false. Call from the GUI thread."""
    global _timer, _was_enabled, _busy
    _busy = busy
    if _timer is not None:
        return
    _was_enabled = gc.isenabled()
    gc.disable()
    _timer = QTimer()
    _timer.timeout.connect(_check)
    _timer.start(CHECK_INTERVAL_MS)


def release() -> None:
    """Automatic collection back on. Only once no pool thread runs Python code any more."""
    global _timer
    if _timer is None:
        return
    _timer.stop()
    _timer = None
    _collect_due_generations()
    if _was_enabled:
        gc.enable()


def holding() -> bool:
    return _timer is not None


def _check() -> None:
    _collect_due_generations()
    if not _busy():
        release()


def _collect_due_generations() -> None:
    """What the automatic collector would have done since the last check (as pyqtgraph)."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        gc.collect(generation)
