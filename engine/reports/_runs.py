"""The runs a report covers, read from MLflow: given by id, or a sweep's trials by its name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.errors import UsageError
from engine.tracking import NOTE_TAG, without_system_metrics

# The tags a sweep's coordinator sets (engine.sweeps._tracking): the engine.sweeps package
# imports Optuna on import, and a report of plain runs must not pay for that.
SWEEP_TAG = "netyard.sweep"
TRIAL_NUMBER_TAG = "optuna.trial_number"
TRIAL_STATE_TAG = "optuna.state"
MISSING_RUN_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


@dataclass
class ReportRun:
    """One run as a report shows it: MLflow's info, params, last metric values and tags."""

    run_id: str
    name: str
    experiment: str
    status: str
    start_ms: int | None
    end_ms: int | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return self.tags.get(NOTE_TAG, "")

    @property
    def trial_number(self) -> int | None:
        text = self.tags.get(TRIAL_NUMBER_TAG)
        return int(text) if text is not None and text.isdigit() else None

    @property
    def duration_s(self) -> float | None:
        if self.start_ms is None or self.end_ms is None:
            return None
        return (self.end_ms - self.start_ms) / 1000

    @property
    def started(self) -> str:
        """The start time in UTC, ISO 8601 to the second ('' when unknown)."""
        if self.start_ms is None:
            return ""
        moment = datetime.fromtimestamp(self.start_ms / 1000, tz=UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def load_runs(client, run_ids: Iterable[str]) -> list[ReportRun]:
    """The runs, in the order given (each once); ``UsageError`` naming every unknown id."""
    from mlflow.exceptions import MlflowException

    runs, unknown, experiments = [], [], {}
    for run_id in dict.fromkeys(run_ids):
        try:
            run = client.get_run(run_id)
        except MlflowException as error:
            if error.error_code not in MISSING_RUN_CODES:
                raise
            unknown.append(run_id)
            continue
        info = run.info
        if info.experiment_id not in experiments:
            experiments[info.experiment_id] = client.get_experiment(info.experiment_id).name
        runs.append(
            ReportRun(
                run_id=info.run_id,
                name=info.run_name or info.run_id[:8],
                experiment=experiments[info.experiment_id],
                status=info.status,
                start_ms=info.start_time,
                end_ms=info.end_time,
                params=dict(run.data.params),
                metrics=without_system_metrics(run.data.metrics),
                tags=dict(run.data.tags),
            )
        )
    if unknown:
        names = ", ".join(repr(run_id) for run_id in unknown)
        raise UsageError(
            f"unknown run{'s' if len(unknown) > 1 else ''} {names}: give ids of runs in this "
            f"store (the Runs browser and 'netyard ui mlflow' show them)"
        )
    if not runs:
        raise UsageError("no runs given: give one run id or more, or --sweep NAME")
    return runs


def sweep_run_ids(client, name: str) -> list[str]:
    """The run ids of sweep ``name``'s trials, by trial number; ``UsageError`` naming the
    sweeps the store has when it has none of that name."""
    quoted = name.replace("'", "\\'")
    trials = _tagged_runs(client, f"tags.`{SWEEP_TAG}` = '{quoted}'")
    trials = [run for run in trials if TRIAL_NUMBER_TAG in run.data.tags]
    if not trials:
        every = _tagged_runs(client, f"tags.`{SWEEP_TAG}` LIKE '%'")
        known = sorted({run.data.tags[SWEEP_TAG] for run in every})
        choices = f"sweeps in this store: {', '.join(known)}" if known else "this store has none"
        raise UsageError(f"unknown sweep {name!r}: {choices}")
    trials.sort(key=lambda run: int(run.data.tags[TRIAL_NUMBER_TAG]))
    return [run.info.run_id for run in trials]


def _tagged_runs(client, filter_string: str) -> list:
    """Every run of every active experiment that matches ``filter_string``."""
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    if not experiment_ids:
        return []
    found, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids, filter_string=filter_string, max_results=1000, page_token=token
        )
        found.extend(page)
        token = page.token
        if not token:
            return found
