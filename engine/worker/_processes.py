"""Starting worker processes: forked from a zygote when one is running, fresh otherwise.

``start_process`` gives back an object with the parts of ``subprocess.Popen`` that workers
use (``pid``, ``stdin``, ``stdout``, ``stderr``, ``poll``, ``wait``, ``kill``,
``terminate``), whichever way the process was started. ``start_zygote`` (the app, at launch)
starts a zygote for this process and its children; see ``engine.worker._zygote``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from engine.worker._zygote import ENV_VAR

REPLY_TIMEOUT = 10.0  # a fork takes milliseconds; a zygote this slow is treated as gone


def start_process(
    module: str, env: Mapping[str, str], *, new_session: bool = False, fork: bool = True
):
    """``python -m module`` with ``env`` added, its standard streams piped (text, UTF-8).

    Forked from the zygote named by ``NETYARD_ZYGOTE`` where there is one and it is ready,
    except for GPU workers (``CUDA_VISIBLE_DEVICES`` in ``env``): CUDA cannot be used in a
    process forked from one that touched it, so they always start fresh.
    """
    child_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    if fork and "CUDA_VISIBLE_DEVICES" not in env:
        forked = fork_from_zygote(module, child_env, new_session=new_session)
        if forked is not None:
            return forked
    return subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        bufsize=1,
        env=child_env,
        start_new_session=new_session,
    )


def fork_from_zygote(
    module: str, env: Mapping[str, str], *, new_session: bool = False
) -> ForkedProcess | None:
    """A worker forked by the running zygote, or None (no zygote, not ready, or gone)."""
    path = os.environ.get(ENV_VAR)
    if not path or not os.path.exists(path):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours: list[int] = []
    theirs: list[int] = []
    try:
        connection.settimeout(REPLY_TIMEOUT)
        connection.connect(path)
        read_end, write_end = os.pipe()  # stdin: the worker reads, we write
        theirs.append(read_end)
        ours.append(write_end)
        for _ in ("stdout", "stderr"):  # the worker writes, we read
            read_end, write_end = os.pipe()
            ours.append(read_end)
            theirs.append(write_end)
        request = {"module": module, "env": dict(env), "cwd": os.getcwd()}
        request["new_session"] = new_session
        socket.send_fds(connection, [json.dumps(request).encode()], theirs)
        reply = json.loads(connection.recv(4096) or b"{}")
        pid = int(reply["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        connection.close()
        for fd in ours:
            os.close(fd)
        return None
    finally:
        for fd in theirs:
            os.close(fd)
    connection.settimeout(None)
    stdin, stdout, stderr = ours
    return ForkedProcess(
        pid,
        connection,
        open(stdin, "w", encoding="utf-8", buffering=1),  # noqa: SIM115 - the process owns them
        open(stdout, encoding="utf-8"),  # noqa: SIM115
        open(stderr, encoding="utf-8"),  # noqa: SIM115
    )


class ForkedProcess:
    """A worker the zygote forked: not our child, so its exit code comes from the zygote."""

    def __init__(self, pid: int, connection: socket.socket, stdin, stdout, stderr) -> None:
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None
        self._exited = threading.Event()
        self._connection = connection
        # A pidfd names this process even after its pid is reused, so a late kill is safe.
        self._pidfd: int | None = None
        self._pidfd_lock = threading.Lock()
        with contextlib.suppress(OSError, AttributeError):
            self._pidfd = os.pidfd_open(pid)
        threading.Thread(target=self._watch, name=f"netyard-zygote-{pid}", daemon=True).start()

    def _watch(self) -> None:
        try:
            reply = self._connection.recv(4096)
        except OSError:
            reply = b""
        finally:
            self._connection.close()
        try:
            code = int(json.loads(reply)["exit"])
        except (ValueError, KeyError, TypeError):
            # The zygote ended first: its parent-death signal (SIGTERM) ends the worker too.
            if self._pidfd is not None:
                select.select([self._pidfd], [], [])
            code = -signal.SIGTERM
        with self._pidfd_lock:
            self.returncode = code
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        with self._pidfd_lock:
            if self.returncode is not None or self._pidfd is None:
                return
            with contextlib.suppress(OSError):  # it has just exited
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The zygote this process owns: started here, ended with ``close`` or with this process."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="netyard-zygote-"))  # 0700: ours only
        self.path = str(self.folder / "socket")
        with open(self.folder / "stderr", "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "engine.worker._zygote", self.path],
                stdin=subprocess.PIPE,  # held open: end of file tells the zygote we are gone
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def ready(self) -> bool:
        return self.process.poll() is None and os.path.exists(self.path)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the zygote takes requests (its imports take seconds); False if it
        exited or is not ready by then."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def error(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "stderr").read_text(errors="replace").strip()
        return ""

    def close(self, timeout: float = 10.0) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_owned: Zygote | None = None
_lock = threading.Lock()


def start_zygote() -> Zygote:
    """Start this process's zygote (once) and name it in ``NETYARD_ZYGOTE`` for this process
    and the processes it starts. Returns at once; it takes requests once its imports are done.

    Call it from the main thread: the zygote's parent-death signal follows the thread that
    started it.
    """
    global _owned
    with _lock:
        if _owned is None or _owned.process.poll() is not None:
            if _owned is None:
                atexit.register(stop_zygote)
            _owned = Zygote()
            os.environ[ENV_VAR] = _owned.path
        return _owned


def stop_zygote() -> None:
    """End this process's zygote, if it started one; workers start fresh again."""
    global _owned
    with _lock:
        zygote, _owned = _owned, None
        if zygote is None:
            return
        if os.environ.get(ENV_VAR) == zygote.path:
            del os.environ[ENV_VAR]
        zygote.close()
