"""MLflow's console output that is noise around Netyard's own, turned off per process (a
module of its own: the CLI calls it first thing, before anything heavier is imported)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator


def quiet_mlflow_output() -> None:
    """No progress bar for every artifact MLflow downloads, and no INFO lines ("Creating
    initial MLflow database tables..."); its warnings still show. Call before MLflow is
    imported: it reads the level then. The processes this one starts inherit the setting,
    and a value the user set stays."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")


@contextlib.contextmanager
def store_errors_unlogged() -> Iterator[None]:
    """MLflow's SQL store logs a database error with its whole traceback before it raises it
    ("SQLAlchemy database error..."); inside this block it only raises, and the caller turns
    the error into Netyard's one line (a full disk: ``NoSpaceLeft``)."""
    logger = logging.getLogger("mlflow.store.db.utils")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled
