"""MLflow for sweeps: one parent run per sweep, one nested child run per trial.

The child runs are ordinary training runs (``engine.runner``) with the parent's id, so each
holds its full per-evaluation metric history; this module adds the sweep's side: the parent
(the spec as params, the best value and parameters as trials finish) and the Optuna state
tags on each child once Optuna has decided it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.database_urls import hide_password
from engine.errors import UsageError
from engine.states import State
from engine.tracking import (
    DATASET_TAG,
    PLUGIN_TAG,
    STUDY_TAG,
    SWEEP_TAG,
    TRIAL_STATE_TAG,
    run_exists,
)

TRIAL_ID_TAG = "optuna.trial_id"


def spec_params(resolved) -> dict[str, Any]:
    """The spec as flat MLflow params: the compare view lines sweeps up side by side."""
    spec = resolved.spec
    params: dict[str, Any] = {
        "plugin": spec.plugin,
        "dataset": spec.dataset,
        "sampler": resolved.sampler,
        "pruner": resolved.pruner,
        "trials": resolved.trials if resolved.trials is not None else "",
        "timeout": spec.timeout if spec.timeout is not None else "",
        "parallel": spec.parallel,
        "seed": spec.seed,
        "retries": spec.retries,
        "objectives": ", ".join(
            f"{m} ({d})" for m, d in zip(resolved.metrics, resolved.directions, strict=True)
        ),
    }
    for search in resolved.search:
        params[f"search.{search.name}"] = search.to_text().partition("=")[2] or "all"
    for name, value in spec.fixed.items():
        params[f"fixed.{name}"] = value
    return params


class ParentRun:
    """The sweep's parent run: created, resumed on a re-run, or only written to by a joiner."""

    def __init__(self, tracking_uri: str, artifact_root: Path | None) -> None:
        from engine.tracking import RunTracker

        self.tracker = RunTracker(tracking_uri, artifact_root)
        self.owned = False
        self._best_step = -1

    @property
    def run_id(self) -> str | None:
        return self.tracker.run_id

    @property
    def experiment_id(self) -> str | None:
        return self.tracker.experiment_id

    def open(self, resolved, experiment: str, storage: str, existing: str | None) -> str:
        """Resume ``existing`` if it is still in the store, else create the parent run."""
        self.owned = True
        if existing and run_exists(self.tracker.client, existing):
            return self.tracker.start(experiment, None, {}, {}, resume_run_id=existing)
        tags = {
            SWEEP_TAG: resolved.name,
            STUDY_TAG: resolved.name,
            "netyard.storage": hide_password(storage),  # anyone who reads runs reads tags
            PLUGIN_TAG: resolved.spec.plugin,
            DATASET_TAG: resolved.spec.dataset,
        }
        run_id = self.tracker.start(experiment, resolved.name, spec_params(resolved), tags)
        self.tracker.log_json(resolved.spec.to_shareable_dict(), "sweep.json")
        return run_id

    def attach(self, run_id: str) -> None:
        """Write best values to a parent another process owns (``netyard worker``). It must
        be in this tracking store: the trials' runs would be orphans on another one."""
        from mlflow.exceptions import MlflowException

        uri = self.tracker.tracking_uri
        try:
            self.tracker.client.get_run(run_id)
        except MlflowException as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            if "error code 401" in first:
                from engine.team_file import PASSWORD_WANTED

                first = f"it {PASSWORD_WANTED}"
            raise UsageError(
                f"cannot join: the sweep's MLflow parent run {run_id} cannot be read from "
                f"{uri}: {first}"
            ) from None
        self.tracker.attach(run_id)

    def best(
        self, number: int, metrics: list[str], values: list[float], params: Mapping[str, Any]
    ) -> None:
        if self.tracker.run_id is None:
            return
        # MLflow shows the value at the highest step as the run's metric: parallel trials end
        # out of order, so the step never goes back (it is the trial number when it can be).
        self._best_step = max(number, self._best_step + 1)
        self.tracker.log_metrics(
            self._best_step, {f"best_{m}": v for m, v in zip(metrics, values, strict=True)}
        )
        tags = {"netyard.best_trial": str(number)}
        tags.update({f"best.{name}": str(value) for name, value in params.items()})
        self.tracker.set_tags(tags)

    def end(self, status: str, error: str | None = None) -> None:
        if self.tracker.run_id is None:
            return
        if self.owned:
            self.tracker.end(status, error)
        else:
            self.tracker.detach()


def mark_trial_run(
    client, run_id: str | None, state: str, reason: str | None = None, fail_run: bool = False
) -> None:
    """Tag a trial's run with its Optuna state; ``fail_run`` also ends it FAILED."""
    if not run_id:
        return
    from engine.tracking import ERROR_TAG, MAX_PARAM_VALUE

    client.set_tag(run_id, TRIAL_STATE_TAG, state)
    if reason:
        client.set_tag(run_id, ERROR_TAG, reason[:MAX_PARAM_VALUE])
    if fail_run:
        client.set_terminated(run_id, status=State.FAILED.mlflow_status)


def finite(values: list[float]) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)
