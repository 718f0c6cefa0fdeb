"""Web UIs started by the app (MLflow UI, Optuna Dashboard), stopped when the app quits.

Both listen on 127.0.0.1 on a free port. The MLflow server is the engine's ``MlflowServer``
(its security middleware left on); start-up polls for readiness, so it runs on a pool thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices

from app._tasks import run_in_background
from engine.tracking.server import LoopbackServer, MlflowServer

OPTUNA_START_SECONDS = 60


def _ensure_store(tracking_uri: str) -> None:
    from engine.tracking import open_client

    open_client(tracking_uri)


def open_in_browser(url: str) -> None:
    QDesktopServices.openUrl(QUrl(url))


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
        self.opener: Callable[[str], None] = open_in_browser

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
            run_in_background(
                server.start, lambda url: self._opened(url, path, on_ready), owner=self
            )

        # Create (migrate) a new store first, in the queue of the app's other MLflow work:
        # the server migrating it while the runs browser does the same breaks both.
        run_in_background(
            lambda: _ensure_store(tracking_uri), start_server, queue="mlflow", owner=self
        )

    def open_optuna(
        self, storage: str, path: str = "", on_ready: Callable[[str], None] | None = None
    ) -> None:
        dashboard = self.optuna.get(storage)
        if dashboard is not None and dashboard.running():
            self._opened(dashboard.url, path, on_ready)
            return
        dashboard = self.optuna[storage] = OptunaDashboard(storage)
        run_in_background(
            dashboard.start, lambda url: self._opened(url, path, on_ready), owner=self
        )

    def _opened(self, url: str, path: str, on_ready: Callable[[str], None] | None) -> None:
        full = f"{url}/{path.lstrip('/')}" if path else url
        self.opener(full)
        if on_ready is not None:
            on_ready(full)

    def stop_all(self) -> None:
        for server in self.mlflow.values():
            server.stop()
        for dashboard in self.optuna.values():
            dashboard.stop()
        self.mlflow.clear()
        self.optuna.clear()
