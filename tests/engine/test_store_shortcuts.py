"""What spares a command MLflow's slow paths: a listing that loads MLflow only when a run of a
dead process may need failing, and a new store copied from an empty one, not migrated anew."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys

from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri

from engine.tracking import HOST_TAG, PID_TAG
from engine.tracking._dead_runs import may_hold_dead_runs


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_mlflow_is_needed_only_for_a_running_run_of_a_dead_process(tracked_workspace):
    database = tracked_workspace / "mlflow.db"
    assert not may_hold_dead_runs(database)  # no run at all
    client = MlflowClient(tracking_uri(tracked_workspace))
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    run = client.create_run("0", tags=tags)  # RUNNING, by this live process
    assert not may_hold_dead_runs(database)
    client.set_tag(run.info.run_id, PID_TAG, str(_dead_pid()))
    assert may_hold_dead_runs(database)
    client.set_tag(run.info.run_id, HOST_TAG, "another-machine")  # not this host's to judge
    assert not may_hold_dead_runs(database)


def test_a_file_it_cannot_read_is_left_to_mlflow(tmp_path):
    foreign = tmp_path / "mlflow.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    assert may_hold_dead_runs(foreign)  # MLflow's path refuses it in one line


def test_listing_sweeps_does_not_load_mlflow_without_a_dead_run(tracked_workspace):
    listing = (
        "import sys; from engine.cli import main; code = main(sys.argv[1:]); "
        "print('mlflow' in sys.modules, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", listing, "sweeps", "--workspace", str(tracked_workspace)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines()[-1] == "False 0", done.stdout + done.stderr


def test_a_new_store_is_a_copy_of_the_empty_template(tmp_path, monkeypatch, _empty_mlflow_store):
    from engine.tracking import open_client
    from engine.tracking._store_template import template_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template = template_path()
    template.parent.mkdir(parents=True)
    template.write_bytes(_empty_mlflow_store.read_bytes())
    with sqlite3.connect(template) as connection:  # a mark only a copy can carry
        connection.execute(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage) "
            "VALUES ('from-the-template', '', 'active')"
        )
    workspace = tmp_path / "ws"
    client = open_client(tracking_uri(workspace))
    experiments = {e.name: e for e in client.search_experiments()}
    assert set(experiments) == {"Default", "from-the-template"}
    assert experiments["Default"].artifact_location.startswith((workspace / "artifacts").as_uri())
