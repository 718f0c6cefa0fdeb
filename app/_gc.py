"""Cyclic garbage collection in the GUI thread only, while a window of the app exists.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed. When that is a pool thread (an MLflow query, a server start-up) and the garbage
holds Qt objects, their C++ destructors run there, take Qt's locks and wait for the GIL, while
the GUI thread holds the GIL and waits for the same locks: the process freezes for good (seen
in the tests: a pool thread migrating an MLflow store collected a widget of an earlier window
while the GUI thread was deleting another). pyqtgraph's ``GarbageCollector`` shows the cure:
switch automatic collection off and collect on a timer in the GUI thread.

Collection is switched back on when the last window that asked for it is destroyed, after one
full collection in the GUI thread, so code running without a window (the engine's tests in
the same process) is not left without a collector.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

CHECK_INTERVAL_MS = 1000

_owners: set[int] = set()
_timer: QTimer | None = None
_was_enabled = True


def collect_in_gui_thread(owner: QObject) -> None:
    """Collect cyclic garbage only in the GUI thread for as long as ``owner`` lives."""
    global _timer, _was_enabled
    key = id(owner)
    if key in _owners:
        return
    if not _owners:
        _was_enabled = gc.isenabled()
        gc.disable()
        _timer = QTimer(QCoreApplication.instance())
        _timer.timeout.connect(_collect_due_generations)
        _timer.start(CHECK_INTERVAL_MS)
    _owners.add(key)
    # A plain function, not a method of the owner: it runs while the owner is destroyed.
    owner.destroyed.connect(lambda *_: _release(key))


def _release(key: int) -> None:
    global _timer
    _owners.discard(key)
    if _owners or _timer is None:
        return
    _timer.stop()
    _timer.deleteLater()
    _timer = None
    gc.collect()
    if _was_enabled:
        gc.enable()


def _collect_due_generations() -> None:
    """What the automatic collector would have done since the last check (as pyqtgraph)."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        gc.collect(generation)
