"""Helper processes forked from a run's process: the metric writer and the background finisher.

Forking (not spawning) makes a helper start at once with MLflow, the tracking client and the
run's objects already there. A bare ``os.fork``, not ``multiprocessing``: its bootstrap
closes ``sys.stdin``, which deadlocks when a thread of this process is blocked reading stdin
(a worker's command reader). The child makes itself safe before it does anything (see
``_become_helper``) and never returns into the parent's code: it ends with ``os._exit``.

Helpers that outlive the code that started them (the finisher, a writer handed over to it)
are reaped by ``reap_helpers``; ``wait_for_helpers`` blocks until they are all gone, so a
worker process does not exit with a run still being finished.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterable

from engine.tracking._mlflow_internals import database_engines

# Pids of this process's helpers that nobody waits for any more (see module docstring).
_unwaited: set[int] = set()
# The parent's database connection pools, kept referenced in a child so that they are never
# finalised there (closing a PostgreSQL connection would end the parent's session).
_inherited_pools: list = []


def can_fork_helpers(client) -> bool:
    return hasattr(os, "fork") and database_engines(client) is not None


def fork_helper(work: Callable[[], None], client, keep_fds: Iterable[int]) -> int:
    """Fork a child that runs ``work`` and exits; return its pid (in the parent)."""
    keep = sorted(set(keep_fds))
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become_helper(client, keep)
        work()
        code = 0
    finally:
        os._exit(code)


def _become_helper(client, keep: list[int]) -> None:
    # Objects inherited from the parent are never collected here: garbage it had not yet
    # collected may hold file descriptors, and closing them could hit this child's own.
    gc.freeze()
    # Ctrl-C in a terminal and a stop request sent to the process group ask the *parent* to
    # end the run; a helper lives on to finish writing it.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _unwaited.clear()  # the parent's helpers are not this child's children
    for engine in database_engines(client) or []:
        _inherited_pools.append(engine.pool)
        engine.dispose(close=False)  # new connections from here on
    close_inherited_descriptors(keep)


def close_inherited_descriptors(keep: list[int]) -> None:
    """Hold none of the parent's files, pipes or sockets, only ``keep``.

    A reader waiting for end-of-file on a pipe the parent writes (a worker's stdin, the
    parent's stdout read by ``subprocess.run``) must not wait for a helper as well. The
    standard streams become /dev/null.
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in keep:
            os.dup2(devnull, fd)
    if devnull not in (0, 1, 2) and devnull not in keep:
        os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the child
    low = 3
    for fd in [*keep, os.sysconf("SC_OPEN_MAX")]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def wait_for(pid: int) -> int | None:
    """Wait for a helper; its exit code, or None when it is not this process's child (a
    helper started by the parent of a forked finisher)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    _unwaited.discard(pid)
    return os.waitstatus_to_exitcode(status)


def leave_unwaited(pid: int) -> None:
    """Reap ``pid`` later (``reap_helpers``, ``wait_for_helpers``), not now."""
    _unwaited.add(pid)


def reap_helpers() -> None:
    """Collect the exit status of helpers that have ended (no zombies), without blocking."""
    for pid in list(_unwaited):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _unwaited.discard(pid)


def wait_for_helpers() -> None:
    """Block until every helper left unwaited has ended (call before the process exits)."""
    for pid in list(_unwaited):
        wait_for(pid)
        _unwaited.discard(pid)
