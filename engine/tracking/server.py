"""Running an MLflow tracking server on a store: bound to loopback on a free port for the
app's and ``netyard ui mlflow``'s viewer, or to the address a team chooses for
``netyard server``.

The server is one process (``engine.tracking._server_process``: uvicorn serving MLflow's app
in the process that prepared it, not ``mlflow server`` and a uvicorn child); a team's server
with N workers is uvicorn's supervisor and its N workers. Its security middleware stays on
(the default allows localhost and private-network hosts), behind Netyard's guard against
cross-site writes (``engine.tracking._cross_site``); for a team, MLflow's own basic-auth app
behind the same guard (``BasicAuth``). No secret goes on the server's command line (``ps``
shows it to every user): a database password goes in its environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.database_urls import split_password, with_installed_driver
from engine.tracking._mlflow import process_alive

START_TIMEOUT_SECONDS = 90
USER_ERROR_PREFIX = "netyard: error: "  # how engine.cli and _server_process say a user's error
STOP_GRACE_SECONDS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reachable_host(bind: str) -> str:
    """The address to reach a server bound to ``bind`` from this machine."""
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::") else bind


class LoopbackServer:
    """A web UI in a child process on ``host`` (127.0.0.1 unless a subclass says otherwise),
    started and polled until it answers.

    Subclasses give the ``command`` for a port, the ``health_path`` that answers once it is
    ready and a ``name`` for messages. Its stderr goes to a temporary file (a pipe nobody
    reads would fill and stall a chatty server); the tail is shown if it exits early.
    """

    name = "server"
    host = "127.0.0.1"
    health_path = "/"
    start_timeout_seconds = START_TIMEOUT_SECONDS

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.url: str | None = None
        self._stderr = None

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def environment(self) -> Mapping[str, str] | None:
        """The server's environment (None: this process's)."""
        return None

    def start(self, port: int = 0) -> str:
        port = port or free_port()
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.command(port),
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
            env=self.environment(),
        )
        self.url = f"http://{reachable_host(self.host)}:{port}"
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self._exit_message())
            if self.answers():
                return self.url
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {self.url} in time")

    def _exit_message(self) -> str:
        """Why it exited: the one line a Netyard server process gives for a user's error
        (``netyard: error: ...``), or the tail of its stderr."""
        tail = self._error_tail()
        for line in reversed(tail.splitlines()):
            if line.startswith(USER_ERROR_PREFIX):
                return line.removeprefix(USER_ERROR_PREFIX)
        return f"{self.name} exited with {self.process.returncode}: {tail}"

    def _error_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        """Stop the server's whole process group, not only its leader.

        The server runs in its own session (``start_new_session``), so its group id is its
        pid; a server may keep helpers there (uvicorn workers of a team's server) that would
        otherwise outlive it. SIGTERM goes to the group; the leader gets
        ``STOP_GRACE_SECONDS`` to exit, then the group is killed. Members still alive after
        the leader exited are killed too. Safe to call more than once.
        """
        if self.process is None:
            return
        pgid = self.process.pid  # the session leader's pid is its group's id
        if self.process.poll() is None:
            _signal_group(pgid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(pgid, signal.SIGKILL)
                self.process.wait()
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    """Whether any process is left in group ``pgid`` (zombies of other parents count)."""
    return process_alive(pgid, group=True)


# MLflow's app behind ``CrossSiteGuard``: an ``mlflow.app`` entry point of Netyard (pyproject),
# served by ``engine.tracking._server_process`` under the same name.
VIEWER_APP = "netyard-viewer"
# MLflow's basic-auth app behind the same guard, for a team's server (``BasicAuth``).
TEAM_APP = "netyard-team"


@dataclass(frozen=True)
class BasicAuth:
    """MLflow's basic-auth app (``engine.tracking._team_app``): every request but ``/health``
    needs a user name and password (401 without). ``config``: its ini file (mode
    0600: the admin user and password it creates on first start, its own user database);
    ``secret_key``: the Flask key that signs its forms' CSRF tokens."""

    config: Path
    secret_key: str


class MlflowServer(LoopbackServer):
    """An MLflow tracking server on a store (``engine.tracking._server_process``); its
    security middleware stays on.

    ``app_name``: the app it serves, by default ``VIEWER_APP``, which refuses
    state-changing requests from other sites.

    ``artifact_root``: where the server tells clients to write artifacts themselves (a
    folder they share, the viewer's case). ``proxied_artifacts``: a folder the server keeps
    and serves (``mlflow server --serve-artifacts``), so clients on other machines upload
    through it. ``auth``: MLflow's basic-auth app behind the guard instead (``TEAM_APP``),
    for a team. ``reconcile_dead_runs``: mark FAILED the runs whose process died before
    serving (``netyard ui mlflow`` on a workspace), in the server's process, which has
    MLflow loaded anyway.
    """

    name = "mlflow server"
    health_path = "/health"

    def __init__(
        self,
        backend_store_uri: str,
        artifact_root: Path | None = None,
        *,
        proxied_artifacts: Path | None = None,
        host: str = "127.0.0.1",
        allowed_hosts: str | None = None,
        workers: int = 1,
        app_name: str = VIEWER_APP,
        auth: BasicAuth | None = None,
        reconcile_dead_runs: bool = False,
    ) -> None:
        super().__init__()
        self.auth = auth
        self.backend_store_uri = backend_store_uri
        self.artifact_root = artifact_root
        self.proxied_artifacts = proxied_artifacts
        self.host = host
        self.allowed_hosts = allowed_hosts
        self.workers = workers
        self.app_name = TEAM_APP if auth is not None else app_name
        self.reconcile_dead_runs = reconcile_dead_runs

    def command(self, port: int) -> list[str]:
        store, _password = split_password(with_installed_driver(self.backend_store_uri))
        command = [sys.executable, "-m", "engine.tracking._server_process",
                   "--backend-store-uri", store, "--host", self.host, "--port", str(port),
                   "--workers", str(self.workers), "--app-name", self.app_name]  # fmt: skip
        if self.proxied_artifacts is not None:
            command += ["--artifacts-destination", self.proxied_artifacts.as_uri()]
        elif self.artifact_root is not None:
            command += ["--default-artifact-root", self.artifact_root.as_uri()]
        if self.allowed_hosts:
            command += ["--allowed-hosts", self.allowed_hosts]
        if self.reconcile_dead_runs:
            command.append("--reconcile-dead-runs")
        return command

    def environment(self) -> Mapping[str, str] | None:
        environment = dict(os.environ)
        _store, password = split_password(self.backend_store_uri)
        if password:  # libpq (PostgreSQL) reads it there; the URL on the command line has none
            environment["PGPASSWORD"] = password
        if self.auth is not None:
            environment["MLFLOW_AUTH_CONFIG_PATH"] = str(self.auth.config)
            environment["MLFLOW_FLASK_SERVER_SECRET_KEY"] = self.auth.secret_key
        return environment


def check_tracking_uri(tracking_uri: str, timeout: float = 5.0) -> None:
    """Raise ``UsageError`` (one line naming the URI) unless the store answers now.

    A tracking server is asked for its ``/health`` with a short timeout first: MLflow's own
    client retries a refused connection for minutes, which is right for a worker riding out a
    restart and wrong for a settings dialog."""
    from engine.errors import UsageError
    from engine.tracking._mlflow import is_remote_store, open_client

    schemes = ("http://", "https://", "sqlite:///", "postgresql://", "postgresql+", "file:",
               "mysql://", "mysql+", "mssql+")  # fmt: skip
    if not tracking_uri.startswith(schemes):
        raise UsageError(
            f"tracking URI {tracking_uri!r} is not one MLflow opens: give http(s)://HOST:PORT "
            f"of a tracking server, sqlite:///PATH or postgresql://USER:PW@HOST:PORT/DB"
        )
    if is_remote_store(tracking_uri):
        url = tracking_uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
        except OSError as error:
            reason = getattr(error, "reason", error)
            raise UsageError(
                f"no MLflow tracking server answers at {tracking_uri}: {reason}"
            ) from None
    try:
        open_client(tracking_uri).search_experiments(max_results=1)
    except Exception as error:  # noqa: BLE001 - every store error means "cannot use it"
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        if "error code 401" in first:
            from engine.team_file import PASSWORD_WANTED

            raise UsageError(f"the tracking server at {tracking_uri} {PASSWORD_WANTED}") from None
        raise UsageError(f"cannot use tracking store {tracking_uri}: {first[:300]}") from None
