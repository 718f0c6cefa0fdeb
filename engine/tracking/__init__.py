"""Tracking: every run is an MLflow run, its metrics written in batches off the training path."""

from engine.tracking._forking import close_inherited_descriptors, reap_helpers, wait_for_helpers
from engine.tracking._mlflow import (
    ERROR_TAG,
    MAX_PARAM_VALUE,
    RunTracker,
    open_client,
    process_alive,
    reconcile_dead_runs,
    run_exists,
    versions,
)
from engine.tracking._mlflow_internals import skip_type_hint_validation, warm_requirement_checks
from engine.tracking._writer import MetricWriter

__all__ = [
    "ERROR_TAG",
    "MAX_PARAM_VALUE",
    "MetricWriter",
    "RunTracker",
    "close_inherited_descriptors",
    "open_client",
    "process_alive",
    "reap_helpers",
    "reconcile_dead_runs",
    "run_exists",
    "skip_type_hint_validation",
    "versions",
    "warm_requirement_checks",
    "wait_for_helpers",
]
