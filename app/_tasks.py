"""Short background tasks (MLflow queries, server start-up) on Qt's thread pool.

Training never runs here (it runs in worker processes); these are the short in-process jobs
that remain, in the shape of superqt's ``thread_worker``: a callable runs on a pool thread and
its result or exception comes back to the GUI thread as a signal. Exceptions never escape.
``LatestTask`` keeps one such task per widget, the latest winning. A task given a ``busy``
sentence shows it in the window's busy indicator until its answer arrives (``app._busy``).

Closing the app never waits for this work (start-up imports, the runs browser's first load,
a preview): ``begin_exit`` drops what has not started yet and the app leaves without joining
what runs (``app._exit``). Only a task started with ``finish_before_exit`` (a write the user
asked for: a note, a registered model, an exported file) is waited for.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import Shiboken

from app import _gc
from app._busy import busy_work


class TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str, str)  # message, traceback


class _Pending:
    """The tasks queued or running, for the exit (any thread).

    Each task has a number in the order it was queued; ``begin_exit`` notes the last one,
    and a task queued by then that has not started never will (unless it must finish).
    """

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._condition = threading.Condition()
        self._open: dict[int, bool] = {}  # number -> whether it must finish before the exit
        self._abandon_up_to = 0

    def add(self, must_finish: bool) -> int:
        with self._condition:
            number = next(self._numbers)
            self._open[number] = must_finish
            return number

    def skipped(self, number: int) -> bool:
        """Whether the task ``number``, about to start, is dropped: the app is leaving."""
        with self._condition:
            return number <= self._abandon_up_to and not self._open.get(number, False)

    def done(self, number: int) -> None:
        with self._condition:
            self._open.pop(number, None)
            self._condition.notify_all()

    def begin_exit(self) -> None:
        with self._condition:
            self._abandon_up_to = max(self._open, default=self._abandon_up_to)

    def count(self, must_finish_only: bool = False) -> int:
        with self._condition:
            return sum(1 for must in self._open.values() if must or not must_finish_only)

    def wait_for_must_finish(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: not any(self._open.values()), timeout)


_pending = _Pending()


class _Runnable(QRunnable):
    def __init__(self, function: Callable[[], Any], signals: TaskSignals, number: int) -> None:
        super().__init__()
        self.function = function
        self.signals = signals
        self.number = number
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            if _pending.skipped(self.number):
                return  # queued before the app began to leave: nobody waits for its answer
            try:
                result = self.function()
            except BaseException as error:  # noqa: BLE001 - reported to the GUI, never raised
                message = f"{type(error).__name__}: {error}"
                self.signals.failed.emit(message, traceback.format_exc())
                return
            self.signals.done.emit(result)
        finally:
            _pending.done(self.number)


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
    *,
    busy: str | None = None,
    finish_before_exit: bool = False,
) -> TaskSignals:
    """Run ``function`` on the global pool; call ``on_done(result)`` or ``on_error(msg, tb)``.

    The callbacks run in the GUI thread, and not at all once ``owner`` (a widget) is deleted.
    Without ``on_error`` the error goes to the app's error reporter: nothing fails silently.
    ``busy``: the sentence the busy indicator shows until the answer arrives.
    ``finish_before_exit``: closing the app waits for it (a write); other tasks are dropped.
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
    if busy:
        # Connected after the callbacks: work they chain on (a server started once its store
        # is ready) begins before this ends, so the indicator does not blink in between.
        work = busy_work()
        token = work.begin(busy)
        signals.done.connect(lambda _result: work.end(token))
        signals.failed.connect(lambda *_: work.end(token))
    # Garbage holding Qt objects must not be collected on the pool thread (see app._gc).
    _gc.hold(_any_pool_active)
    number = _pending.add(finish_before_exit)
    _pool(queue).start(_Runnable(function, signals, number))
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
        busy: str | None = None,
    ) -> None:
        """Run ``function`` as ``run_in_background`` does, superseding the task before.
        ``busy``: said while it runs (a superseded task's sentence goes when it returns)."""
        self._latest = token = object()

        def if_latest(callback: Callable) -> Callable:
            def call(*args: Any) -> None:
                if self._latest is token:
                    self._latest = None
                    callback(*args)

            return call

        on_error = on_error or _report_failure
        run_in_background(
            function, if_latest(on_done), if_latest(on_error), self.queue, self, busy=busy
        )

    def cancel(self) -> None:
        """Drop the answer of the task on its way, if any."""
        self._latest = None


def _pools() -> list[QThreadPool]:
    return [QThreadPool.globalInstance(), *_queues.values()]


def _any_pool_active() -> bool:
    # A pool thread counts as active until its task has returned and been deleted.
    return any(pool.activeThreadCount() for pool in _pools())


def begin_exit() -> None:
    """The app is leaving: tasks queued until now that have not started never will, except
    those that must finish before the exit."""
    _pending.begin_exit()


def pending_tasks(must_finish_only: bool = False) -> int:
    """How many tasks are queued or running (only those that must finish, if asked)."""
    return _pending.count(must_finish_only)


def wait_for_tasks_that_must_finish(timeout: float) -> bool:
    """Block until every ``finish_before_exit`` task has ended; False at ``timeout`` seconds."""
    return _pending.wait_for_must_finish(timeout)


def wait_for_background_tasks(timeout_ms: int = 30000) -> bool:
    """Block until every pool is idle (used at shutdown and by tests)."""
    idle = all([pool.waitForDone(timeout_ms) for pool in _pools()])
    if idle:
        _gc.release()
    return idle
