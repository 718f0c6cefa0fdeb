"""Short background tasks (MLflow queries, server start-up) on Qt's thread pool.

Training never runs here (it runs in worker processes); these are the short in-process jobs
that remain, in the shape of superqt's ``thread_worker``: a callable runs on a pool thread and
its result or exception comes back to the GUI thread as a signal. Exceptions never escape.
``LatestTask`` keeps one such task per widget, the latest winning.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import Shiboken

from app import _gc


class TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str, str)  # message, traceback


class _Runnable(QRunnable):
    def __init__(self, function: Callable[[], Any], signals: TaskSignals) -> None:
        super().__init__()
        self.function = function
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.function()
        except BaseException as error:  # noqa: BLE001 - reported to the GUI, never raised
            self.signals.failed.emit(f"{type(error).__name__}: {error}", traceback.format_exc())
            return
        self.signals.done.emit(result)


_live: set[TaskSignals] = set()
_queues: dict[str, QThreadPool] = {}


def _pool(queue: str | None) -> QThreadPool:
    """The shared pool, or a one-thread pool per named queue.

    MLflow work goes through the ``"mlflow"`` queue: importing mlflow from two threads at once
    trips over its circular imports, and a new SQLite store must not be created twice at once.
    """
    if queue is None:
        return QThreadPool.globalInstance()
    pool = _queues.get(queue)
    if pool is None:
        pool = _queues[queue] = QThreadPool()
        pool.setMaxThreadCount(1)
    return pool


def run_in_background(
    function: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
    queue: str | None = None,
    owner: QObject | None = None,
) -> TaskSignals:
    """Run ``function`` on the global pool; call ``on_done(result)`` or ``on_error(msg, tb)``.

    The callbacks run in the GUI thread, and not at all once ``owner`` (a widget) is deleted.
    Without ``on_error`` the error goes to the app's error reporter: nothing fails silently.
    """
    signals = TaskSignals()
    _live.add(signals)  # keep the QObject alive until a result arrives
    if owner is not None:
        # A result that arrives after its widget is gone (window closed) is dropped.
        on_done = _while_alive(owner, on_done)
        on_error = _while_alive(owner, on_error) if on_error is not None else None
    if on_done is not None:
        signals.done.connect(on_done)
    signals.failed.connect(on_error or _report_failure)
    signals.done.connect(lambda _result: _live.discard(signals))
    signals.failed.connect(lambda *_: _live.discard(signals))
    # Garbage holding Qt objects must not be collected on the pool thread (see app._gc).
    _gc.hold(_any_pool_active)
    _pool(queue).start(_Runnable(function, signals))
    return signals


def _report_failure(message: str, details: str) -> None:
    from app._errors import report_error

    report_error("A background task failed", message, details)


def _while_alive(owner: QObject, callback: Callable | None) -> Callable | None:
    if callback is None:
        return None

    def call(*args: Any) -> None:
        if Shiboken.isValid(owner):
            callback(*args)

    return call


class LatestTask(QObject):
    """One background task at a time for its parent widget, the latest winning (the shape of
    Orange's ``ConcurrentWidgetMixin``): ``start`` supersedes the task before, whose result or
    failure is then dropped, and ``cancel`` drops the answer still on its way. GUI thread only.

    A superseded function still runs to its end on its pool thread: one that can stop early
    checks a flag of its own (``RunsPager``'s count does).
    """

    def __init__(self, parent: QObject, queue: str | None = None) -> None:
        super().__init__(parent)  # deleted with it, and so are the answers still to come
        self.queue = queue
        self._latest: object | None = None  # the token of the task whose answer is awaited

    @property
    def running(self) -> bool:
        """Whether the latest task's answer is still on its way."""
        return self._latest is not None

    def start(
        self,
        function: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str, str], None] | None = None,
    ) -> None:
        """Run ``function`` as ``run_in_background`` does, superseding the task before."""
        self._latest = token = object()

        def if_latest(callback: Callable) -> Callable:
            def call(*args: Any) -> None:
                if self._latest is token:
                    self._latest = None
                    callback(*args)

            return call

        on_error = on_error or _report_failure
        run_in_background(function, if_latest(on_done), if_latest(on_error), self.queue, self)

    def cancel(self) -> None:
        """Drop the answer of the task on its way, if any."""
        self._latest = None


def _pools() -> list[QThreadPool]:
    return [QThreadPool.globalInstance(), *_queues.values()]


def _any_pool_active() -> bool:
    # A pool thread counts as active until its task has returned and been deleted.
    return any(pool.activeThreadCount() for pool in _pools())


def wait_for_background_tasks(timeout_ms: int = 30000) -> bool:
    """Block until every pool is idle (used at shutdown and by tests)."""
    idle = all([pool.waitForDone(timeout_ms) for pool in _pools()])
    if idle:
        _gc.release()
    return idle
