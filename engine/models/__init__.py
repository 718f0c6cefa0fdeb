"""Using a trained run: its MLflow Model, predictions, the model registry and exports.

A run's model is rebuilt from its logged ``config.json`` and ``model.safetensors`` by the
plugin that trained it (``TrainedModel``); ``engine.models._pyfunc`` wraps that as an MLflow
pyfunc model (imported on use: it imports MLflow's model code).
"""

from engine.models._export import (
    FORMATS,
    Exported,
    ExportMismatch,
    check_destination,
    export_model,
    export_run,
)  # fmt: skip
from engine.models._finishing import run_left_unfinished
from engine.models._input_kinds import check_input_kind, describe_inputs
from engine.models._inputs import read_inputs
from engine.models._publish import MODEL_ARTIFACT, log_mlflow_model
from engine.models._registry import ensure_mlflow_model, has_mlflow_model, register_model
from engine.models._runs import MODELS_PREFIX, finished_run, load_run_model
from engine.models._test_samples import TestSamples, test_samples
from engine.models._trained import CONFIG_FILE, WEIGHTS_FILE, TrainedModel, load_trained


def warm_model_logging() -> None:
    """Import MLflow's model code and build its map of installed packages (1.2 s here the
    first time in a process): what saving the first MLflow Model would otherwise pay."""
    import engine.models._pyfunc  # noqa: F401
    from engine.tracking import warm_requirement_checks

    warm_requirement_checks()


def write_mlflow_model(out_dir, plugin, model, dataset, config: dict, into=None) -> bool:
    """Write the MLflow Model of a finished run into ``into`` (a folder that must not exist;
    ``out_dir / "model"`` by default), its files copied from the ``config.json`` and
    ``model.safetensors`` already in ``out_dir``. False, with a warning, when it cannot be
    made (a plugin that does not say what its outputs are, an MLflow error): the run's
    training is done and its weights logged, so it still ends FINISHED. ``log_mlflow_model``
    then logs it whole or not at all."""
    import shutil
    import sys

    from engine.models._pyfunc import save_mlflow_model

    destination = into or out_dir / MODEL_ARTIFACT
    trained = TrainedModel(plugin, model, config)
    try:
        examples = plugin.example_inputs(dataset)
        save_mlflow_model(destination, trained, examples, out_dir)
    except Exception as error:  # noqa: BLE001 - the run stands without its MLflow Model
        print(f"netyard: no MLflow Model logged: {type(error).__name__}: {error}", file=sys.stderr)
        shutil.rmtree(destination, ignore_errors=True)  # nothing half-written
        return False
    return True


__all__ = [
    "CONFIG_FILE",
    "FORMATS",
    "ExportMismatch",
    "Exported",
    "check_destination",
    "check_input_kind",
    "describe_inputs",
    "ensure_mlflow_model",
    "export_model",
    "export_run",
    "has_mlflow_model",
    "read_inputs",
    "register_model",
    "run_left_unfinished",
    "test_samples",
    "MODELS_PREFIX",
    "MODEL_ARTIFACT",
    "WEIGHTS_FILE",
    "TestSamples",
    "TrainedModel",
    "finished_run",
    "load_run_model",
    "load_trained",
    "log_mlflow_model",
    "warm_model_logging",
    "write_mlflow_model",
]
