"""Registering a run's model in MLflow's Model Registry, through the run's tracking store.

A run that has no MLflow Model yet (a sweep trial that did not log one, a run from before
models were logged, a model cut short by a kill) gets it first, built from its config and
weights and an input example from its dataset. The version's description holds the run's
final metrics; its tags name the plugin and the dataset, so the registry says what the model
is without opening the run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from engine.errors import UsageError
from engine.models._publish import MODEL_ARTIFACT, has_whole_model, log_mlflow_model
from engine.models._runs import finished_run, load_run_model
from engine.tracking import DATASET_TAG, PLUGIN_TAG


def has_mlflow_model(client, run_id: str) -> bool:
    """Whether the run has a whole MLflow Model (``has_whole_model``)."""
    return has_whole_model(client, run_id)


def ensure_mlflow_model(client, run, datasets_dir: Path) -> None:
    """Log the MLflow Model of a finished ``run`` if it has none, or one that cannot load
    (an upload or a copy cut short by a kill): built from the run's own config and weights,
    then logged whole or not at all (``log_mlflow_model``)."""
    from engine.models._pyfunc import save_mlflow_model

    run_id = run.info.run_id
    if has_mlflow_model(client, run_id):
        return
    with tempfile.TemporaryDirectory(prefix="netyard-model-") as folder:
        out = Path(folder)
        trained, _run = load_run_model(client, run_id, into=out)
        examples = trained.example_inputs(datasets_dir)
        save_mlflow_model(out / MODEL_ARTIFACT, trained, examples, out)
        log_mlflow_model(client, run_id, out / MODEL_ARTIFACT)


def register_model(client, reference: str, name: str, datasets_dir: Path):
    """A new version of registered model ``name`` (created if new) from the run that
    ``reference`` names; returns MLflow's ``ModelVersion``."""
    from mlflow.exceptions import MlflowException

    name = name.strip()
    if not name:
        raise UsageError("give the registered model a name: --name NAME")
    run = finished_run(client, reference)
    ensure_mlflow_model(client, run, datasets_dir)
    plugin = run.data.params.get("plugin", "")
    dataset = run.data.params.get("dataset", "")
    try:
        client.create_registered_model(name, description=f"Netyard {plugin} models")
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise UsageError(f"cannot register a model named {name!r}: {error.message}") from None
    metrics = ", ".join(f"{k} {v:.6g}" for k, v in sorted(run.data.metrics.items()))
    return client.create_model_version(
        name,
        source=f"{run.info.artifact_uri}/{MODEL_ARTIFACT}",
        run_id=run.info.run_id,
        tags={PLUGIN_TAG: plugin, DATASET_TAG: dataset},
        description=f"{plugin} on {dataset}, run {run.info.run_id}. Metrics: {metrics}",
    )
