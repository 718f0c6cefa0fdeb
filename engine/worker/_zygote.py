"""A process with the heavy imports done that forks worker processes on request (a "zygote").

A fresh worker pays seconds of imports (torch, ``torch._dynamo``, MLflow, matplotlib: about
8 s on a busy 2-core box) before its first training step; forked from a process that has
them already, it starts in milliseconds. The app starts a zygote at launch and publishes its
socket in ``NETYARD_ZYGOTE``, so the sweep coordinators it starts (separate processes) fork
their trial workers from it: a sweep's first trial starts at once, however many sweeps ran.

    python -m engine.worker._zygote SOCKET_PATH

Protocol (a ``SOCK_SEQPACKET`` Unix socket, one connection per worker): the client sends one
JSON request (``module``: what to run as ``python -m``; ``env``, ``cwd``, ``new_session``)
with three file descriptors (the worker's stdin, stdout and stderr); the zygote forks, answers
``{"pid": N}`` and, when the worker has exited, ``{"exit": code}`` on the same connection.

What keeps it safe:
- Only the modules in ``ALLOWED`` run, and only for this user (the socket is in a 0700 folder).
- The zygote runs no Python thread and never trains or touches CUDA, so a fork inherits no
  lock held by another of our threads and no CUDA context (the native threads torch and
  MLflow start at import are there too when a worker forks its own helpers). GPU workers
  are never forked (see ``engine.worker.start_process``): they start as fresh processes.
- It dies with its owner (parent-death signal, and end of file on its stdin); its workers
  die with their coordinator as they always do (end of file on their stdin).
- Anything that goes wrong on the client side (no zygote, not ready yet, gone) means a
  fresh process instead: the zygote makes starting faster, never different.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
from collections.abc import Mapping

# the worker, a sweep coordinator, the learning-rate finder
ALLOWED = ("engine.worker", "engine.sweeps", "engine.lr_finder")
ENV_VAR = "NETYARD_ZYGOTE"
MAX_MESSAGE = 1 << 20  # a request carries the environment: a few KiB, rarely more


def serve(path: str) -> int:
    from engine.worker._preload import preload
    from engine.worker._program import die_with_parent

    die_with_parent()
    if os.getppid() == 1:  # the owner died before we could ask to follow it
        return 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the owner to handle
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # Bound under another name and renamed when listening: a client sees the socket only
    # once it is ready, so it never waits on one that is still importing.
    pending = f"{path}.{os.getpid()}"
    listener.bind(pending)
    listener.listen(16)
    os.rename(pending, path)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the selector up
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(0, selectors.EVENT_READ, "owner")
    selector.register(wake_read, selectors.EVENT_READ, "child")
    clients: dict[int, socket.socket] = {}  # worker pid -> the connection that asked for it
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "owner":
                    if not os.read(0, 4096):  # the owner is gone or closed us
                        return 0
                elif key.data == "accept":
                    connection, _ = listener.accept()
                    pid = _fork_on_request(connection)
                    if pid is None:
                        connection.close()
                    else:
                        clients[pid] = connection
                elif key.data == "child":
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 4096)
                _reap(clients)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _fork_on_request(connection: socket.socket) -> int | None:
    connection.settimeout(10)
    fds: list[int] = []
    try:
        message, fds, _, _ = socket.recv_fds(connection, MAX_MESSAGE, 3)
        request = json.loads(message)
        if request.get("module") not in ALLOWED or len(fds) != 3:
            connection.send(json.dumps({"error": "not a worker request"}).encode())
            return None
        started_read, started_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            _become_worker(request, fds, started_write)  # never returns
        os.close(started_write)
        # As Popen does: answer once the child has its session and streams (or has died).
        os.read(started_read, 1)
        os.close(started_read)
        connection.send(json.dumps({"pid": pid}).encode())
        return pid
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)


def _reap(clients: dict[int, socket.socket]) -> None:
    """Collect ended workers and tell each one's client its exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = clients.pop(pid, None)
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
            connection.close()


def _become_worker(request: Mapping, fds: list[int], started: int) -> None:
    """In the forked child: become ``python -m MODULE`` with the client's streams and
    environment, then exit (never return into the zygote's loop)."""
    code = 1
    try:
        from engine.tracking import close_inherited_descriptors

        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        if request.get("new_session"):
            os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.write(started, b"1")
        # The zygote's socket, selector, clients' connections and the received descriptors:
        # the worker must hold none of them (a client waits for end of file on its pipes).
        close_inherited_descriptors([0, 1, 2])
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        _search_path_of_a_fresh_process()
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.argv = [request["module"]]
        import runpy

        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the worker's stderr, like a crash
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _search_path_of_a_fresh_process() -> None:
    """``sys.path`` as ``python -m`` would start with in the client's directory and
    ``PYTHONPATH`` (a test, or a user, may have pointed it at a plugin since we started)."""
    import importlib

    sys.path[0] = os.getcwd()
    entries = [e for e in os.environ.get("PYTHONPATH", "").split(os.pathsep) if e]
    for entry in reversed(entries):
        if entry not in sys.path:
            sys.path.insert(1, entry)
    importlib.invalidate_caches()


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
