"""Which query's runs the browser shows, a page at a time, and how many runs match it.

Pages are fetched on the "mlflow" queue; the count on a queue of its own, waiting for the
child process that pages through every match (seconds on a large store), so that it never
holds up the next page. Each of the three is a ``LatestTask``: a reply to a query that is no
longer the one asked for (the user changed the filter or the sort since) is dropped.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app._tasks import LatestTask
from app.browser._query import RunsPage, RunsQuery, count_runs, fetch_runs


class RunsPager(QObject):
    """``search`` a query, ``fetch_next`` its next page; the replies come as signals."""

    first_page = Signal(object)  # RunsPage: the first rows of a new query, shown from now on
    next_page = Signal(object)  # RunsPage: more rows of the shown query
    counted = Signal()  # ``total`` is known
    failed = Signal(str, str)  # what failed ("query", "page" or "count"), MLflow's one line

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.query: RunsQuery | None = None  # the query whose rows are shown
        self.total: int | None = None  # how many runs match it, once known
        self._received = 0
        self._uri = ""
        self._experiments: dict[str, str] = {}
        self._token: str | None = None
        self._first = LatestTask(self, "mlflow")  # the first page of the query asked for last
        self._next = LatestTask(self, "mlflow")  # the next page of the query shown
        self._count = LatestTask(self, "mlflow-count")  # how many runs match the query shown
        self._count_cancel = threading.Event()
        # Quitting waits for the pools: a count still running would hold the app up for seconds.
        QCoreApplication.instance().aboutToQuit.connect(self.stop_counting)

    @property
    def loading(self) -> bool:
        """Whether the first page of the query asked for last is still on its way."""
        return self._first.running

    @property
    def has_more(self) -> bool:
        return self._token is not None

    def search(self, tracking_uri: str, query: RunsQuery) -> None:
        self._count_cancel.set()  # the shown query's count would only slow this one down
        self._first.start(
            lambda: fetch_runs(tracking_uri, query),
            lambda page: self._first_arrived(tracking_uri, query, page),
            lambda message, _details: self._first_failed(message),
            busy="Loading runs…",
        )

    def forget(self) -> None:
        """Show nothing (the store changed): every reply still on its way is dropped."""
        for task in (self._first, self._next, self._count):
            task.cancel()
        self._count_cancel.set()
        self.query, self.total, self._token = None, None, None

    def fetch_next(self) -> None:
        if self._token is None:
            return
        uri, query, token, experiments = self._uri, self.query, self._token, self._experiments
        self._next.start(
            lambda: fetch_runs(uri, query, token, experiments),
            self._next_arrived,
            lambda message, _details: self.failed.emit("page", _one_line(message)),
        )

    # -- replies -----------------------------------------------------------------------------
    def _first_arrived(self, uri: str, query: RunsQuery, page: RunsPage) -> None:
        self._next.cancel()  # the rows before are gone, and so are their next pages and count
        self._count.cancel()
        self.query, self._uri, self._experiments = query, uri, page.experiments
        self._token, self._received = page.token, len(page)
        self.total = None if page.token else len(page)
        self.first_page.emit(page)
        if self.total is None:
            self._start_count()

    def _first_failed(self, message: str) -> None:
        self.failed.emit("query", _one_line(message))
        if self.query is not None and self.total is None:
            self._start_count()  # the rows still shown lost their count to the failed query

    def _next_arrived(self, page: RunsPage) -> None:
        self._token, self._received = page.token, self._received + len(page)
        if page.token is None and self.total is None:
            self._count_cancel.set()  # every match has come: that is the count
            self.total = self._received
        self.next_page.emit(page)

    # -- counting ----------------------------------------------------------------------------
    def stop_counting(self) -> None:
        """Kill the count in progress (nobody will read it); ``total`` stays unknown."""
        self._count_cancel.set()

    def _start_count(self) -> None:
        cancel = self._count_cancel = threading.Event()
        uri, query, experiments = self._uri, self.query, self._experiments
        # One count at a time: a stale one is killed before the next starts.
        self._count.start(
            lambda: count_runs(uri, query, experiments, cancel),
            self._counted,
            lambda message, _details: self.failed.emit("count", _one_line(message)),
        )

    def _counted(self, total: int | None) -> None:
        if total is None or self.total is not None:
            return
        self.total = total
        self.counted.emit()


# Class names before the message of an MLflow error, in this process or the counting one.
_MLFLOW_ERROR_NAMES = ("CountFailed: ", "mlflow.exceptions.MlflowException: ", "MlflowException: ")


def _one_line(message: str) -> str:
    """The first line of an error, without the class names of MLflow's own errors."""
    line = message.splitlines()[0] if message else message
    for name in _MLFLOW_ERROR_NAMES:
        line = line.removeprefix(name)
    return line
