"""The MLflow Model's code (MLflow's "models from code"): copied into every model folder and
run by ``mlflow.pyfunc.load_model``, so a model holds no pickle to trust, only this."""

import mlflow

from engine.models._pyfunc import NetyardModel

mlflow.models.set_model(NetyardModel())
