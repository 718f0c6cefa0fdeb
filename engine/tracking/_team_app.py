"""The app ``netyard server``'s tracking server serves (``engine.tracking._server_process``,
``netyard-team``): MLflow's own basic-auth app (every request but ``/health`` needs a user
and password, 401 without) behind ``CrossSiteGuard``, since a browser that holds the team's
credentials would send them with another site's form post too. Registered in pyproject.toml
under MLflow's ``mlflow.app`` entry points too (``mlflow server --app-name netyard-team``);
imported only inside the server processes."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def create_app():
    """A factory: uvicorn has each of the server's workers call it. One at a time, so that
    only the first creates the auth database's tables and the admin user (``mlflow server``
    does that once before starting the workers for its own ``basic-auth`` app only; two
    workers at once race on the same rows)."""
    from mlflow.server.auth import create_app as create_auth_app

    from engine.tracking._cross_site import CrossSiteGuard

    config = Path(os.environ["MLFLOW_AUTH_CONFIG_PATH"])
    with open(config.with_name(config.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        app = create_auth_app()
    return CrossSiteGuard(app)
