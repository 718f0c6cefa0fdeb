"""One training run end to end: validate, load data, track in MLflow, train, report.

``prepare_run`` checks everything a user can get wrong (plugin, hyperparameters, dataset,
device, checkpoint) and loads the data before anything is written to the tracking store, so
bad input leaves nothing behind. ``execute_run`` then owns the MLflow run and guarantees it
ends FINISHED, FAILED or KILLED.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import NoSpaceLeft, UsageError, as_no_space
from engine.events import (
    EvalMetrics,
    Event,
    OverfittingSeen,
    RolledBack,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunStarted,
    Snapshot,
    StepMetrics,
)
from engine.options import DEFAULT_DEVICE, SEED, THREADS, check_run_options
from engine.states import State
from engine.tracking import (
    CHECKPOINT_TAG,
    DATASET_TAG,
    OVERFITTING_TAG,
    PLUGIN_TAG,
    RESTORED_STEP_TAG,
    ROLLBACK_TAG,
    ROLLBACKS_TAG,
    STEPS_TAG,
    STOPPED_EARLY_TAG,
)
from engine.workspace import Workspace


@dataclass
class RunConfig:
    """Everything that defines a run; plain data, so it crosses process boundaries as JSON."""

    plugin: str
    dataset: str
    hparams: dict[str, Any] = field(default_factory=dict)
    seed: int = SEED.default
    device: str = DEFAULT_DEVICE
    threads: int | None = THREADS.default
    workspace: str | None = None
    tracking_uri: str | None = None
    experiment: str | None = None
    run_name: str | None = None
    resume: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    track: bool = True
    # False skips resumable checkpoints (a baseline that only wants the metrics).
    checkpoints: bool = True
    # True draws the artifacts and ends the MLflow run in a forked helper once training is
    # done, so the process can go on (a sweep worker starts its next trial): the run becomes
    # FINISHED a moment after ``execute_run`` returns. CPU runs with a database store only.
    finish_in_background: bool = False
    # True logs the trained model as an MLflow Model (artifact ``model``): what
    # ``mlflow.pyfunc.load_model``, the registry and ``netyard predict`` use.
    log_model: bool = True
    # Segments (population-based training, promotions): stop at this step with a checkpoint;
    # the run ends stopped (KILLED), to be resumed later. None trains to ``steps``.
    pause_at: int | None = None
    # Resume ``resume`` (another run's checkpoint, for an exploit) into this MLflow run.
    continue_run_id: str | None = None
    # The resumed run takes the hyperparameters given here instead of the checkpoint's (its
    # weights, optimizer state and step stay; the optimizers take the new settings).
    retune: bool = False

    def check(self) -> RunConfig:
        """This config, once its seed, threads and device are valid; else the CLI's one
        ``UsageError`` sentence (what a form shows without running anything)."""
        check_run_options(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        return cls(**data)

    def to_command_line(self) -> str:
        """The ``netyard run`` line that gives back this config, quoted for a POSIX shell.

        Every hyperparameter in ``hparams`` becomes a ``--set``, in order (leave out the
        ones you want the plugin's defaults for); the other flags appear only where they
        differ from the CLI's defaults. Raises ``ValueError`` for what the CLI cannot say
        (tags, a parent run, no checkpoints, finishing in the background).
        """
        import shlex

        unsaid = [
            name
            for name, value in (
                ("tags", self.tags),
                ("parent_run_id", self.parent_run_id),
                ("checkpoints", not self.checkpoints),
                ("finish_in_background", self.finish_in_background),
                ("pause_at", self.pause_at),
                ("continue_run_id", self.continue_run_id),
                ("retune", self.retune),
            )
            if value
        ]
        if unsaid:
            raise ValueError(f"'netyard run' has no flag for {', '.join(unsaid)}")
        words = ["netyard", "run", self.plugin, *_option("--dataset", self.dataset)]
        for name, value in self.hparams.items():
            words += ["--set", f"{name}={_command_line_value(value)}"]
        if self.seed != SEED.default:
            words += ["--seed", str(self.seed)]
        if self.device != DEFAULT_DEVICE:
            words += _option("--device", self.device)
        for flag, value in (
            ("--threads", self.threads),
            ("--workspace", self.workspace),
            ("--tracking-uri", self.tracking_uri),
            ("--experiment", self.experiment),
            ("--run-name", self.run_name),
            ("--resume", self.resume),
        ):
            if value is not None:
                words += _option(flag, str(value))
        if not self.track:
            words.append("--no-track")
        if not self.log_model:
            words.append("--no-model")
        return shlex.join(words)


def _option(flag: str, value: str) -> list[str]:
    # argparse takes "--run-name -x" for two options: a value with a leading dash is joined.
    return [f"{flag}={value}"] if value.startswith("-") else [flag, value]


def _command_line_value(value: Any) -> str:
    """A hyperparameter as ``--set`` text that parses back to the same value: ``true`` and
    ``false`` for bools, ``repr`` for floats (exact round trip, ``0.001`` for ``1e-3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass
class PreparedRun:
    config: RunConfig
    plugin_cls: type
    hparams: dict[str, Any]
    dataset: Any
    device: Any
    workspace: Workspace
    tracking_uri: str
    resume_state: dict[str, Any] | None
    # The checkpoint holds the training done but its run never ended FINISHED with its model
    # (killed while saving it): the run saves its artifacts from the checkpoint and ends.
    finish_only: bool = False


@dataclass
class RunOutcome:
    status: State  # finished, failed or stopped
    run_id: str | None
    step: int
    metrics: dict[str, float]
    error: str | None = None
    checkpoint: str | None = None
    experiment_id: str | None = None
    tracking_uri: str | None = None
    # A finished run's summary, a sentence each: the plugin's verdict on the metrics and what
    # training and the plugin noted (the run's description in MLflow).
    notes: list[str] = field(default_factory=list)


def experiment_name(plugin_id: str, dataset_id: str) -> str:
    readable = dataset_id.replace("\\", "/").rstrip("/").split("/")[-1]
    return f"{plugin_id}-{readable}"


def dataset_for(plugin_cls, dataset_id: str):
    """The ``DatasetInfo`` of ``dataset_id`` if ``plugin_cls`` can learn from it; else one
    ``UsageError`` naming the dataset and the kinds the plugin accepts."""
    from engine.data import dataset_info

    if not dataset_id.strip():
        kinds = ", ".join(plugin_cls.data_kinds)
        raise UsageError(f"choose a dataset; plugin {plugin_cls.id!r} accepts: {kinds}")
    info = dataset_info(dataset_id.strip())
    if not plugin_cls.accepts(info.kind):
        raise UsageError(
            f"plugin {plugin_cls.id!r} cannot take dataset {dataset_id!r} "
            f"(a {info.kind} dataset); it accepts: {', '.join(plugin_cls.data_kinds)}"
        )
    return info


def _changed_on_resume(plugin_cls, trained: dict[str, Any], asked: dict[str, Any]) -> list[str]:
    """``key=value`` for each asked hyperparameter other than steps that differs from the
    checkpoint's (values compared once resolved, so ``lr=0.001`` equals ``lr=1e-3``)."""
    schema = plugin_cls.full_schema()
    before = schema.resolve(dict(trained))
    after = schema.resolve({**trained, **asked})
    return [f"{key}={asked[key]}" for key in asked if key != "steps" and after[key] != before[key]]


def prepare_run(config: RunConfig) -> PreparedRun:
    """Validate the config and load the data; raises ``UsageError``; writes no tracking data."""
    from engine.augment import check_augmentation
    from engine.plugin import get_plugin
    from engine.training import load_checkpoint, resolve_device

    config.check()
    plugin_cls = get_plugin(config.plugin)
    resume_state = None
    overrides = dict(config.hparams)
    if config.resume:
        resume_state = load_checkpoint(config.resume)
        if resume_state.get("plugin") != plugin_cls.id:
            raise UsageError(
                f"checkpoint {config.resume!r} belongs to plugin "
                f"{resume_state.get('plugin')!r}, not {plugin_cls.id!r}"
            )
        if resume_state.get("dataset") != config.dataset:
            raise UsageError(
                f"checkpoint {config.resume!r} was trained on dataset "
                f"{resume_state.get('dataset')!r}, not {config.dataset!r}"
            )
        # A resumed run keeps its hyperparameters; only the step budget may grow (unless it
        # is retuned: a population-based training's exploit).
        changed = _changed_on_resume(plugin_cls, resume_state["hparams"], overrides)
        if changed and not config.retune:
            raise UsageError(
                f"cannot change {', '.join(changed)} when resuming {config.resume!r}: a resumed "
                "run keeps the hyperparameters it was trained with; only steps may be raised "
                "(start a new run to change the others)"
            )
        overrides = {
            **resume_state["hparams"],
            **{k: v for k, v in overrides.items() if k == "steps" or config.retune},
        }
    hparams = plugin_cls.full_schema().resolve(overrides)
    finish_only = _left_unfinished(config, resume_state, hparams)
    if resume_state and not finish_only and hparams["steps"] <= int(resume_state["step"]):
        raise UsageError(
            f"checkpoint {config.resume!r} is already at step {resume_state['step']}; "
            f"give --steps above that to train further"
        )
    info = dataset_for(plugin_cls, config.dataset)
    if "monitor" not in overrides:
        # A plugin that serves several tasks watches a metric that the task reports.
        hparams["monitor"] = f"val_{plugin_cls.monitor_for(info.task)}"
    task_defaults = plugin_cls.task_defaults.get(info.task, {})
    if any(name not in overrides for name in task_defaults):
        hparams = {**plugin_cls.full_schema().resolve({**task_defaults, **overrides}),
                   "monitor": hparams["monitor"]}  # fmt: skip
    device = resolve_device(config.device)
    workspace = Workspace.resolve(config.workspace).ensure()
    dataset = info.load(workspace.datasets_dir, config.seed, float(hparams["val_fraction"]))
    plugin_cls(hparams, dataset.spec).check()
    check_augmentation(hparams, dataset.spec)  # one the data cannot take is bad input
    tracking_uri = config.tracking_uri or workspace.tracking_uri
    return PreparedRun(
        config, plugin_cls, hparams, dataset, device, workspace, tracking_uri, resume_state,
        finish_only,
    )  # fmt: skip


def _left_unfinished(config: RunConfig, resume_state, hparams: dict[str, Any]) -> bool:
    """Whether the resumed checkpoint's training is done while its run never ended FINISHED
    with its model (``engine.models.run_left_unfinished``)."""
    from engine.models import run_left_unfinished
    from engine.training import training_done

    if not (resume_state and config.track and training_done(resume_state, hparams["steps"])):
        return False
    uri = config.tracking_uri or Workspace.resolve(config.workspace).tracking_uri
    return run_left_unfinished(uri, resume_state.get("mlflow_run_id"), config.log_model)


def execute_run(
    prepared: PreparedRun,
    emit: Callable[[Event], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunOutcome:
    """Train and track a prepared run; always ends the MLflow run with a final status.

    A resumed run holds its checkpoint while it trains: a second resume of the same run (two
    clicks, two shells) is refused with a ``UsageError`` instead of training it twice.
    """
    with _checkpoint_held(prepared.config.resume):
        return _execute_run(prepared, emit, should_stop)


@contextlib.contextmanager
def _checkpoint_held(checkpoint: str | None):
    if not checkpoint:
        yield
        return
    import fcntl

    # A lock beside the checkpoint, not on it: the checkpoint file is replaced as it is saved.
    with open(Path(checkpoint).with_name("resume.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"checkpoint {checkpoint!r} is already being resumed by another process: "
                "wait for that run to end, or stop it, before resuming it again"
            ) from None
        yield


def _execute_run(
    prepared: PreparedRun, emit: Callable[[Event], None], should_stop: Callable[[], bool]
) -> RunOutcome:

    from engine.training import NonFiniteLoss

    config = prepared.config
    plugin = prepared.plugin_cls(prepared.hparams, prepared.dataset.spec)
    dataset = prepared.dataset.to(prepared.device)
    tracker = _start_tracking(prepared) if config.track else None
    if tracker is not None and config.log_model:
        _warm_model_logging()
    run_id = tracker.run_id if tracker else None
    step = int(prepared.resume_state["step"]) if prepared.resume_state else 0
    emit(
        RunStarted(
            run_id=run_id,
            plugin=plugin.id,
            dataset=config.dataset,
            total_steps=int(prepared.hparams["steps"]),
            start_step=step,
            device=str(prepared.device),
            params=dict(prepared.hparams),
            experiment_id=tracker.experiment_id if tracker else None,
            tracking_uri=prepared.tracking_uri if tracker else None,
        )
    )
    trainer = _trainer(prepared, plugin, dataset, run_id, _tracked(tracker, emit), should_stop)

    def outcome(status: State, metrics=None, error=None, checkpoint=None, notes=()) -> RunOutcome:
        experiment_id = tracker.experiment_id if tracker else None
        return RunOutcome(status, run_id, step, metrics or {}, error, checkpoint,
                          experiment_id, prepared.tracking_uri, list(notes))  # fmt: skip

    try:
        if prepared.finish_only:
            result = trainer.finish(prepared.resume_state)
        else:
            result = trainer.fit(prepared.resume_state)
        step = result.step
        checkpoint = str(result.checkpoint) if result.checkpoint else None
        steps_tag = _steps_tag(prepared)
        if result.status == State.STOPPED:
            _end(tracker, State.STOPPED, tags={CHECKPOINT_TAG: checkpoint or "", **steps_tag})
            emit(RunCancelled(run_id=run_id, step=step, checkpoint=checkpoint))
            return outcome(State.STOPPED, result.metrics, checkpoint=checkpoint)
        end_tags = {
            **steps_tag,
            CHECKPOINT_TAG: checkpoint or "",
            STOPPED_EARLY_TAG: str(result.stopped_early).lower(),
            # Step 0 is a real restore (the untrained model was the best), not "none".
            RESTORED_STEP_TAG: "" if result.restored_step is None else str(result.restored_step),
        }
        notes = _record_finished(prepared, tracker, plugin, dataset, result, end_tags)
        emit(RunFinished(run_id, step, result.metrics, result.stopped_early, checkpoint))
        return outcome(State.FINISHED, result.metrics, checkpoint=checkpoint, notes=notes)
    except BaseException as error:
        step = max(step, getattr(trainer, "step", step))
        if isinstance(error, NonFiniteLoss):
            step = error.step  # where it went wrong, not the end of the chunk it was found in
        if isinstance(error, KeyboardInterrupt):
            _end(tracker, State.STOPPED, error="interrupted")
            emit(RunCancelled(run_id=run_id, step=step))
            raise
        reason = _record_failed(prepared, tracker, error)
        emit(RunFailed(run_id=run_id, step=step, reason=reason, traceback=traceback.format_exc()))
        return outcome(State.FAILED, error=reason)


def _trainer(prepared: PreparedRun, plugin, dataset, run_id, emit, should_stop):
    """The run's ``Trainer``: its checkpoints beside the run's, its threads governed."""
    from engine.training import ThreadGovernor, Trainer

    config = prepared.config
    checkpoint_dir = prepared.workspace.checkpoints_dir / (run_id or _untracked_name(config))
    return Trainer(
        plugin,
        dataset,
        prepared.device,
        config.seed,
        emit,
        should_stop,
        checkpoint_path=checkpoint_dir / "last.ckpt" if config.checkpoints else None,
        checkpoint_extra={"dataset": config.dataset, "mlflow_run_id": run_id},
        pause_at=config.pause_at,
        retune=config.retune,
        # The cores others leave free, unless chosen; a run that must repeat exactly keeps
        # one count (CPU results depend on it).
        threads=ThreadGovernor(config.threads, follow_load=not prepared.hparams["deterministic"]),
    )


def _record_failed(prepared: PreparedRun, tracker, error: BaseException) -> str:
    """End the run FAILED with the one line that says why; that line."""
    from engine.training import NonFiniteLoss

    no_space = as_no_space(error, str(prepared.workspace.root))
    if no_space is not None:
        # The held-back room lets the FAILED status and its reason reach the store.
        prepared.workspace.release_space_reserve()
        error = no_space
    reason = _failure_reason(error, NonFiniteLoss)
    _end_failed(tracker, reason)
    return reason


def _tracked(tracker, emit: Callable[[Event], None]) -> Callable[[Event], None]:
    """``emit``, with each event's metrics and snapshots written to the run's tracker first."""

    def forward(event: Event) -> None:
        if tracker is not None:
            if isinstance(event, StepMetrics):
                tracker.log_series(event.steps, event.metrics)
            elif isinstance(event, EvalMetrics):
                # Handed to the writer at once: a checkpoint may follow, and a run resumed
                # from it after a kill -9 logs only the steps after it.
                tracker.log_metrics(event.step, event.metrics, hand_off=True)
            elif isinstance(event, Snapshot):
                tracker.log_json(event.data, f"snapshots/step_{event.step:07d}.json")
            elif isinstance(event, RolledBack):  # tagged as it happens: a run that then fails
                tracker.set_tags({f"{ROLLBACK_TAG}.{event.number}": event.message,
                                  ROLLBACKS_TAG: str(event.number)})  # fmt: skip
            elif isinstance(event, OverfittingSeen):
                tracker.set_tags({OVERFITTING_TAG: str(event.since_step)})
        emit(event)

    return forward


def _record_finished(prepared: PreparedRun, tracker, plugin, dataset, result, tags) -> list[str]:
    """A finished run's final metrics, artifacts, notes and FINISHED status; the artifacts and
    the status in a helper process where the worker may take its next job meanwhile. Returns
    the notes."""
    notes = prepared.plugin_cls.run_notes(result.metrics) + result.notes
    if tracker is not None:
        # The val_* values were logged at the last evaluation; again here they would appear
        # twice at the final step in the metric history. A run finished from its checkpoint
        # may have lost them with its killed process: the writer drops the ones the store
        # holds at that step already. With ``restore_best`` the model is an earlier
        # evaluation's: its val_* go last at the final step, so the value MLflow shows for
        # the run is the model's (MLflow's latest is the last logged); so do they when the
        # plugin changed the model after training (``Plugin.settle``).
        restored = result.restored_step is not None and result.restored_step != result.step
        again = prepared.finish_only or restored or result.settled
        final = {k: v for k, v in result.metrics.items()
                 if again or not k.startswith("val_")}  # fmt: skip
        tracker.log_metrics(result.step, final)

    def finish(tracker) -> None:
        if tracker is not None:
            _log_run_artifacts(tracker, prepared, plugin, dataset, result.model, result.step)
            if notes:  # the run's description in MLflow, below what the user wrote there
                tracker.write_summary("\n".join(notes))
        _end(tracker, State.FINISHED, tags=tags)

    if not (
        prepared.config.finish_in_background
        and tracker is not None
        and prepared.device.type == "cpu"  # a forked child cannot use CUDA
        and tracker.finish_in_background(_in_one_thread(finish))
    ):
        finish(tracker)
    return notes


def run(
    config: RunConfig,
    emit: Callable[[Event], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunOutcome:
    return execute_run(prepare_run(config), emit, should_stop)


# -- helpers ----------------------------------------------------------------------------------
def _untracked_name(config: RunConfig) -> str:
    import time

    return f"untracked-{config.plugin}-{int(time.time() * 1000)}"


def _failure_reason(error: BaseException, non_finite: type) -> str:
    import torch

    if isinstance(error, non_finite | NoSpaceLeft):
        return str(error)
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return f"out of GPU memory: {str(error).splitlines()[0]}"
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"{type(error).__name__}: {error}"


def _start_tracking(prepared: PreparedRun):
    from engine.tracking import RunTracker, run_exists, versions

    config = prepared.config
    tracker = RunTracker(prepared.tracking_uri, prepared.workspace.artifacts_dir)
    resume_run_id = None
    if prepared.resume_state and (
        config.continue_run_id or prepared.resume_state.get("mlflow_run_id")
    ):
        candidate = config.continue_run_id or prepared.resume_state["mlflow_run_id"]
        if run_exists(tracker.client, candidate):
            resume_run_id = candidate
    params = {
        **prepared.hparams,
        "plugin": config.plugin,
        "dataset": config.dataset,
        "seed": config.seed,
        "device": str(prepared.device),
        **versions(),
    }
    tags = {PLUGIN_TAG: config.plugin, DATASET_TAG: config.dataset, **config.tags}
    tracker.start(
        experiment=config.experiment or experiment_name(config.plugin, config.dataset),
        run_name=config.run_name
        or f"{config.plugin}-{experiment_name('', config.dataset)[1:]}-seed{config.seed}",
        params=params,
        tags=tags,
        parent_run_id=config.parent_run_id,
        resume_run_id=resume_run_id,
        system_metrics=True,  # CPU, memory, GPU use as MLflow's system/* metrics
    )
    return tracker


def _log_final_metrics(tracker, step: int, metrics) -> None:
    import time

    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    found = [Metric(key, float(value), now, step) for key, value in metrics.items()]
    tracker.client.log_batch(tracker.run_id, metrics=found)


def _log_run_artifacts(tracker, prepared: PreparedRun, plugin, dataset, model, step) -> None:
    from safetensors.torch import save_model

    from engine.models import (
        CONFIG_FILE,
        MODEL_ARTIFACT,
        WEIGHTS_FILE,
        log_mlflow_model,
        write_mlflow_model,
    )
    from engine.tracking import versions

    with tempfile.TemporaryDirectory(prefix="netyard-artifacts-") as folder:
        out, model_dir = Path(folder) / "files", Path(folder) / MODEL_ARTIFACT
        out.mkdir()
        save_model(model, str(out / WEIGHTS_FILE))
        config = {
            "plugin": prepared.config.plugin,
            "dataset": prepared.config.dataset,
            "seed": prepared.config.seed,
            "device": str(prepared.device),
            "hparams": prepared.hparams,
            "data_spec": dataset.spec.to_dict(),
            "versions": versions(),
        }
        (out / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))
        found = plugin.write_artifacts(model, dataset, out)
        if found:  # straight to the store: in a finishing helper the metric writer is gone
            _log_final_metrics(tracker, step, found)
        made = prepared.config.log_model and write_mlflow_model(
            out, plugin, model, dataset, config, into=model_dir
        )
        tracker.log_artifacts(out)
        if made:  # last, and whole or not at all: a run killed before it has no model at all
            log_mlflow_model(tracker.client, tracker.run_id, model_dir)


def _warm_model_logging() -> None:
    """What saving the MLflow Model needs the first time in a process (MLflow's model code,
    its map of installed packages: 1.2 s here), on a thread while the run trains."""
    import threading

    from engine.models import warm_model_logging

    threading.Thread(target=warm_model_logging, name="netyard-warm-model", daemon=True).start()


def _in_one_thread(finish: Callable[[Any], None]) -> Callable[[Any], None]:
    """``finish`` for a forked helper: torch there runs on one thread (the OpenMP pool of the
    parent does not survive a fork, and the helper must not compete with the next trial)."""

    def in_helper(tracker) -> None:
        import torch

        torch.set_num_threads(1)
        finish(tracker)

    return in_helper


def _end_failed(tracker, reason: str) -> None:
    """End the run FAILED with ``reason`` as far as the store lets us: the metrics still
    buffered may not be writable (a full disk, a store that went away), and the run's own
    failure, not that one, is what the user is told. A run left RUNNING here is ended FAILED
    by the next reconcile (its process is gone)."""
    if tracker is None:
        return
    with contextlib.suppress(Exception):
        tracker.end(State.FAILED.mlflow_status, reason)


def _end(tracker, state: State, error: str | None = None, tags: dict | None = None) -> None:
    if tracker is None:
        return
    if tags:
        tracker.set_tags({k: v for k, v in tags.items() if v})
    tracker.end(state.mlflow_status, error)


def _steps_tag(prepared: PreparedRun) -> dict[str, str]:
    """A resumed run asked for other steps than it started with records them (``STEPS_TAG``):
    its ``steps`` param, logged at its start, cannot change."""
    state = prepared.resume_state
    steps = int(prepared.hparams["steps"])
    if not state or int(state["hparams"].get("steps", steps)) == steps:
        return {}
    return {STEPS_TAG: str(steps)}
