"""The team's shared services on one machine (``netyard server``): an ``mlflow server`` with a
database backend, proxied artifacts and MLflow's basic-auth app, and the Optuna storage
workers join; optionally the private PostgreSQL cluster both live in.

Existing engines only: MLflow's own tracking server and auth app, PostgreSQL, Optuna's RDB
storage. What the team's machines need is in the team file the server writes (its secrets
apart from the URLs: ``engine.services._secrets``); ``announcement`` says where it is and the
commands that use it. No password is printed.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.database_urls import hide_password, split_password, with_installed_driver
from engine.errors import UsageError
from engine.services._postgres import PostgresCluster
from engine.services._secrets import MLFLOW_USER, ServerSecrets
from engine.tracking.server import MlflowServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 5000


def _quiet(text: str) -> None:
    """Where ``TeamServices.start`` says its steps when nobody listens."""


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
    secrets_folder: Path
    postgres: PostgresCluster | None = None
    backend_store_uri: str = ""
    storage_url: str = ""
    allowed_hosts: str | None = None
    tracking: MlflowServer | None = field(default=None, init=False)
    secrets: ServerSecrets | None = field(default=None, init=False)

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

    def start(self, port: int = DEFAULT_PORT, say: Callable[[str], None] = _quiet) -> None:
        """Start the database (if private) and the tracking server, and write the team file;
        on a failure, stop what had started. ``say`` hears each step as it begins (the
        command's status line: each takes seconds)."""
        try:
            self.secrets = ServerSecrets(self.secrets_folder)
            storage_password = ""
            if self.postgres is not None:
                self.postgres.listen = self.host if not self.loopback_only else "127.0.0.1"
                new = not (self.postgres.data / "PG_VERSION").exists()
                say(f"{'Creating' if new else 'Starting'} PostgreSQL in {self.postgres.folder}")
                self.postgres.start()
                self.backend_store_uri = self.postgres.mlflow_url()
                self.storage_url = self.postgres.storage_url(public_host(self.host))
                storage_password = self.postgres.storage_password
            else:
                # Printed and handed out without its password, with the driver Netyard has.
                self.storage_url, storage_password = split_password(
                    with_installed_driver(self.storage_url)
                )
            self.artifacts.mkdir(parents=True, exist_ok=True)
            self.tracking = MlflowServer(
                self.backend_store_uri,
                proxied_artifacts=self.artifacts,
                host=self.host,
                allowed_hosts=self.allowed_hosts,
                workers=2,
                auth=self.secrets.basic_auth(),
            )
            say(f"Starting the MLflow tracking server on {self.host}:{port or 'a free port'}")
            try:
                self.tracking.start(port)
            except RuntimeError as error:
                raise UsageError(hide_password(str(error))) from None
            self.secrets.hand_out(self.tracking_url, self.storage_url, storage_password)
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
        assert self.secrets is not None
        team_file = self.secrets.team_file
        lines = [
            "Netyard team server",
            f"  Tracking URI (MLflow):   {self.tracking_url}",
            f"  Optuna storage:          {hide_password(self.storage_url)}",
            f"  Team file (secret):      {team_file}",
            f"  Artifacts kept in:       {self.artifacts}",
            f"MLflow asks for user {MLFLOW_USER!r} and the storage for its role's password: both "
            f"are in the team file. Copy it to each machine by a private channel (scp keeps its "
            f"mode 0600); anyone who has it can use and change every run and study.",
            "Start a sweep here or on any machine with the team file:",
            f"  netyard sweep PLUGIN --dataset ID --name STUDY --team-file {team_file}",
            "Join it from each worker machine:",
            f"  netyard worker --study STUDY --team-file {team_file}",
            f"Other PostgreSQL clients (optuna, psql, optuna-dashboard): "
            f"PGPASSFILE={self.secrets.pgpass_file}",
        ]
        if not self.loopback_only:
            lines += [
                "",
                f"WARNING: listening on {self.host}: MLflow and PostgreSQL ask for the team "
                f"file's passwords, but the traffic is not encrypted (plain HTTP and PostgreSQL "
                f"without TLS), so anyone on the network path can read it, passwords included. "
                f"Keep it on a trusted network or reach it through a tunnel (ssh -L, a VPN), "
                f"and restrict the Host headers it answers with --allowed-hosts NAME[,NAME].",
            ]
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)
