"""Hyperparameter schema: one typed declaration per hyperparameter.

From a plugin's ``Schema`` come the CLI's ``--set key=value`` parsing, validation with clear
messages, MLflow params, the GUI form and the Optuna search space. Nothing else in the code
spells a plugin's hyperparameters again.
"""

from engine.schema._params import Bool, Choice, Float, Int, Param
from engine.schema._schema import Schema

__all__ = ["Bool", "Choice", "Float", "Int", "Param", "Schema"]
