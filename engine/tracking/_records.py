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
# Training's health (engine.training): each rollback of on_divergence=rollback as
# ``netyard.rollback.N`` (its one line), their count, and the step validation loss began to
# rise from while training loss fell (overfitting).
ROLLBACK_TAG = "netyard.rollback"
ROLLBACKS_TAG = "netyard.rollbacks"
OVERFITTING_TAG = "netyard.overfitting_since"
# The steps a resumed run was last asked to run to: its ``steps`` param (MLflow's params
# cannot change) is what it was started with.
STEPS_TAG = "netyard.steps"
# A resumed run's time. MLflow keeps a run's first start time and sets its end time at each
# end, so end - start counts the time it lay stopped between a stop and its resume. Each
# resume records the seconds the run had run so far and when this part began
# (``resume_tags``); ``RunRecord.duration_s`` adds them up. Runs without them: end - start.
RAN_BEFORE_TAG = "netyard.seconds_before_resume"
RESUMED_AT_TAG = "netyard.resumed_at_ms"


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
        """The seconds the run ran, its parts added up if it was resumed; None while it runs
        (a resumed run keeps its earlier end time until it ends again)."""
        if self.start_ms is None or self.end_ms is None or self.status == "RUNNING":
            return None
        before, part_start = _parts_before(self.start_ms, self.tags)
        return before + max(self.end_ms - part_start, 0) / 1000

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


def resume_tags(run, now_ms: int) -> dict[str, str]:
    """The tags a resume of ``run`` (an MLflow ``Run``) at ``now_ms`` sets: the seconds it ran
    in its parts so far, and when its new part starts. A part whose end was never recorded (a
    process killed while it ran, not yet reconciled) counts nothing: its end is not known."""
    info, tags = run.info, run.data.tags
    before, part_start = _parts_before(info.start_time or now_ms, tags)
    if info.end_time is not None and info.end_time >= part_start:
        before += (info.end_time - part_start) / 1000
    return {RAN_BEFORE_TAG: f"{before:.3f}", RESUMED_AT_TAG: str(now_ms)}


def _parts_before(start_ms: int, tags: dict[str, str]) -> tuple[float, int]:
    """(seconds run before the latest part, when the latest part started), from the tags of
    ``resume_tags``; (0, start) for a run never resumed or with tags that do not parse."""
    try:
        return float(tags[RAN_BEFORE_TAG]), int(tags[RESUMED_AT_TAG])
    except (KeyError, ValueError):
        return 0.0, start_ms
