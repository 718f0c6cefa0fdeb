"""Every use of MLflow's private API, in one place (pyproject bounds MLflow below 4).

A forked helper must not share the parent's database connections, and MLflow has no public
way to reach them: the client's store and the engines its SQLAlchemy store caches.
"""

from __future__ import annotations


def database_engines(client) -> list | None:
    """The SQLAlchemy engines MLflow caches for its database stores, or None if the client's
    store is not one of them (an HTTP server, a file store)."""
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        store = client._tracking_client.store
    except (ImportError, AttributeError):
        return None
    engines = getattr(SqlAlchemyStore, "_engine_map", None)
    if not isinstance(store, SqlAlchemyStore) or not isinstance(engines, dict):
        return None
    return list(engines.values())


def skip_type_hint_validation(model_class: type) -> type:
    """Mark a ``PythonModel`` subclass as one whose inputs its saved signature checks: MLflow
    3 wraps every subclass's ``predict`` for type-hint validation and warns, with a filter
    of its own that outranks the caller's, that ``predict`` has no type hints. Apply it as
    a decorator-like base before the class is made (MLflow reads it in __init_subclass__)."""
    model_class._skip_type_hint_validation = True
    return model_class


def warm_requirement_checks() -> None:
    """Build the map of installed packages that MLflow checks a model's pip requirements
    against (1.1 s of importlib.metadata here, once per process, cached by MLflow), so that
    the first model a process saves does not pay for it."""
    try:
        from mlflow.utils.requirements_utils import _init_modules_to_packages_map
    except ImportError:
        return
    _init_modules_to_packages_map()
