"""Web UIs started by the app (MLflow UI, Optuna Dashboard), stopped when the app quits.

Both listen on 127.0.0.1 on a free port. The MLflow server is the engine's ``MlflowServer``
(its security middleware left on); start-up polls for readiness, so it runs on a pool thread,
the busy indicator saying so meanwhile. Where no browser opens, a dialog gives the address.

Closing the app (``close``) stops every server, those still starting included: a start in
progress is waited for until its process exists (milliseconds), and none starts after.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app._tasks import run_in_background
from app._url_dialog import open_in_browser
from engine.tracking.server import LoopbackServer, MlflowServer

OPTUNA_START_SECONDS = 60
LAUNCH_WAIT_SECONDS = 10  # from a start's first line to its process existing: milliseconds
STARTING_MLFLOW = "Starting the MLflow UI…"
STARTING_OPTUNA = "Starting Optuna Dashboard…"


def _ensure_store(tracking_uri: str) -> None:
    from engine.tracking import open_client

    open_client(tracking_uri)


class AppClosing(RuntimeError):
    """A web UI asked for while the app closes is not started."""


class OptunaDashboard(LoopbackServer):
    """Optuna Dashboard on a sweep storage, on loopback (``netyard ui optuna``)."""

    name = "Optuna Dashboard"
    health_path = "/api/meta"
    start_timeout_seconds = OPTUNA_START_SECONDS

    def __init__(self, storage: str) -> None:
        super().__init__()
        self.storage = storage

    def command(self, port: int) -> list[str]:
        # The engine's `netyard ui optuna` opens any Netyard storage (journal or RDB).
        command = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
        return [sys.executable, "-c", command, "ui", "optuna", "--storage", self.storage,
                "--port", str(port)]  # fmt: skip


class WebUIs(QObject):
    """One MLflow server per store and one dashboard per storage, reused while the app runs."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mlflow: dict[str, MlflowServer] = {}
        self.optuna: dict[str, OptunaDashboard] = {}
        self.opener: Callable[[str], object] = self._open_in_browser
        self._lock = threading.Lock()
        self._closed = False
        self._starting: set[LoopbackServer] = set()  # whose ``start`` runs on a pool thread

    def open_mlflow(
        self,
        tracking_uri: str,
        artifact_root: Path,
        path: str = "",
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        """Open the MLflow UI at ``path`` (``#/experiments/ID/runs/RUN``)."""
        if tracking_uri.startswith(("http://", "https://")):
            self._opened(tracking_uri.rstrip("/"), path, on_ready)
            return
        server = self.mlflow.get(tracking_uri)
        if server is not None and server.running():
            self._opened(server.url, path, on_ready)
            return
        server = self.mlflow[tracking_uri] = MlflowServer(tracking_uri, artifact_root)

        def start_server(_ready: object) -> None:
            self._start(server, STARTING_MLFLOW, lambda url: self._opened(url, path, on_ready))

        # Create (migrate) a new store first, in the queue of the app's other MLflow work:
        # the server migrating it while the runs browser does the same breaks both.
        run_in_background(
            lambda: _ensure_store(tracking_uri), start_server, queue="mlflow", owner=self,
            busy=STARTING_MLFLOW,
        )  # fmt: skip

    def open_optuna(
        self, storage: str, path: str = "", on_ready: Callable[[str], None] | None = None
    ) -> None:
        dashboard = self.optuna.get(storage)
        if dashboard is not None and dashboard.running():
            self._opened(dashboard.url, path, on_ready)
            return
        dashboard = self.optuna[storage] = OptunaDashboard(storage)
        self._start(dashboard, STARTING_OPTUNA, lambda url: self._opened(url, path, on_ready))

    def _start(self, server: LoopbackServer, busy: str, on_done: Callable[[str], None]) -> None:
        def start() -> str:
            with self._lock:
                if self._closed:
                    raise AppClosing(f"the app is closing: {server.name} is not started")
                self._starting.add(server)
            try:
                return server.start()
            finally:
                with self._lock:
                    self._starting.discard(server)

        run_in_background(start, on_done, self._start_failed, owner=self, busy=busy)

    def _start_failed(self, message: str, details: str) -> None:
        if not self._closed:
            from app._errors import report_error

            report_error("A web UI did not start", message, details)

    def _opened(self, url: str, path: str, on_ready: Callable[[str], None] | None) -> None:
        full = f"{url}/{path.lstrip('/')}" if path else url
        self.opener(full)
        if on_ready is not None:
            on_ready(full)

    def _open_in_browser(self, url: str) -> bool:
        parent = self.parent()
        return open_in_browser(url, parent if isinstance(parent, QWidget) else None, "the web UI")

    def stop_all(self) -> None:
        """Stop every server this app started, those still starting too."""
        with self._lock:
            starting = list(self._starting)
        deadline = time.monotonic() + LAUNCH_WAIT_SECONDS
        for server in starting:  # stopped once its process exists: stopping it before does nothing
            while server.process is None and server in self._starting:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
        for server in [*self.mlflow.values(), *self.optuna.values(), *starting]:
            server.stop()
        self.mlflow.clear()
        self.optuna.clear()

    def close(self) -> None:
        """The app closes: every server stopped, and none started from now on."""
        with self._lock:
            self._closed = True
        self.stop_all()
