"""The runs a report covers, read from MLflow: given by id, or a sweep's trials by its name."""

from __future__ import annotations

from collections.abc import Iterable

from engine.errors import UsageError
from engine.tracking import SWEEP_TAG, TRIAL_NUMBER_TAG, RunRecord

MISSING_RUN_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


def load_runs(client, run_ids: Iterable[str]) -> list[RunRecord]:
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
        runs.append(RunRecord.from_mlflow(run, experiments[info.experiment_id]))
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
