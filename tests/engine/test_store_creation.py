"""Several processes opening one new MLflow SQLite store at once: created and migrated once,
under a lock (two migrations at once fail with "duplicate column name")."""

from __future__ import annotations

import subprocess
import sys

from mlflow.tracking import MlflowClient

OPEN_STORE = """
import sys, time
from engine.tracking import open_client
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.005)
open_client(sys.argv[1]).search_experiments()
"""


def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    import time

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # All start migrating at the same moment, after their (slow) imports.
    start = str(time.time() + 15)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, uri, start], stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=240)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], "\n".join(e[-1500:] for e in errors)
    assert [e.name for e in MlflowClient(uri).search_experiments()] == ["Default"]
