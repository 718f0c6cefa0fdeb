"""Which process runs an entry, and whether it still does: a runner that crashed (or was
killed) leaves entries marked running that nobody runs."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any


def this_process() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "since": _start_ticks(pid)}


def is_alive(owner: dict[str, Any] | None) -> bool:
    """False once the owner process is gone. Its start time tells a reused pid from it; a
    process on another machine (a workspace on a shared disk) is taken to be alive."""
    if not owner:
        return False
    if owner.get("host") != socket.gethostname():
        return True
    pid = int(owner.get("pid") or 0)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: alive, maybe the pid was reused; the ticks tell
    since = owner.get("since")
    return since is None or _start_ticks(pid) in (since, None)


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return int(stat.rsplit(")", 1)[1].split()[19])
