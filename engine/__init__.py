"""Netyard's engine: everything that is not GUI.

The plugin contract and registry, the hyperparameter schema, datasets, the training loop,
MLflow tracking, the worker process and the CLI. Nothing here imports Qt.
"""

__version__ = "0.1.0"
