"""The team's shared services on one machine (``netyard server``): an ``mlflow server`` with a
database backend and proxied artifacts, and the Optuna storage workers join; optionally the
private PostgreSQL cluster both live in.

Existing engines only: MLflow's own tracking server, PostgreSQL, Optuna's RDB storage. The
URLs workers need are the ones printed by ``announcement``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from engine.database_urls import hide_password
from engine.errors import UsageError
from engine.services._postgres import PostgresCluster
from engine.tracking.server import MlflowServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 5000


def public_host(bind: str) -> str:
    """How other machines name this one: the bound address, or the host name for a
    wildcard bind (0.0.0.0 / ::)."""
    if bind in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    return bind


@dataclass
class TeamServices:
    host: str
    artifacts: Path
    postgres: PostgresCluster | None = None
    backend_store_uri: str = ""
    storage_url: str = ""
    allowed_hosts: str | None = None
    tracking: MlflowServer | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.postgres is None and not (self.backend_store_uri and self.storage_url):
            raise UsageError(
                "give --postgres-dir DIR (a private PostgreSQL cluster there, made on first "
                "use) or both --backend-store-uri URL (MLflow's database) and --storage URL "
                "(Optuna's)"
            )
        if self.backend_store_uri and self.backend_store_uri == self.storage_url:
            raise UsageError(
                f"--backend-store-uri and --storage are the same database "
                f"({hide_password(self.storage_url)}): MLflow and Optuna each need their own "
                f"(both keep an alembic_version table)"
            )

    @property
    def loopback_only(self) -> bool:
        return self.host in LOOPBACK

    def start(self, port: int = DEFAULT_PORT) -> None:
        """Start the database (if private) and the tracking server; on a failure, stop what
        had started."""
        try:
            if self.postgres is not None:
                self.postgres.listen = self.host if not self.loopback_only else "127.0.0.1"
                self.postgres.start()
                self.backend_store_uri = self.postgres.url("mlflow")
                self.storage_url = self.postgres.url("optuna", public_host(self.host))
            self.artifacts.mkdir(parents=True, exist_ok=True)
            self.tracking = MlflowServer(
                self.backend_store_uri,
                proxied_artifacts=self.artifacts,
                host=self.host,
                allowed_hosts=self.allowed_hosts,
                workers=2,
            )
            try:
                self.tracking.start(port)
            except RuntimeError as error:
                raise UsageError(str(error)) from None
        except BaseException:
            self.stop()
            raise

    @property
    def tracking_url(self) -> str:
        assert self.tracking is not None and self.tracking.url is not None
        port = self.tracking.url.rsplit(":", 1)[1]
        return f"http://{public_host(self.host)}:{port}"

    def wait(self) -> int:
        assert self.tracking is not None
        return self.tracking.wait()

    def stop(self) -> None:
        """The tracking server first (it holds database sessions), then the cluster."""
        try:
            if self.tracking is not None:
                self.tracking.stop()
        finally:
            if self.postgres is not None and self.postgres.started_here:
                self.postgres.stop()

    def announcement(self) -> str:
        lines = [
            "Netyard team server",
            f"  Tracking URI (MLflow):   {self.tracking_url}",
            f"  Optuna storage:          {self.storage_url}",
            f"  Artifacts kept in:       {self.artifacts}",
            "Start a sweep here or on any machine that reaches these:",
            f"  netyard sweep PLUGIN --dataset ID --name STUDY --storage '{self.storage_url}' "
            f"--tracking-uri {self.tracking_url}",
            "Join it from each worker machine:",
            f"  netyard worker --study STUDY --storage '{self.storage_url}'",
        ]
        if not self.loopback_only:
            lines += [
                "",
                f"WARNING: listening on {self.host}: MLflow's server has no authentication, "
                f"so anyone who reaches {self.tracking_url} can read, change and delete every "
                "run and artifact. Keep it on a trusted network, or put it behind a reverse "
                "proxy with authentication (nginx/Caddy + basic auth or SSO) and restrict the "
                "Host headers it answers with --allowed-hosts NAME[,NAME].",
            ]
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)
