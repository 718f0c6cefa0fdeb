"""System metrics on every run: CPU, memory, disk, network and GPU use, by MLflow's own monitor.

``mlflow.system_metrics.SystemMetricsMonitor`` samples with psutil (and NVML through
``nvidia-ml-py`` where there is an NVIDIA GPU) on a thread and logs the averages under the
``system/`` prefix, the names and steps the MLflow UI charts on its "System metrics" tab
(``system/cpu_utilization_percentage``, ``system/gpu_0_utilization_percentage``...). It takes
a run id and a tracking URI, so it serves the engine's client-based runs as well as the
fluent ``mlflow.start_run``.

MLflow's settings apply: ``MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL`` (seconds, 10 by
default: one write per interval, a few milliseconds), ``MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_
LOGGING``; ``MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING=false`` turns it off. A run shorter than one
interval logs none. It never fails a run: a monitor that cannot start is left out.
"""

from __future__ import annotations

import logging

SAMPLING_SECONDS = 10.0
PREFIX = "system/"


def without_system_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """A run's own metrics: MLflow's ``system/*`` ones are the machine's, charted on the
    MLflow UI's own tab, and would crowd tables and reports of the model's results."""
    return {key: value for key, value in metrics.items() if not key.startswith(PREFIX)}


# The monitor says at INFO that it started and stopped, and that there is no GPU: on every
# run, in the CLI's stderr. What goes wrong it still says, at WARNING.
logging.getLogger("mlflow.system_metrics").setLevel(logging.WARNING)


class SystemMetrics:
    """Samples the machine for one run from ``start`` until ``stop`` (the thread is gone then)."""

    def __init__(self, tracking_uri: str, run_id: str, resumed: bool = False) -> None:
        """``resumed``: the run already has system metrics; go on from their last step."""
        self._monitor = None
        if _switched_off():
            return
        try:
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            from engine.database_urls import with_installed_driver

            self._monitor = SystemMetricsMonitor(
                run_id,
                sampling_interval=SAMPLING_SECONDS,
                resume_logging=resumed,
                tracking_uri=with_installed_driver(tracking_uri),
            )
        except Exception as error:  # noqa: BLE001 - a run goes on without system metrics
            logging.getLogger(__name__).warning("system metrics are not logged: %s", error)

    def start(self) -> SystemMetrics:
        if self._monitor is not None:
            self._monitor.start()
        return self

    def stop(self) -> None:
        """Stop sampling and write what was sampled; wait for the thread to end."""
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.finish()


def _switched_off() -> bool:
    from mlflow.environment_variables import MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING as switch

    # MLflow's default is off (for its fluent runs); Netyard's is on, unless said otherwise.
    return switch.is_set() and not switch.get()
