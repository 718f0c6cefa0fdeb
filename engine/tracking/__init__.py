"""Tracking: every run is an MLflow run, its metrics written in batches off the training path."""

from engine.tracking._forking import reap_helpers, wait_for_helpers
from engine.tracking._mlflow import RunTracker, open_client, process_alive, reconcile_dead_runs
from engine.tracking._writer import MetricWriter

__all__ = [
    "MetricWriter",
    "RunTracker",
    "open_client",
    "process_alive",
    "reap_helpers",
    "reconcile_dead_runs",
    "wait_for_helpers",
]
