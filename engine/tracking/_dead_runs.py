"""Whether a workspace's SQLite store may hold runs of dead processes, asked without MLflow.

``netyard sweeps`` reconciles dead runs before it lists (``reconcile_dead_runs``), and
importing MLflow and opening its store for that took 3-7 s of a listing that needs nothing
else of MLflow, to find, nearly always, no run to fail. This reads the store with ``sqlite3``
(read-only): the RUNNING runs' ``netyard.host`` and ``netyard.pid`` tags, in MLflow's
``runs`` and ``tags`` tables (their shape since MLflow 1). Only when one of this host's
processes is gone, or the file cannot be read that way (another schema, a foreign or broken
file: MLflow's path then says what is wrong), is MLflow needed.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from engine.tracking._mlflow import HOST_TAG, PID_TAG, process_alive

_RUNNING_HERE = """
    SELECT pid.value FROM runs
    JOIN tags AS host ON host.run_uuid = runs.run_uuid AND host.key = ? AND host.value = ?
    JOIN tags AS pid ON pid.run_uuid = runs.run_uuid AND pid.key = ?
    WHERE runs.status = 'RUNNING'
"""


def may_hold_dead_runs(database: Path) -> bool:
    """False when the store at ``database`` certainly holds no RUNNING run of a process of
    this host that is gone; True when it may (and when in doubt)."""
    try:
        connection = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute(
                _RUNNING_HERE, (HOST_TAG, socket.gethostname(), PID_TAG)
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return True
    # As reconcile_dead_runs decides: a pid that is no number is nobody's to reconcile.
    return any(pid.isdigit() and not process_alive(int(pid)) for (pid,) in rows)
