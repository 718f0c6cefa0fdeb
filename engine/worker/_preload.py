"""The heavy imports every worker needs before its first step, done once per process."""

from __future__ import annotations


def preload() -> None:
    """Import the heavy modules now: in a zygote before it forks, in a fresh worker while its
    parent still sets up.

    Besides torch and MLflow: ``torch._dynamo``, which torch imports at the first optimizer
    (1.7 s here), MLflow's database store with its SQLAlchemy mappers configured, which
    MLflow imports at the first client (3.5 s), matplotlib's Agg canvas, so each run's forked
    finisher has it, and Optuna for a sweep coordinator forked from the zygote.
    """
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    import mlflow.tracking  # noqa: F401
    import optuna  # noqa: F401
    import safetensors.torch  # noqa: F401
    import sqlalchemy.orm
    import torch._dynamo  # noqa: F401

    sqlalchemy.orm.configure_mappers()  # classes only: no database is opened here

    import engine.models
    import engine.runner  # noqa: F401
    import engine.tracking  # noqa: F401

    engine.models.warm_model_logging()  # each run's MLflow Model, saved in its finisher
