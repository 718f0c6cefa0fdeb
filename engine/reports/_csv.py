"""A table of runs as CSV: one row per run, its params and last metric values as columns.

Columns are named as ``mlflow.search_runs`` names them (``params.lr``, ``metrics.val_loss``),
so the file reads into pandas like MLflow's own table; values are written exactly as MLflow
holds them (params as their strings, metrics with every digit Python's ``repr`` keeps).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from engine.reports._files import write_atomically
from engine.reports._runs import load_runs
from engine.tracking import RunRecord

RUN_COLUMNS = ("run_id", "run_name", "experiment", "status", "start_time", "duration_s")


def runs_csv_text(runs: list[RunRecord]) -> str:
    params = sorted({name for run in runs for name in run.params})
    metrics = sorted({name for run in runs for name in run.metrics})
    sweep = any(run.trial_number is not None for run in runs)
    columns = [*RUN_COLUMNS, *(("trial",) if sweep else ()), "note"]
    columns += [f"params.{name}" for name in params] + [f"metrics.{name}" for name in metrics]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for run in runs:
        duration = run.duration_s
        row = {
            "run_id": run.run_id,
            "run_name": run.name,
            "experiment": run.experiment,
            "status": run.state.label,
            "start_time": run.started,
            "duration_s": "" if duration is None else f"{duration:.3f}",
            "note": run.note,
        }
        if sweep:
            number = run.trial_number
            row["trial"] = "" if number is None else str(number)
        row.update({f"params.{name}": value for name, value in run.params.items()})
        row.update({f"metrics.{name}": repr(value) for name, value in run.metrics.items()})
        writer.writerow(row)
    return buffer.getvalue()


def runs_table_csv(client, run_ids: Iterable[str], path: str | os.PathLike[str]) -> Path:
    """Write the runs' params and last metric values to ``path`` (CSV); returns the path."""
    return write_atomically(Path(path), runs_csv_text(load_runs(client, run_ids)))
