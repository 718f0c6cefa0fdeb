"""Tracking: every run is an MLflow run, its metrics written in batches off the training path."""

from engine.tracking._dead_runs import may_hold_dead_runs
from engine.tracking._forking import close_inherited_descriptors, reap_helpers, wait_for_helpers
from engine.tracking._histories import History, fetch_histories, fetch_runs_with_histories
from engine.tracking._mlflow import (
    ERROR_TAG,
    HOST_TAG,
    MAX_PARAM_VALUE,
    PID_TAG,
    RunTracker,
    open_client,
    process_alive,
    reconcile_dead_runs,
    run_exists,
    versions,
)
from engine.tracking._mlflow_internals import skip_type_hint_validation, warm_requirement_checks
from engine.tracking._notes import NOTE_TAG, SUMMARY_HEADING
from engine.tracking._provenance import (
    GIT_BRANCH_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    REQUIREMENTS_FILE,
    git_tags,
    requirements_text,
)
from engine.tracking._records import (
    CHECKPOINT_TAG,
    DATASET_TAG,
    OVERFITTING_TAG,
    PLUGIN_TAG,
    RESTORED_STEP_TAG,
    ROLLBACK_TAG,
    ROLLBACKS_TAG,
    STEPS_TAG,
    STOPPED_EARLY_TAG,
    STUDY_TAG,
    SWEEP_TAG,
    TRIAL_NUMBER_TAG,
    TRIAL_STATE_TAG,
    VERSION_PARAMS,
    RunRecord,
)
from engine.tracking._store_check import check_sqlite_store
from engine.tracking._system_metrics import without_system_metrics
from engine.tracking._writer import MetricWriter

__all__ = [
    "CHECKPOINT_TAG",
    "DATASET_TAG",
    "OVERFITTING_TAG",
    "PLUGIN_TAG",
    "ROLLBACK_TAG",
    "ROLLBACKS_TAG",
    "RESTORED_STEP_TAG",
    "STEPS_TAG",
    "STOPPED_EARLY_TAG",
    "without_system_metrics",
    "ERROR_TAG",
    "GIT_BRANCH_TAG",
    "GIT_COMMIT_TAG",
    "GIT_DIRTY_TAG",
    "History",
    "HOST_TAG",
    "MAX_PARAM_VALUE",
    "MetricWriter",
    "NOTE_TAG",
    "PID_TAG",
    "SUMMARY_HEADING",
    "REQUIREMENTS_FILE",
    "RunRecord",
    "RunTracker",
    "STUDY_TAG",
    "SWEEP_TAG",
    "TRIAL_NUMBER_TAG",
    "TRIAL_STATE_TAG",
    "VERSION_PARAMS",
    "check_sqlite_store",
    "close_inherited_descriptors",
    "fetch_histories",
    "fetch_runs_with_histories",
    "git_tags",
    "open_client",
    "process_alive",
    "reap_helpers",
    "may_hold_dead_runs",
    "reconcile_dead_runs",
    "requirements_text",
    "run_exists",
    "skip_type_hint_validation",
    "versions",
    "warm_requirement_checks",
    "wait_for_helpers",
]
