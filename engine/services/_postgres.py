"""A private PostgreSQL cluster in a folder, for a team that has PostgreSQL's server programs
but no database (``netyard server --postgres-dir DIR``).

The first start runs ``initdb``, picks a free port and remembers it, so the URLs printed for
workers stay the same across restarts. Every start then (re)writes who may connect and with
which rights, so a cluster made by an older version is brought to the same state:

- ``netyard``, the cluster's superuser, has no password: it connects only through the Unix
  socket in the folder (mode 0700, so only the folder's owner reaches it).
- ``mlflow`` owns the ``mlflow`` database (MLflow's tracking store) and connects through the
  same socket: the tracking server runs on this machine, so it needs no password and no port.
- ``optuna`` owns the ``optuna`` database (the sweeps' studies) and is the one role that may
  connect over TCP, with its generated password (scram-sha-256), to that database only. It
  is no superuser and may not create roles or databases, so its password opens the studies
  and nothing else (no shell through ``COPY ... FROM PROGRAM``, no MLflow database).

Two databases: both projects keep an ``alembic_version`` table. The server listens only on
the address it is given. PostgreSQL refuses to run as root, so as root the cluster belongs to
the ``postgres`` user and its programs run through ``runuser`` (as Debian's own scripts do).
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from engine.errors import UsageError
from engine.services._roles import (
    ACCESS_RULES,
    MLFLOW_ROLE,
    STORAGE_ROLE,
    USER,
    provisioning_script,
)

SETTINGS_FILE = "netyard-postgres.json"
PASSWORDS_FILE = "passwords.json"
# Before the roles were split, the superuser had this password, handed to every worker.
OLD_PASSWORD_FILE = "password"
START_TIMEOUT_SECONDS = 60
INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) are not installed: install them "
    "(Debian/Ubuntu: sudo apt-get install postgresql), or give --backend-store-uri and "
    "--storage of an existing database"
)


PROGRAMS = ("initdb", "pg_ctl", "psql")


def server_programs() -> Path:
    """The folder with ``initdb``, ``pg_ctl`` and ``psql``: where PATH's ``pg_ctl`` really
    lives (PATH may hold links to only some of them), else Debian's newest versioned folder."""
    candidates = []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).resolve().parent)
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if all((folder / name).exists() for name in PROGRAMS):
            return folder
    raise UsageError(INSTALL_HINT)


@dataclass
class PostgresCluster:
    folder: Path
    listen: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.folder = self.folder.expanduser().resolve()
        self.bin = server_programs()
        self.data = self.folder / "data"
        self.port = 0
        self.storage_password = ""
        self.started_here = False

    # -- the URLs the workers and the tracking server use (no password in either) -----------
    def storage_url(self, host: str = "127.0.0.1") -> str:
        """Optuna's database over TCP, as the workers' role; the password is apart
        (``storage_password``). The driver is named: SQLAlchemy's default for postgresql://
        is psycopg 3, and Netyard installs psycopg2."""
        return f"postgresql+psycopg2://{STORAGE_ROLE}@{host}:{self.port}/optuna"

    def mlflow_url(self) -> str:
        """MLflow's database through the socket in the folder, as MLflow's role."""
        return (
            f"postgresql+psycopg2://{MLFLOW_ROLE}@/mlflow"
            f"?host={quote(str(self.folder), safe='/')}&port={self.port}"
        )

    # -- life cycle ------------------------------------------------------------------------
    def load(self) -> PostgresCluster:
        """Read the port and the workers' password of the cluster in the folder (made by
        ``start`` before), without starting it."""
        try:
            self.port = int(json.loads((self.folder / SETTINGS_FILE).read_text())["port"])
        except (OSError, ValueError, KeyError) as error:
            raise UsageError(
                f"--postgres-dir {self.folder} lacks its {SETTINGS_FILE} ({error}): give the "
                f"folder netyard server made, or a new one"
            ) from None
        self.storage_password = self._role_password(STORAGE_ROLE)
        return self

    def start(self) -> None:
        """Create the cluster if the folder has none, start it (or adopt one already running
        from this folder, left by a killed ``netyard server``), then set its roles, databases
        and access rules."""
        if not (self.data / "PG_VERSION").exists():
            self._create()
        self.load()
        (self.data / "pg_hba.conf").write_text(ACCESS_RULES)
        if not self._running():
            self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_SECONDS),
                         "-l", str(self.folder / "server.log"),
                         "-o", f"-c listen_addresses={self.listen} -p {self.port} "
                               f"-k {self.folder}")  # fmt: skip
            self.started_here = True
        else:
            self._pg_ctl("reload")  # an adopted cluster takes the access rules now
        self._provision()
        # A cluster made before the roles were split: its superuser's password is void now.
        (self.folder / OLD_PASSWORD_FILE).unlink(missing_ok=True)

    def stop(self) -> None:
        """Fast shutdown: open sessions (a worker's) are ended, no crash recovery after."""
        if self._running():
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))

    def psql(self, sql: str, database: str = "postgres") -> subprocess.CompletedProcess:
        """Run ``sql`` (given on stdin, never on a command line) as the superuser, through
        the socket."""
        return self._program(
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.folder),
            "-p", str(self.port), "-U", USER, "-d", database, "-f", "-", input=sql,
        )  # fmt: skip

    # -- internals -------------------------------------------------------------------------
    def _create(self) -> None:
        if self.folder.exists() and any(self.folder.iterdir()):
            raise UsageError(
                f"--postgres-dir {self.folder} is not empty and holds no cluster made by "
                f"netyard server: give an empty or new folder"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self._own_folder()
        result = self._program(
            "initdb", "-D", str(self.data), "-U", USER, "-E", "UTF8",
            "--auth-local=trust", "--auth-host=reject",
        )  # fmt: skip
        if result.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise UsageError(f"initdb failed in {self.data}: {_last_line(result)}")
        (self.folder / SETTINGS_FILE).write_text(json.dumps({"port": _free_port()}))

    def _role_password(self, role: str) -> str:
        """The role's password, generated (and kept, 0600) the first time it is asked for."""
        path = self.folder / PASSWORDS_FILE
        try:
            passwords = json.loads(path.read_text())
        except FileNotFoundError:
            passwords = {}
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read {path}: {error}") from None
        if role not in passwords:
            passwords[role] = secrets.token_urlsafe(24)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(passwords, out)
        return str(passwords[role])

    def _provision(self) -> None:
        """Roles, databases, owners and rights, whatever state the cluster was in: new, made
        by this version, or made by one where the workers used the superuser."""
        result = self.psql(provisioning_script(self.storage_password))
        if result.returncode != 0:
            raise UsageError(f"setting up the cluster's roles failed: {_last_line(result)}")

    def _running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = self._program("pg_ctl", "-D", str(self.data), *args)
        if check and result.returncode != 0:
            log = self.folder / "server.log"
            raise UsageError(f"pg_ctl {args[0]} failed: {_last_line(result)} (see {log})")
        return result

    def _program(self, name: str, *args: str, input: str | None = None):
        command = [str(self.bin / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def _own_folder(self) -> None:
        if os.geteuid() != 0:
            return
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise UsageError(
                "as root, the cluster must belong to the 'postgres' user, which does not "
                "exist: run netyard server as an ordinary user, or create it (useradd --system "
                "postgres)"
            ) from None
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        reach = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w",
                                str(self.folder)], capture_output=True)  # fmt: skip
        if reach.returncode != 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise UsageError(
                f"as root, PostgreSQL runs as the 'postgres' user, which cannot reach "
                f"{self.folder} (a folder above it is closed to other users): choose a "
                f"folder it can reach, e.g. under /srv or /var/lib"
            )


def _free_port() -> int:
    from engine.tracking.server import free_port

    return free_port()


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"
