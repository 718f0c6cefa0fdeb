"""Several processes opening one new MLflow SQLite store at once: created and migrated once,
under a lock (two migrations at once fail with "duplicate column name")."""

from __future__ import annotations

import subprocess
import sys

from mlflow.tracking import MlflowClient

# Each process says it is ready once imported, then waits for the go on its stdin.
OPEN_STORE = """
import sys
from engine.tracking import open_client
print("ready", flush=True)
sys.stdin.readline()
open_client(sys.argv[1]).search_experiments()
"""


def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, uri],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    # All start migrating at the same moment, after their (slow) imports.
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    errors = [p.communicate(timeout=240)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], "\n".join(e[-1500:] for e in errors)
    assert [e.name for e in MlflowClient(uri).search_experiments()] == ["Default"]
