"""The MLflow tracking server's process: what ``mlflow server`` prepares, then uvicorn here.

``mlflow server`` is a launcher: it imports MLflow, initialises the store and starts
``python -m uvicorn`` as a child, which imports MLflow again to serve it. The viewer was
therefore two server processes and two MLflow imports before it answered (and a third
interpreter, the job runner, unless switched off). This module does the launcher's part
itself, as ``mlflow.server._run_server`` and ``mlflow server``'s CLI do it in MLflow 3 (the
environment the app reads when it is imported, the store initialised before the first
request), and runs uvicorn in the same process: with one worker, one process; with N (the
team's server), uvicorn's supervisor and its N workers, as under ``mlflow server``.

Run as ``python -m engine.tracking._server_process`` (``MlflowServer.command``). It exits with
status 2 and one line on stderr when the store is not one it may open.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Sequence

# The apps it serves, by the names of Netyard's ``mlflow.app`` entry points (pyproject.toml),
# imported by module path: an installation without the entry points still serves them.
APPS = {
    "netyard-viewer": ("engine.tracking._viewer_app:app", False),
    "netyard-team": ("engine.tracking._team_app:create_app", True),  # a factory per worker
}

# The variables ``mlflow.server._run_server`` hands its uvicorn child (mlflow.server.constants
# and mlflow.environment_variables). Spelled out: importing those modules imports
# ``mlflow.server``, whose Flask app reads them at import.
BACKEND_STORE = "_MLFLOW_SERVER_FILE_STORE"
REGISTRY_STORE = "_MLFLOW_SERVER_REGISTRY_STORE"
ARTIFACT_ROOT = "_MLFLOW_SERVER_ARTIFACT_ROOT"
SERVE_ARTIFACTS = "_MLFLOW_SERVER_SERVE_ARTIFACTS"
ARTIFACTS_DESTINATION = "_MLFLOW_SERVER_ARTIFACT_DESTINATION"
PROXIED_ARTIFACT_ROOT = "mlflow-artifacts:/"  # mlflow's DEFAULT_ARTIFACTS_URI


def server_environment(args: argparse.Namespace) -> dict[str, str]:
    """What ``mlflow server`` sets before its app is imported, for these arguments."""
    environment = {
        BACKEND_STORE: args.backend_store_uri,
        REGISTRY_STORE: args.backend_store_uri,
        "_MLFLOW_SERVER_BOOT_ID": uuid.uuid4().hex,
        "_MLFLOW_IN_JOB_EXECUTOR": "false",
        "_MLFLOW_SGI_NAME": "uvicorn",
        "MLFLOW_ENABLE_WORKSPACES": "false",
        # No job runner: Netyard never submits GenAI jobs, and the handlers then refuse them.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    if args.artifacts_destination:
        environment[SERVE_ARTIFACTS] = "true"
        environment[ARTIFACTS_DESTINATION] = args.artifacts_destination
        environment[ARTIFACT_ROOT] = PROXIED_ARTIFACT_ROOT
    elif args.default_artifact_root:
        environment[ARTIFACT_ROOT] = args.default_artifact_root
    if args.allowed_hosts:
        environment["MLFLOW_SERVER_ALLOWED_HOSTS"] = args.allowed_hosts
    return environment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.tracking._server_process")
    parser.add_argument("--backend-store-uri", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--app-name", choices=sorted(APPS), default="netyard-viewer")
    parser.add_argument("--default-artifact-root")
    parser.add_argument("--artifacts-destination")
    parser.add_argument("--allowed-hosts")
    parser.add_argument("--reconcile-dead-runs", action="store_true")
    return parser


def _prepare_store(args: argparse.Namespace) -> None:
    """A SQLite store is created and migrated under Netyard's lock (the app's runs browser
    may be opening it too) and a file of another program refused; with
    ``--reconcile-dead-runs``, runs whose process died are marked FAILED before anyone
    lists them. Then MLflow's own initialisation, as ``mlflow server`` does before serving."""
    from mlflow.server.handlers import initialize_backend_stores

    from engine.tracking import open_client, reconcile_dead_runs

    if args.backend_store_uri.startswith("sqlite:///"):
        open_client(args.backend_store_uri)
    if args.reconcile_dead_runs:
        reconcile_dead_runs(args.backend_store_uri)
    initialize_backend_stores(
        args.backend_store_uri, args.backend_store_uri, os.environ.get(ARTIFACT_ROOT)
    )


def main(argv: Sequence[str] | None = None) -> int:
    from engine.errors import UsageError
    from engine.tracking.server import USER_ERROR_PREFIX

    args = _parser().parse_args(argv)
    os.environ.update(server_environment(args))
    try:
        _prepare_store(args)
    except UsageError as error:
        print(f"{USER_ERROR_PREFIX}{error}", file=sys.stderr)  # the message the parent shows
        return 2
    import uvicorn
    from mlflow import server

    target, factory = APPS[args.app_name]
    log_config = os.path.join(os.path.dirname(server.__file__), "uvicorn_log_config.yaml")
    uvicorn.run(target, host=args.host, port=args.port, workers=args.workers, factory=factory,
                log_config=log_config)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
