"""The "Default" experiment of a local SQLite store keeps its artifacts beside the store.

MLflow creates experiment 0, "Default", the first time it opens a store, at
``DEFAULT_ARTIFACT_ROOT/0``; a client (not ``mlflow server``) takes ``./mlruns`` of the folder
the process runs in for that root. A workspace made by ``netyard run`` in your home folder
thus had its Default experiment at ``~/mlruns/0``, outside the workspace: anything logged
there (a script's ``mlflow.start_run()`` on the workspace's store) scattered files wherever
it ran. Netyard's own experiments are created with a location under the workspace's
``artifacts/`` folder; this gives Default the same, ``artifacts/Default``.

MLflow has no call that moves an experiment's artifact location (``update_experiment`` only
renames; the location is fixed when an experiment is made, and a client cannot be given an
artifact root), so the location is set in the store's ``experiments`` table, as MLflow itself
writes Default's row (an SQL insert of its own). Only a location MLflow chose by that
client default (``.../mlruns/0`` outside the store's folder) is moved: one a server or a user
chose (``mlflow-artifacts:``, ``s3://``, a path inside the workspace) stays. Runs already in
Default keep their artifacts where they are: each run records its own artifact URI.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_FOLDER = "Default"  # as engine.tracking._mlflow names an experiment's folder
ARTIFACTS_FOLDER = "artifacts"  # engine.workspace.Workspace.artifacts_dir, beside mlflow.db
# What MLflow's client appends to the folder it runs in (DEFAULT_LOCAL_FILE_AND_ARTIFACT_PATH).
CLIENT_DEFAULT_TAIL = ("mlruns", str(DEFAULT_EXPERIMENT_ID))


def default_experiment_location(database: Path) -> str:
    """Where the Default experiment of the SQLite store ``database`` keeps its artifacts."""
    return (database.parent.absolute() / ARTIFACTS_FOLDER / DEFAULT_FOLDER).as_uri()


def place_default_experiment(database: Path) -> bool:
    """Move the Default experiment of ``database`` (an MLflow SQLite store) into its folder
    when MLflow put it at a client's ``./mlruns/0`` elsewhere; ``True`` if it was moved.
    A store that cannot be written (read-only, busy past the timeout) is left as it is."""
    try:
        connection = sqlite3.connect(database, timeout=10)
    except sqlite3.Error:
        return False
    try:
        with connection:  # one transaction: committed, or rolled back on an error
            row = connection.execute(
                "SELECT artifact_location FROM experiments WHERE experiment_id = ?",
                (DEFAULT_EXPERIMENT_ID,),
            ).fetchone()
            if row is None or not _misplaced(row[0] or "", database):
                return False
            connection.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                (default_experiment_location(database), DEFAULT_EXPERIMENT_ID),
            )
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return True


def _misplaced(location: str, database: Path) -> bool:
    """A client's ``.../mlruns/0`` on this machine, outside the store's folder."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:  # s3:, mlflow-artifacts:, not C:
        return False
    else:
        path = Path(location)
    if path.parts[-2:] != CLIENT_DEFAULT_TAIL:
        return False
    return not path.absolute().is_relative_to(database.parent.absolute())
