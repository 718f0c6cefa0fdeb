"""Several processes opening one new MLflow SQLite store at once: created and migrated once,
under a lock (two migrations at once fail with "duplicate column name"). A file that is not
an MLflow store is refused in one line and left as it was."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import without_status

from engine.cli import main
from engine.tracking import open_client

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
    [default] = MlflowClient(uri).search_experiments()
    assert default.name == "Default"
    # In the store's folder, not mlruns/ of the folder the processes ran in (issue 25).
    assert default.artifact_location == (tmp_path / "artifacts" / "Default").as_uri()


# -- a file that is not an MLflow store ---------------------------------------------------------
def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(0).randbytes(50_000))


def _truncated_store(path: Path) -> None:
    whole = path.with_name("whole.db")
    open_client(f"sqlite:///{whole}")  # a real store, created and migrated by MLflow
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO customers (name) VALUES ('Ann')")
        connection.commit()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_random_bytes, "not an SQLite database"),
        (_truncated_store, "truncated: "),
        (_foreign_database, "no alembic_version, experiments, runs table; it holds customers"),
    ],
    ids=["random", "truncated", "foreign"],
)
def test_a_file_that_is_not_an_mlflow_store_is_one_line_and_left_untouched(
    tmp_path, capsys, make, problem
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    store = workspace / "mlflow.db"
    make(store)
    before = store.read_bytes()
    capsys.readouterr()  # what making the file printed
    code = main(
        ["run", "cnn", "--dataset", "digits", "--steps", "2", "--workspace", str(workspace)]
    )
    err = without_status(capsys.readouterr().err)
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith(f"netyard: error: {store} is not an MLflow store ("), err
    assert problem in err and "move it away or choose another --workspace" in err, err
    assert store.read_bytes() == before  # no MLflow table created, nothing rolled back


def test_a_sweep_on_a_foreign_store_is_refused_before_its_study_is_made(tmp_path, capsys):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    _foreign_database(workspace / "mlflow.db")
    args = ["sweep", "cnn", "--dataset", "digits", "--search", "lr=1e-3:1e-1:log"]
    code = main([*args, "--trials", "1", "--steps", "2", "--workspace", str(workspace)])
    err = without_status(capsys.readouterr().err)
    assert code == 2 and err.count("\n") == 1 and "is not an MLflow store" in err, err
    assert not (workspace / "optuna.journal").exists()


def test_an_empty_file_is_a_new_store(tmp_path):
    store = tmp_path / "mlflow.db"
    store.touch()
    assert [e.name for e in open_client(f"sqlite:///{store}").search_experiments()] == ["Default"]
