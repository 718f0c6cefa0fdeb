"""Runs whose training is done but whose end was never written (issue 23: killed while they
saved their model): what ``netyard run --resume`` of their last checkpoint completes.

A run saves its last checkpoint, then its artifacts and MLflow Model, then ends FINISHED.
Killed in between, its checkpoint holds the whole training while its store holds a run that
is RUNNING or FAILED, or FINISHED without a model that loads. Resuming it saves what is
missing from the checkpoint, trains no step, and ends it FINISHED.
"""

from __future__ import annotations

from pathlib import Path

from engine.models._publish import has_whole_model


def run_left_unfinished(tracking_uri: str, run_id: str | None, log_model: bool) -> bool:
    """Whether run ``run_id`` of the store at ``tracking_uri`` did not end FINISHED, or ended
    without a whole MLflow Model while one is wanted (``log_model``). False for a run the
    store does not hold, and for a SQLite store that does not exist (none is made to look)."""
    from mlflow.exceptions import MlflowException

    from engine.tracking import open_client

    if not run_id:
        return False
    if tracking_uri.startswith("sqlite:///"):
        if not Path(tracking_uri.removeprefix("sqlite:///")).is_file():
            return False
    client = open_client(tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return False
    if run.info.status != "FINISHED":
        return True
    return log_model and not has_whole_model(client, run_id)
