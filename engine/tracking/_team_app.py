"""The app ``mlflow server --app-name netyard-team`` serves for ``netyard server``: MLflow's
own basic-auth app (every request but ``/health`` needs a user and password, 401 without)
behind ``CrossSiteGuard``, since a browser that holds the team's credentials would send them
with another site's form post too. Registered in pyproject.toml under MLflow's ``mlflow.app``
entry points; imported only inside the server process."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def create_app():
    """A factory: ``mlflow server`` has each of its workers call it. One at a time, so that
    only the first creates the auth database's tables and the admin user (for its own
    ``basic-auth`` name MLflow does that once before starting the workers; for another name it
    leaves it to them, and two at once race on the same rows)."""
    from mlflow.server.auth import create_app as create_auth_app

    from engine.tracking._cross_site import CrossSiteGuard

    config = Path(os.environ["MLFLOW_AUTH_CONFIG_PATH"])
    with open(config.with_name(config.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        app = create_auth_app()
    return CrossSiteGuard(app)
