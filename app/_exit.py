"""Leaving the app promptly, with nothing of ours left running and nothing half-written.

Once the window has closed (jobs stopped, web UIs stopped, layout saved), what is left is
start-up work on pool threads: MLflow and torch being imported, the runs browser's first
load, a dataset preview. Waiting for it made closing take up to 16 s. Qt waits for every
pool thread when the pools and the QApplication are destroyed, so the app does not return
through them while such work runs: ``prepare_exit`` waits only for what must not be cut
short, and ``main`` then ends the process with ``os._exit``.

What must not be cut short:
- tasks started with ``finish_before_exit`` (a note, a registered model, an exported file);
- a new MLflow SQLite store being created: killed during MLflow's migrations it cannot be
  opened again ("table datasets already exists"). ``engine.tracking.open_client`` creates
  one under an exclusive lock on ``<store>.lock``; taking that lock waits for a creation in
  progress, and holding it until the exit keeps an abandoned task from starting one.

The worker zygote is ended with SIGTERM rather than end of file: it reads its stdin only
once its imports are done (seconds after launch), and it holds nothing to save. Child
processes that abandoned tasks started (the runs browser's counting process) are killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from app._tasks import begin_exit, pending_tasks, wait_for_tasks_that_must_finish

MUST_FINISH_SECONDS = 120  # a model export or a report of many runs on a busy machine
STORE_CREATION_SECONDS = 120  # MLflow's migrations of a new store, about 8 s on an idle box

_held_locks: list[IO] = []  # open until the process ends, so the locks are held until then


def prepare_exit(zygote=None, tracking_uris: Iterable[str] = ()) -> int:
    """Everything before the exit: queued tasks dropped, the zygote ended, writes and store
    creations waited for. Returns how many background tasks are still queued or running:
    when that is more than 0, leave with ``leave_now`` instead of returning through Qt."""
    begin_exit()
    end_zygote(zygote)
    wait_for_tasks_that_must_finish(MUST_FINISH_SECONDS)
    for uri in dict.fromkeys(tracking_uris):
        hold_store_creation_lock(uri, STORE_CREATION_SECONDS)
    return pending_tasks()


def leave_now(code: int) -> None:
    """End the process at once with ``code``: what still runs on a pool thread is dropped,
    and so are the child processes it started."""
    kill_child_processes()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def end_zygote(zygote) -> None:
    """End ``zygote`` (``engine.worker.start_zygote``'s) now, without waiting for its imports
    to finish; its socket folder is removed. Its workers were stopped with the jobs."""
    if zygote is None:
        return
    if zygote.process.poll() is None:
        zygote.process.terminate()
    zygote.close()


def hold_store_creation_lock(tracking_uri: str, timeout: float) -> bool:
    """Wait until no process creates the SQLite store of ``tracking_uri``, and hold its
    creation lock until this process ends. True when held (or nothing to hold)."""
    if not tracking_uri.startswith("sqlite:///"):
        return True  # a server or a database migrates in transactions of its own
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    lock_path = database.with_name(database.name + ".lock")
    if not lock_path.exists():
        return True  # never opened: nobody is creating it
    import fcntl  # POSIX, as the engine's lock

    try:
        lock = open(lock_path, "a")  # noqa: SIM115 - held open until the process ends
    except OSError:
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                lock.close()
                return False
            time.sleep(0.05)
            continue
        _held_locks.append(lock)
        return True


def kill_child_processes() -> list[int]:
    """Kill this process's remaining children (and the process group of any that leads
    one); returns their pids. What the app owns is stopped before this, so what is left was
    started by a task that is being dropped."""
    import psutil

    killed = []
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.Error, OSError):
                if hasattr(os, "killpg") and os.getpgid(child.pid) == child.pid:
                    os.killpg(child.pid, signal.SIGKILL)  # a server's session: its helpers too
                else:
                    child.kill()
                killed.append(child.pid)
    return killed
