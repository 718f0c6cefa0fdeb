"""The team file ``netyard server`` writes: where a team's servers are (tracking URI, Optuna
storage) and the secrets that open them, for ``netyard sweep/worker --team-file PATH`` and the
app.

It is a secret like an SSH key: JSON, mode 0600, copied to each machine by a private channel
(``scp`` keeps the mode). A copy that other users can read is refused, as ssh refuses such a
key. The secrets never travel on a command line (``ps`` shows those to every user): reading
the file puts them in this process's environment, where the libraries look for them and from
which the processes it starts inherit them. ``PGPASSWORD`` for libpq (PostgreSQL), and
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD`` for MLflow's client (basic auth on
the tracking server). The URLs themselves carry no password, so they may be printed and
logged as they are.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.errors import UsageError

FILE_MODE = 0o600
STORAGE_PASSWORD_ENV = "PGPASSWORD"
MLFLOW_USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"
MLFLOW_PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD"
# What to do about a tracking server that answered 401 (the subject comes before it).
PASSWORD_WANTED = (
    f"asks for a user name and password: give the team file netyard server wrote "
    f"(netyard sweep, worker or sweeps --team-file PATH), or set {MLFLOW_USERNAME_ENV} and "
    f"{MLFLOW_PASSWORD_ENV} to its mlflow_username and mlflow_password"
)


@dataclass(frozen=True)
class TeamFile:
    """What a machine needs to take part in a team's sweeps. ``storage`` and ``tracking_uri``
    hold no secret; the passwords are apart."""

    tracking_uri: str
    storage: str
    storage_password: str = ""
    mlflow_username: str = ""
    mlflow_password: str = ""

    def write(self, path: Path) -> None:
        """Write it (mode 0600 from the first byte), replacing any older one whole."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)  # a leftover may be open to others
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "w") as out:
            json.dump(asdict(self), out, indent=2)
            out.write("\n")
        os.replace(partial, path)

    @classmethod
    def read(cls, path: str | Path) -> TeamFile:
        """The team file at ``path``; missing, unreadable, open to others or malformed is one
        ``UsageError`` naming it."""
        path = Path(path).expanduser()
        try:
            mode = path.stat().st_mode
            text = path.read_text()
        except OSError as error:
            raise UsageError(
                f"cannot read team file {path}: {error.strerror}; copy the one netyard server "
                f"wrote (it prints where) to this machine"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise UsageError(
                f"team file {path} is open to other users (mode {stat.S_IMODE(mode):04o}): it "
                f"holds the team's passwords; run chmod 600 {path}"
            )
        try:
            data = json.loads(text)
            known = {name: str(data[name]) for name in cls.__dataclass_fields__ if name in data}
            team = cls(**known)
        except (ValueError, TypeError) as error:
            raise UsageError(f"team file {path} is not one netyard server wrote: {error}") from None
        if not team.tracking_uri or not team.storage:
            raise UsageError(
                f"team file {path} lacks the tracking URI or the storage: copy it again from "
                f"the server"
            )
        return team

    def export_credentials(self, environ: MutableMapping[str, str] | None = None) -> None:
        """Put the passwords where PostgreSQL's and MLflow's clients look for them: this
        process's environment (inherited by the trial processes it starts)."""
        environ = os.environ if environ is None else environ
        for name, value in (
            (STORAGE_PASSWORD_ENV, self.storage_password),
            (MLFLOW_USERNAME_ENV, self.mlflow_username),
            (MLFLOW_PASSWORD_ENV, self.mlflow_password),
        ):
            if value:
                environ[name] = value
