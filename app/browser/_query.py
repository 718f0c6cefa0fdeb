"""MLflow reads and writes for the runs browser. Called on pool threads only; mlflow is
imported inside each function so the GUI never loads it at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOTE_TAG = "mlflow.note.content"  # what the MLflow UI shows as a run's description
MAX_RUNS = 2000
HIDDEN_PARAMS = ("netyard_version", "torch_version", "python_version")


@dataclass
class RunRow:
    run_id: str
    experiment_id: str
    experiment: str
    name: str
    status: str
    start_ms: int | None
    end_ms: int | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def duration_s(self) -> float | None:
        if self.start_ms is None or self.end_ms is None:
            return None
        return (self.end_ms - self.start_ms) / 1000


def _client(tracking_uri: str):
    from engine.tracking import open_client

    return open_client(tracking_uri)


_RECONCILED: set[str] = set()


def fetch_runs(tracking_uri: str, filter_string: str = "") -> list[RunRow]:
    """Every run of every active experiment matching an MLflow search filter, newest first.

    The first listing of a store in this app fails the runs whose process died while no
    Netyard was watching (kill -9, a crash), so they do not show RUNNING for ever.
    """
    client = _client(tracking_uri)
    if tracking_uri not in _RECONCILED:
        from engine.tracking import reconcile_dead_runs

        reconcile_dead_runs(tracking_uri)
        _RECONCILED.add(tracking_uri)
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    if not experiments:
        return []
    runs = client.search_runs(
        list(experiments),
        filter_string=filter_string,
        max_results=MAX_RUNS,
        order_by=["attributes.start_time DESC"],
    )
    rows = []
    for run in runs:
        info, data = run.info, run.data
        rows.append(
            RunRow(
                run_id=info.run_id,
                experiment_id=info.experiment_id,
                experiment=experiments.get(info.experiment_id, info.experiment_id),
                name=info.run_name or info.run_id[:8],
                status=info.status,
                start_ms=info.start_time,
                end_ms=info.end_time,
                params={k: v for k, v in data.params.items() if k not in HIDDEN_PARAMS},
                metrics=dict(data.metrics),
                note=data.tags.get(NOTE_TAG, ""),
            )
        )
    return rows


def fetch_histories(
    tracking_uri: str, run_ids: list[str], keys: list[str]
) -> dict[str, dict[str, tuple[list[int], list[float]]]]:
    """Full metric histories: ``{run_id: {key: (steps, values)}}``."""
    client = _client(tracking_uri)
    histories: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for run_id in run_ids:
        per_key = histories.setdefault(run_id, {})
        for key in keys:
            points = sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)
            if points:
                per_key[key] = ([m.step for m in points], [m.value for m in points])
    return histories


def save_note(tracking_uri: str, run_id: str, text: str) -> str:
    _client(tracking_uri).set_tag(run_id, NOTE_TAG, text)
    return run_id


def params_diff(rows: list[RunRow]) -> list[tuple[str, list[str], bool]]:
    """(param, value per run, differs) for every param any of the runs has."""
    names = sorted({name for row in rows for name in row.params})
    table = []
    for name in names:
        values = [row.params.get(name, "") for row in rows]
        table.append((name, values, len(set(values)) > 1))
    table.sort(key=lambda entry: (not entry[2], entry[0]))
    return table


def describe(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
