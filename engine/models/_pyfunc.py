"""A run's trained model as an MLflow Model (the pyfunc flavour), under the artifact ``model``.

``mlflow.pyfunc.load_model("runs:/RUN/model").predict(x)`` rebuilds the plugin's network
from the logged config and loads the safetensors weights (``TrainedModel``). The model is
saved "from code" (``_pyfunc_code.py``), not pickled: loading it unpickles nothing. Inputs
are a batch in the shape of the signature; outputs a DataFrame of the plugin's columns. A
generator (the GAN) also takes ``params={"count": N, "seed": S}`` to draw N samples from
seeded noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np

from engine.models._quiet import quiet_mlflow
from engine.models._trained import CONFIG_FILE, WEIGHTS_FILE, TrainedModel, load_trained
from engine.tracking import skip_type_hint_validation

# What the model needs to load, pinned to the versions the run had; Netyard itself is not on
# PyPI, so a model server runs in an environment with it installed (``--env-manager local``).
REQUIREMENTS = ("torch", "numpy", "safetensors", "mlflow", "pandas")


# A base that tells MLflow not to wrap ``predict`` for type-hint validation (and not to warn
# that it has no type hints): the signature saved with each model says what its inputs are,
# and MLflow checks inputs against it.
_SignatureChecked = skip_type_hint_validation(type("_SignatureChecked", (), {}))


class NetyardModel(_SignatureChecked, mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        folder = Path(context.artifacts["config"]).parent
        self.trained = load_trained(folder)

    def predict(self, context, model_input, params: dict[str, Any] | None = None):
        import pandas as pd

        count = int((params or {}).get("count") or 0)
        if count > 0:  # samples from seeded noise instead of the given latent batch
            model_input = self.trained.noise(count, int((params or {}).get("seed") or 0))
        elif isinstance(model_input, pd.DataFrame):
            model_input = model_input.to_numpy()
        return pd.DataFrame(self.trained.predict(model_input))


def save_mlflow_model(path: Path, trained: TrainedModel, examples: np.ndarray, files: Path) -> None:
    """Write the MLflow Model of ``trained`` to ``path`` (a folder that must not exist);
    ``files`` holds the run's ``config.json`` and ``model.safetensors``."""
    import pandas as pd
    from mlflow.models import infer_signature

    outputs = pd.DataFrame(trained.predict(examples))
    params = {"count": 0, "seed": 0} if trained.plugin.generative else None
    with quiet_mlflow():  # its hints about type hints and its INFO lines are not for users
        mlflow.pyfunc.save_model(
            str(path),
            python_model=str(Path(__file__).with_name("_pyfunc_code.py")),
            artifacts={"config": str(files / CONFIG_FILE), "weights": str(files / WEIGHTS_FILE)},
            signature=infer_signature(examples, outputs, params=params),
            input_example=examples,
            pip_requirements=requirements(),
            metadata=_metadata(trained),
        )


def requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    pinned = []
    for name in REQUIREMENTS:
        try:
            pinned.append(f"{name}=={version(name).split('+')[0]}")  # 2.13.0+cpu: any build
        except PackageNotFoundError:
            continue
    return pinned


def _metadata(trained: TrainedModel) -> dict[str, Any]:
    return {"netyard_plugin": trained.plugin.id, "netyard_dataset": trained.config.get("dataset")}
