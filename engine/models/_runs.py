"""Finding a run's trained model in MLflow: a run id or a registry URI ``models:/NAME/V``."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import UsageError
from engine.models._quiet import quiet_mlflow
from engine.models._trained import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    TrainedModel,
    load_trained,
    read_run_config,
)
from engine.tracking import PLUGIN_TAG

MODELS_PREFIX = "models:/"


def finished_run(client, reference: str):
    """The FINISHED MLflow run that ``reference`` names (a run id, ``models:/NAME/VERSION``
    or ``models:/NAME/latest``); one ``UsageError`` otherwise."""
    from mlflow.exceptions import MlflowException

    run_id = reference.strip()
    if run_id.startswith(MODELS_PREFIX):
        run_id = _registered_run_id(client, run_id[len(MODELS_PREFIX) :])
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise UsageError(
            f"no run {run_id!r} in the tracking store {client.tracking_uri}; give a run id "
            f"(see the Runs browser or the MLflow UI) or models:/NAME/VERSION"
        ) from None
    if run.info.status != "FINISHED":
        raise UsageError(
            f"run {run_id} is {run.info.status}, not FINISHED: only a finished run has a "
            f"trained model to use" + _finishing_hint(client, run)
        )
    return run


def _finishing_hint(client, run) -> str:
    """For a run stopped while it saved what it trained (its weights are logged only once
    training is done): how to end it FINISHED, with its model."""
    if _still_running(run) or not any(
        f.path == WEIGHTS_FILE for f in client.list_artifacts(run.info.run_id)
    ):
        return ""
    return (
        f"; its training finished but it stopped while saving its model: 'netyard run "
        f"{run.data.params.get('plugin', 'PLUGIN')} --dataset "
        f"{run.data.params.get('dataset', 'DATASET')} --resume CHECKPOINT' (its last.ckpt "
        f"under the workspace's checkpoints/{run.info.run_id}/) saves the model and ends it"
    )


def _registered_run_id(client, name_and_version: str) -> str:
    from mlflow.exceptions import MlflowException

    name, _, version = name_and_version.partition("/")
    if not name or not version:
        raise UsageError(
            f"invalid model URI {MODELS_PREFIX}{name_and_version!r}: expected "
            f"models:/NAME/VERSION or models:/NAME/latest"
        )
    try:
        if version == "latest":
            versions = client.search_model_versions(f"name = '{name}'")
            if not versions:
                raise UsageError(f"registered model {name!r} has no versions")
            return max(versions, key=lambda v: int(v.version)).run_id
        return client.get_model_version(name, version).run_id
    except MlflowException:
        raise UsageError(
            f"no version {version!r} of a registered model {name!r} in "
            f"{client.tracking_uri} (netyard register RUN_ID --name {name} makes one)"
        ) from None


def load_run_model(
    client,
    reference: str,
    into: Path | None = None,
    before_loading: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[TrainedModel, object]:
    """The trained model of a finished run, and the run. Its ``config.json`` and
    ``model.safetensors`` are downloaded ``into`` that folder, or a temporary one.
    ``before_loading`` gets the run's config (``read_run_config``) before the weights are
    downloaded and the network built, the slow part: a check that raises there costs nothing."""
    from engine.plugin import get_plugin

    run = finished_run(client, reference)
    plugin_id = run.data.params.get("plugin") or run.data.tags.get(PLUGIN_TAG)
    if plugin_id is None:
        raise UsageError(f"run {run.info.run_id} was not made by Netyard (no plugin param)")
    get_plugin(plugin_id)  # an unknown plugin: its own clear error
    with contextlib.ExitStack() as stack:
        folder = into or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="netyard-")))
        stack.enter_context(quiet_mlflow())
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            try:
                client.download_artifacts(run.info.run_id, name, str(folder))
            except Exception:  # noqa: BLE001 - MLflow raises several kinds for a missing file
                raise UsageError(
                    f"run {run.info.run_id} has no {name} artifact: it holds no trained model"
                ) from None
            if name == CONFIG_FILE and before_loading is not None:
                before_loading(read_run_config(folder))
        return load_trained(folder), run


def _still_running(run) -> bool:
    """RUNNING, and not by a process of this host that is gone (a kill -9 not reconciled)."""
    import socket

    from engine.tracking import HOST_TAG, PID_TAG, process_alive

    if run.info.status != "RUNNING":
        return False
    pid, host = run.data.tags.get(PID_TAG, ""), run.data.tags.get(HOST_TAG)
    return not (pid.isdigit() and host == socket.gethostname() and not process_alive(int(pid)))
