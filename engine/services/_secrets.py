"""The team server's secrets, in a folder only its owner may enter (0700, every file 0600).

Made on the first start and kept: the MLflow password of the team's user (MLflow's
basic-auth admin) and the Flask key that signs the auth app's forms. Written at every start:
the auth app's ini file, and what the server hands out to the team's machines, the team file
(``engine.team_file``) and a ``pgpass`` file for plain PostgreSQL clients (Optuna, psql,
optuna-dashboard with ``PGPASSFILE=PATH``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from engine.database_urls import split_password
from engine.errors import UsageError
from engine.team_file import FILE_MODE, TeamFile
from engine.tracking.server import BasicAuth

CREDENTIALS_FILE = "credentials.json"
AUTH_CONFIG_FILE = "mlflow-auth.ini"
AUTH_DATABASE_FILE = "mlflow-auth.db"  # MLflow's users and permissions (SQLite)
TEAM_FILE = "team.json"
PGPASS_FILE = "pgpass"
MLFLOW_USER = "netyard"
# Checking a password costs a PBKDF2 hash (about 0.15 s): MLflow may remember a good one for
# this long per worker process, so a trial's many small requests do not each pay it.
AUTH_CACHE_SECONDS = 300


class ServerSecrets:
    """The secrets of the server whose folder is ``folder``; generated on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.expanduser().resolve()
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.chmod(0o700)
            self._credentials = self._load_or_make()
        except OSError as error:
            raise UsageError(
                f"cannot keep the server's secrets in {self.folder}: {error.strerror}"
            ) from None

    @property
    def team_file(self) -> Path:
        return self.folder / TEAM_FILE

    @property
    def pgpass_file(self) -> Path:
        return self.folder / PGPASS_FILE

    @property
    def mlflow_password(self) -> str:
        return self._credentials["mlflow_password"]

    def basic_auth(self) -> BasicAuth:
        """MLflow's basic-auth app configured for the team: one admin user (the team's), its
        user database in the folder; other users an admin adds may read by default."""
        database = (self.folder / AUTH_DATABASE_FILE).as_posix()
        # Created here, 0600, so MLflow's password hashes are never open to others (SQLite
        # takes an empty file for a new database).
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        _write_private(
            self.folder / AUTH_CONFIG_FILE,
            "[mlflow]\n"
            "default_permission = READ\n"
            f"database_uri = sqlite:///{database}\n"
            f"admin_username = {MLFLOW_USER}\n"
            f"admin_password = {self.mlflow_password}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            f"auth_cache_ttl_seconds = {AUTH_CACHE_SECONDS}\n",
        )
        return BasicAuth(self.folder / AUTH_CONFIG_FILE, self._credentials["flask_secret_key"])

    def hand_out(self, tracking_uri: str, storage_url: str, storage_password: str) -> None:
        """Write the team file and the pgpass file for the URLs this start serves."""
        storage, typed_password = split_password(storage_url)
        password = storage_password or typed_password
        TeamFile(tracking_uri, storage, password, MLFLOW_USER, self.mlflow_password).write(
            self.team_file
        )
        _write_private(self.pgpass_file, _pgpass_line(storage, password))

    def _load_or_make(self) -> dict[str, str]:
        path = self.folder / CREDENTIALS_FILE
        try:
            credentials = json.loads(path.read_text())
            if {"mlflow_password", "flask_secret_key"} <= set(credentials):
                return credentials
        except FileNotFoundError:
            pass
        except ValueError as error:
            raise UsageError(f"{path} is damaged ({error}): remove it to make new ones") from None
        credentials = {
            "mlflow_password": secrets.token_urlsafe(24),
            "flask_secret_key": secrets.token_hex(32),
        }
        _write_private(path, json.dumps(credentials))
        return credentials


def _pgpass_line(storage_url: str, password: str) -> str:
    """``*:PORT:DATABASE:USER:PASSWORD`` for libpq (the host as any: workers name it their
    own way); ``\\`` and ``:`` escaped as libpq wants."""
    from sqlalchemy.engine import make_url

    url = make_url(storage_url)

    def escaped(text: object) -> str:
        return str(text).replace("\\", "\\\\").replace(":", "\\:")

    fields = ["*", url.port or 5432, url.database or "*", url.username or "*", password]
    return ":".join(escaped(field) for field in fields) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, from the first byte on."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)  # a leftover may be open to others
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.replace(partial, path)
