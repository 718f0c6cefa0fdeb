"""The MLflow "Default" experiment of a workspace keeps its artifacts inside the workspace, not
in ``mlruns/`` of whatever folder the first command ran in (issue 25, part 5). A new store:
tests/engine/test_store_creation.py."""

from __future__ import annotations

import sqlite3

from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri

from engine.tracking import open_client


def default_location(workspace) -> str:
    return MlflowClient(tracking_uri(workspace)).get_experiment("0").artifact_location


def test_an_existing_store_has_default_moved_into_the_workspace(tracked_workspace, tmp_path):
    # The copied store was made by a plain MLflow client: Default at <its folder>/mlruns/0.
    before = default_location(tracked_workspace)
    assert before.endswith("/mlruns/0") and str(tracked_workspace) not in before
    open_client(tracking_uri(tracked_workspace))
    assert (
        default_location(tracked_workspace)
        == (tracked_workspace / "artifacts" / "Default").as_uri()
    )


def test_a_location_chosen_by_a_server_stays(tracked_workspace):
    with sqlite3.connect(tracked_workspace / "mlflow.db") as connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = 'mlflow-artifacts:/0' "
            "WHERE experiment_id = 0"
        )
    connection.close()
    open_client(tracking_uri(tracked_workspace))
    assert default_location(tracked_workspace) == "mlflow-artifacts:/0"
