"""MLflow's console output that is noise around Netyard's own, turned off per process (a
module of its own: the CLI calls it first thing, before anything heavier is imported)."""

from __future__ import annotations

import os


def quiet_mlflow_output() -> None:
    """No progress bar for every artifact MLflow downloads, and no INFO lines ("Creating
    initial MLflow database tables..."); its warnings still show. Call before MLflow is
    imported: it reads the level then. The processes this one starts inherit the setting,
    and a value the user set stays."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
