"""System metrics (CPU, memory, GPU...) on runs under MLflow's ``system/`` names, sampled
on a thread that is gone when the run has ended."""

from __future__ import annotations

import threading

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import TINY_CNN, tracking_uri

from engine.runner import RunConfig, execute_run, prepare_run
from engine.tracking import wait_for_helpers

CPU = "system/cpu_utilization_percentage"
MEMORY = "system/system_memory_usage_megabytes"


@pytest.fixture
def often(monkeypatch):
    """MLflow's own setting: a sample every 0.02 s instead of every 10 s."""
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.02")


def tiny_run(workspace, **options) -> tuple[MlflowClient, str]:
    # Long enough for a few samples however fast the machine: a run that ends before the
    # first interval has passed logs none (MLflow's monitor publishes after a wait).
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": 150},
        device="cpu",
        threads=1,
        workspace=str(workspace),
        log_model=False,
        **options,
    )
    outcome = execute_run(prepare_run(config))
    assert outcome.status == "finished", outcome.error
    assert not monitor_threads()  # stopped with the run, not left to notice it ended
    return MlflowClient(tracking_uri(workspace)), outcome.run_id


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "SystemMetricsMonitor"]


def test_a_run_logs_system_metrics_and_leaves_no_thread(tracked_workspace, often):
    client, run_id = tiny_run(tracked_workspace)
    cpu = client.get_metric_history(run_id, CPU)
    assert cpu, "no system metrics were logged"
    assert [point.step for point in cpu] == list(range(len(cpu)))  # MLflow's own steps
    assert all(0.0 <= point.value <= 100.0 for point in cpu)
    assert all(point.value > 0 for point in client.get_metric_history(run_id, MEMORY))


def test_a_trial_finished_by_a_forked_helper_stops_sampling_first(tracked_workspace, often):
    client, run_id = tiny_run(tracked_workspace, checkpoints=False, finish_in_background=True)
    wait_for_helpers()
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert CPU in run.data.metrics


def test_mlflow_switch_turns_them_off(tracked_workspace, often, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false")
    client, run_id = tiny_run(tracked_workspace)
    metrics = client.get_run(run_id).data.metrics
    assert "train_loss" in metrics
    assert not [key for key in metrics if key.startswith("system/")]
