"""Runs' metric histories read back from MLflow, for the curves that overlay them (the Runs
browser's comparison, a sweep trial's curves in the sweep dashboard). Blocking reads: the app
calls these on its pool threads; mlflow is imported by ``open_client`` when first called."""

from __future__ import annotations

from engine.tracking._mlflow import open_client
from engine.tracking._records import RunRecord

History = tuple[list[int], list[float], list[int]]  # steps, values, timestamps (ms)


def fetch_histories(
    tracking_uri: str, run_ids: list[str], keys: list[str]
) -> dict[str, dict[str, History]]:
    """Full metric histories: ``{run_id: {key: (steps, values, timestamps_ms)}}``, in step
    order; a key a run never logged is left out of its dict."""
    client = open_client(tracking_uri)
    histories: dict[str, dict[str, History]] = {}
    for run_id in run_ids:
        per_key = histories.setdefault(run_id, {})
        for key in keys:
            points = sorted(
                client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp)
            )
            if points:
                per_key[key] = (
                    [m.step for m in points],
                    [m.value for m in points],
                    [m.timestamp for m in points],
                )
    return histories


def fetch_runs_with_histories(
    tracking_uri: str, run_ids: list[str]
) -> tuple[list[RunRecord], dict[str, dict[str, History]]]:
    """The runs (in the order given) and the histories of every metric each logged, the
    machine's ``system/*`` metrics left out (``RunRecord.metrics`` has none)."""
    client = open_client(tracking_uri)
    experiments: dict[str, str] = {}
    records = []
    for run_id in dict.fromkeys(run_ids):
        run = client.get_run(run_id)
        experiment_id = run.info.experiment_id
        if experiment_id not in experiments:
            experiments[experiment_id] = client.get_experiment(experiment_id).name
        records.append(RunRecord.from_mlflow(run, experiments[experiment_id]))
    keys = sorted({key for record in records for key in record.metrics})
    return records, fetch_histories(tracking_uri, [r.run_id for r in records], keys)
