"""One MLflow run as Netyard's tables and reports show it.

``RunRecord.from_mlflow`` is the one conversion from MLflow's ``Run``: the app's Runs browser
lists these records and the engine's reports (CSV, HTML) are written from them, so both hide
the same things (MLflow's own tags, the machine's ``system/*`` metrics) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.states import State, from_mlflow, from_trial_tag
from engine.tracking._notes import NOTE_TAG
from engine.tracking._system_metrics import without_system_metrics

# The params every run logs about its environment (``versions()``): the same on every run
# of one installation, so a table of runs leaves them out.
VERSION_PARAMS = ("netyard_version", "torch_version", "python_version")
# The tags a sweep puts on its runs (engine.sweeps writes them; the browser and the reports
# read them). Named here, not in engine.sweeps, which imports Optuna on import.
SWEEP_TAG = "netyard.sweep"  # the sweep's name, on its parent run and on every trial's run
STUDY_TAG = "optuna.study_name"
TRIAL_NUMBER_TAG = "optuna.trial_number"
TRIAL_STATE_TAG = "optuna.state"  # State.trial_tag: RUNNING, then COMPLETE, PRUNED, STOPPED...
# The tags every run gets from the runner (the plugin and dataset also on registered models'
# versions and a sweep's parent run), read by the browser, resume, predict and the registry.
PLUGIN_TAG = "netyard.plugin"
DATASET_TAG = "netyard.dataset"
CHECKPOINT_TAG = "netyard.checkpoint"  # the checkpoint a run ended with ("" when none)
STOPPED_EARLY_TAG = "netyard.stopped_early"  # "true" or "false"
RESTORED_STEP_TAG = "netyard.restored_step"  # the evaluation whose weights ended the run
# The steps a resumed run was last asked to run to: its ``steps`` param (MLflow's params
# cannot change) is what it was started with.
STEPS_TAG = "netyard.steps"


@dataclass
class RunRecord:
    """A run's info, params, last metric values, note and tags, read from MLflow."""

    run_id: str
    experiment_id: str
    experiment: str  # its name
    name: str
    status: str
    start_ms: int | None
    end_ms: int | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # without system/*
    note: str = ""  # the description the MLflow UI shows
    # Every tag but MLflow's own (mlflow.*: run name, note, logged-model history): the user's
    # tags, the star, Netyard's checkpoint, a trial's number and state.
    tags: dict[str, str] = field(default_factory=dict)
    lifecycle_stage: str = "active"  # "deleted" once archived

    @classmethod
    def from_mlflow(cls, run, experiment: str, *, version_params: bool = True) -> RunRecord:
        """``run`` (an MLflow ``Run``) in experiment ``experiment``; ``version_params=False``
        leaves out the environment's versions (``VERSION_PARAMS``)."""
        info, data = run.info, run.data
        params = dict(data.params)
        if STEPS_TAG in data.tags and "steps" in params:
            params["steps"] = data.tags[STEPS_TAG]
        if not version_params:
            params = {k: v for k, v in params.items() if k not in VERSION_PARAMS}
        return cls(
            run_id=info.run_id,
            experiment_id=info.experiment_id,
            experiment=experiment,
            name=info.run_name or info.run_id[:8],
            status=info.status,
            start_ms=info.start_time,
            end_ms=info.end_time,
            params=params,
            metrics=without_system_metrics(data.metrics),
            note=data.tags.get(NOTE_TAG, ""),
            tags={k: v for k, v in data.tags.items() if not k.startswith("mlflow.")},
            lifecycle_stage=info.lifecycle_stage,
        )

    @property
    def state(self) -> State:
        """How the run stands in Netyard's words: a trial's from its trial state (pruned and
        stopped runs are both KILLED in MLflow), another's from its MLflow status."""
        tagged = from_trial_tag(self.tags.get(TRIAL_STATE_TAG, ""))
        return tagged if tagged is not None else from_mlflow(self.status)

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

    @property
    def trial_number(self) -> int | None:
        """The Optuna trial number of a sweep's trial run; None for other runs."""
        text = self.tags.get(TRIAL_NUMBER_TAG)
        return int(text) if text is not None and text.isdigit() else None
