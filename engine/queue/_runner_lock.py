"""One runner per queue: ``netyard queue start`` holds a lock for as long as it runs.

Two runners on one queue each counted only their own jobs, so two ``queue start`` on one
workspace ran two entries at once under a limit of one. The second is refused instead, with
the pid of the first: entries added meanwhile start there, in turn, so a second runner has
nothing to add. (Joining would mean a runner that waits on another's jobs without owning any,
with its own ``--jobs`` and GPUs competing for the same limit.) The lock is ``flock`` on
``queue.json.runner``, released by the kernel when the runner exits however it ends; the
file keeps the holder's pid for the message and is never removed (removing it would let a
third runner lock a new file while the second holds the old one).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from engine.errors import UsageError

SUFFIX = ".runner"


@contextlib.contextmanager
def exclusive_runner(queue_file: Path) -> Iterator[None]:
    """Hold the runner lock of the queue in ``queue_file`` for the block; ``UsageError``
    naming the runner's pid when another process holds it."""
    path = queue_file.with_name(queue_file.name + SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
            who = f"pid {holder}" if holder.isdigit() else "another process"
            raise UsageError(
                f"the queue of {queue_file.parent} is already run by {who} (netyard queue "
                "start); entries added now start there in turn"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock
