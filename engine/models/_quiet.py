"""MLflow without its console noise, for the moments the engine calls into it for a user."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings

PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


@contextlib.contextmanager
def quiet_mlflow():
    """No MLflow INFO lines, hints or progress bars (a forked finisher has no stderr left
    to draw one on: tqdm failed there with EBADF and the model was not logged)."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    bar = os.environ.get(PROGRESS_BAR)
    os.environ[PROGRESS_BAR] = "false"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(level)
        if bar is None:
            os.environ.pop(PROGRESS_BAR, None)
        else:
            os.environ[PROGRESS_BAR] = bar
