"""A private PostgreSQL cluster in a folder, for a team that has PostgreSQL's server programs
but no database (``netyard server --postgres-dir DIR``).

The first start runs ``initdb`` (a generated password, stored in the folder, 0600), picks a
free port and remembers it, so the URLs printed for workers stay the same across restarts;
every start creates the ``mlflow`` and ``optuna`` databases if missing (two databases: both
projects keep an ``alembic_version`` table). Connections over TCP need the password
(scram-sha-256); the server listens only on the address it is given. PostgreSQL refuses to
run as root, so as root the cluster belongs to the ``postgres`` user and its programs run
through ``runuser`` (as Debian's own scripts do).
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

from engine.errors import UsageError

USER = "netyard"
DATABASES = ("mlflow", "optuna")
SETTINGS_FILE = "netyard-postgres.json"
START_TIMEOUT_SECONDS = 60
INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) are not installed: install them "
    "(Debian/Ubuntu: sudo apt-get install postgresql), or give --backend-store-uri and "
    "--storage of an existing database"
)


PROGRAMS = ("initdb", "pg_ctl", "createdb")


def server_programs() -> Path:
    """The folder with ``initdb``, ``pg_ctl`` and ``createdb``: where PATH's ``pg_ctl`` really
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
        self.password = ""
        self.started_here = False

    # -- the URL workers and the tracking server use ----------------------------------------
    def url(self, database: str, host: str | None = None) -> str:
        return f"postgresql://{USER}:{self.password}@{host or '127.0.0.1'}:{self.port}/{database}"

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Create the cluster if the folder has none, start it (or adopt one already running
        from this folder, left by a killed ``netyard server``) and make the databases."""
        if not (self.data / "PG_VERSION").exists():
            self._create()
        self._read_settings()
        if not self._running():
            self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_SECONDS),
                         "-l", str(self.folder / "server.log"),
                         "-o", f"-c listen_addresses={self.listen} -p {self.port} "
                               f"-k {self.folder}")  # fmt: skip
            self.started_here = True
        for database in DATABASES:
            self._create_database(database)

    def stop(self) -> None:
        """Fast shutdown: open sessions (a worker's) are ended, no crash recovery after."""
        if self._running():
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))

    # -- internals -------------------------------------------------------------------------
    def _create(self) -> None:
        if self.folder.exists() and any(self.folder.iterdir()):
            raise UsageError(
                f"--postgres-dir {self.folder} is not empty and holds no cluster made by "
                f"netyard server: give an empty or new folder"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        password_file = self.folder / "password"
        password_file.write_text(secrets.token_urlsafe(18))
        password_file.chmod(0o600)
        self._own_folder()
        result = self._program(
            "initdb", "-D", str(self.data), "-U", USER, "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}",
        )  # fmt: skip
        if result.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise UsageError(f"initdb failed in {self.data}: {_last_line(result)}")
        # Other machines may connect, with the password, when the server listens beyond
        # loopback (listen_addresses decides who can reach it at all).
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n")
        settings = {"port": _free_port()}
        (self.folder / SETTINGS_FILE).write_text(json.dumps(settings))

    def _read_settings(self) -> None:
        try:
            self.port = int(json.loads((self.folder / SETTINGS_FILE).read_text())["port"])
            self.password = (self.folder / "password").read_text().strip()
        except (OSError, ValueError, KeyError) as error:
            raise UsageError(
                f"--postgres-dir {self.folder} lacks its {SETTINGS_FILE} or password file "
                f"({error}): give the folder netyard server made, or a new one"
            ) from None

    def _running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def _create_database(self, name: str) -> None:
        result = self._program(
            "createdb", "-h", str(self.folder), "-p", str(self.port), "-U", USER, name
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise UsageError(f"createdb {name} failed: {_last_line(result)}")

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = self._program("pg_ctl", "-D", str(self.data), *args)
        if check and result.returncode != 0:
            log = self.folder / "server.log"
            raise UsageError(f"pg_ctl {args[0]} failed: {_last_line(result)} (see {log})")
        return result

    def _program(self, name: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)

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
        for path in (self.folder, self.folder / "password"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        reach = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-r",
                                str(self.folder / "password")], capture_output=True)  # fmt: skip
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
