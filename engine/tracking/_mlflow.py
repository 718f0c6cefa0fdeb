"""One MLflow run per training run, written through ``MlflowClient`` (no global state).

Status ends FINISHED on success, FAILED on error (the reason in the ``netyard.error`` tag),
KILLED on user cancel, and is never left RUNNING by a process that is still alive to end it.
Runs whose process died (kill -9, power loss) are found and failed by ``reconcile_dead_runs``.
A new run also records where it came from (``_provenance``: git commit, requirements.txt).
"""

from __future__ import annotations

import os
import platform
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.database_urls import with_installed_driver
from engine.tracking._default_experiment import place_default_experiment
from engine.tracking._forking import fork_helper, leave_unwaited
from engine.tracking._notes import NOTE_TAG, SUMMARY_TAG, merged_note
from engine.tracking._provenance import git_tags, log_requirements
from engine.tracking._records import VERSION_PARAMS, resume_tags
from engine.tracking._store_check import check_sqlite_store
from engine.tracking._store_template import seed_new_store
from engine.tracking._system_metrics import SystemMetrics
from engine.tracking._writer import MetricWriter, logged_steps

MAX_PARAM_VALUE = 6000
ERROR_TAG = "netyard.error"
PID_TAG = "netyard.pid"
HOST_TAG = "netyard.host"


def versions() -> dict[str, str]:
    import torch

    import engine

    found = (engine.__version__, torch.__version__, platform.python_version())
    return dict(zip(VERSION_PARAMS, found, strict=True))


_READY_STORES: set[str] = set()


def run_exists(client, run_id: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def open_client(tracking_uri: str):
    """A client whose SQLite store exists: the first process to open a new store creates and
    migrates it under a file lock, since two processes migrating at once fail with
    "duplicate column name" and leave a store MLflow cannot open. A file that is not an
    MLflow store (random bytes, truncated, another program's database) is refused with a
    ``UsageError`` before MLflow touches it."""
    from mlflow.tracking import MlflowClient

    # Through a tracking server MLflow writes "View run ... at: URL" to stdout whenever a run
    # ends: stdout is Netyard's (the CLI's lines, --json event streams), so not there.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    if not tracking_uri.startswith("sqlite:///") or tracking_uri in _READY_STORES:
        return MlflowClient(tracking_uri=with_installed_driver(tracking_uri))
    import fcntl

    database = Path(tracking_uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.with_name(database.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Under the lock: a store another process is creating is not taken for a foreign one.
        check_sqlite_store(database)
        seed_new_store(database)  # a new store: a copy of an empty one, not 2-8 s of migrations
        client = MlflowClient(tracking_uri=tracking_uri)
        client.search_experiments(max_results=1)  # the store is created and migrated by now
        place_default_experiment(database)  # inside the workspace, not the current folder
    _READY_STORES.add(tracking_uri)
    return client


def is_remote_store(tracking_uri: str) -> bool:
    """A tracking server (``http(s)://``): it decides where artifacts go (``mlflow-artifacts:/``
    on a server that proxies them), so nothing may point them at this machine's disk."""
    return tracking_uri.startswith(("http://", "https://"))


def get_or_create_experiment(client, name: str, artifact_root: Path | None) -> str:
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        return experiment.experiment_id
    location = (artifact_root / _safe_folder(name)).as_uri() if artifact_root else None
    try:
        return client.create_experiment(name, artifact_location=location)
    except MlflowException:
        # Another worker created it between our look-up and our create.
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def _safe_folder(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


class RunTracker:
    """Creates (or resumes) the MLflow run and writes params, metrics, artifacts, status."""

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        # The workspace's artifact folder only for a store on this machine: a worker logging
        # to a team's server must send its artifacts there, not keep them on its own disk.
        self.artifact_root = None if is_remote_store(tracking_uri) else artifact_root
        self.client = open_client(tracking_uri)
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self._writer: MetricWriter | None = None
        self._system_metrics: SystemMetrics | None = None

    def start(
        self,
        experiment: str,
        run_name: str | None,
        params: Mapping[str, Any],
        tags: Mapping[str, str],
        parent_run_id: str | None = None,
        resume_run_id: str | None = None,
        system_metrics: bool = False,
    ) -> str:
        """``system_metrics``: sample the machine's CPU, memory and GPU use onto the run
        (``system/*`` metrics) until it ends; a thread, stopped before any fork."""
        from mlflow.entities import Param, RunStatus

        logged: dict[str, int] = {}
        if resume_run_id:
            run = self.client.get_run(resume_run_id)
            logged = logged_steps(self.client, run)
            self.run_id = resume_run_id
            self.experiment_id = run.info.experiment_id
            self.client.update_run(resume_run_id, status=RunStatus.to_string(RunStatus.RUNNING))
            self.client.set_tag(resume_run_id, PID_TAG, str(os.getpid()))
            # Its duration counts the time it ran, not the time it lay stopped.
            self.set_tags(resume_tags(run, int(time.time() * 1000)))
            if ERROR_TAG in run.data.tags:  # the reason it stopped before no longer holds
                self.client.delete_tag(resume_run_id, ERROR_TAG)
        else:
            self.experiment_id = get_or_create_experiment(
                self.client, experiment, self.artifact_root
            )
            all_tags = {
                "mlflow.source.name": "netyard",
                "mlflow.source.type": "LOCAL",
                PID_TAG: str(os.getpid()),
                HOST_TAG: socket.gethostname(),
                **git_tags(),  # the commit of the folder this process was started in
                **tags,
            }
            if parent_run_id:
                all_tags["mlflow.parentRunId"] = parent_run_id
            run = self.client.create_run(self.experiment_id, tags=all_tags, run_name=run_name)
            self.run_id = run.info.run_id
            entries = [Param(k, _param_text(v)) for k, v in params.items()]
            for start in range(0, len(entries), 100):  # MLflow's limit per call
                self.client.log_batch(self.run_id, params=entries[start : start + 100])
            log_requirements(self.client, self.run_id)
        self._writer = MetricWriter(self.client, self.run_id, logged)
        if system_metrics:  # after the writer: its process is forked without this thread
            resumed = resume_run_id is not None
            self._system_metrics = SystemMetrics(self.tracking_uri, self.run_id, resumed).start()
        return self.run_id

    def attach(self, run_id: str) -> None:
        """Write to a run another process owns (a sweep's parent, for ``netyard worker``);
        ``detach`` stops without ending it."""
        self.run_id = run_id
        self.experiment_id = self.client.get_run(run_id).info.experiment_id
        self._writer = MetricWriter(self.client, run_id)

    def detach(self) -> None:
        """Write what is buffered; leave the run's status to its owner."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- metrics and artifacts --------------------------------------------------------------
    def log_series(self, steps: list[int], series: Mapping[str, list[float]]) -> None:
        assert self._writer is not None
        self._writer.add_series(steps, series)

    def log_metrics(self, step: int, metrics: Mapping[str, float], hand_off: bool = False):
        """``hand_off``: to the writer now, not after its batching delay: points a kill of
        this process must not lose (those before a checkpoint, which a resume skips)."""
        assert self._writer is not None
        self._writer.add(step, metrics)
        if hand_off:
            self._writer.hand_off()

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    def log_json(self, data: Mapping[str, Any], artifact_file: str) -> None:
        """One JSON artifact at ``artifact_file`` (a path inside the run's artifacts)."""
        import json
        import tempfile

        folder, _, name = artifact_file.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="netyard-json-") as temp:
            path = Path(temp) / name
            path.write_text(json.dumps(data))
            self.client.log_artifact(self.run_id, str(path), folder or None)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """The tags in one write; an error (a full disk) is raised for the caller's one line,
        not also logged by MLflow with its whole traceback."""
        from mlflow.entities import RunTag

        from engine.mlflow_output import store_errors_unlogged

        with store_errors_unlogged():
            self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def write_summary(self, summary: str) -> None:
        """Put ``summary`` in the run's note, below what the user wrote there (if anything),
        in place of the summary an earlier part of this run wrote (a resumed run)."""
        tags = self.client.get_run(self.run_id).data.tags
        note = merged_note(tags.get(NOTE_TAG, ""), tags.get(SUMMARY_TAG, ""), summary)
        self.set_tags({NOTE_TAG: note, SUMMARY_TAG: summary})

    # -- the end ----------------------------------------------------------------------------
    def finish_in_background(self, finish: Callable[[RunTracker], None]) -> bool:
        """Run ``finish(self)`` (artifacts, tags, ``end``) in a forked helper and return at once.

        Only where the metric writer is a forked process too (a database store on POSIX): the
        helper takes it over. Returns False, having done nothing, where that is not the case.
        A failure in the helper ends the run FAILED with the reason. Call
        ``engine.tracking.wait_for_helpers`` before the process exits.
        """
        sink = self._writer.forked_sink() if self._writer is not None else None
        if sink is None:
            return False
        self._stop_system_metrics()  # a thread writing to the store must not meet a fork

        def work() -> None:
            try:
                finish(self)
            except BaseException as failure:  # noqa: BLE001 - recorded on the run
                self.client.set_tag(self.run_id, ERROR_TAG, f"finishing the run failed: {failure}")
                self.client.set_terminated(self.run_id, status="FAILED")
                raise

        leave_unwaited(fork_helper(work, self.client, [sink.fileno()]))
        sink.hand_over()
        self._writer = None
        return True

    def end(self, status: str, error: str | None = None) -> None:
        """Flush metrics and set the final status (FINISHED, FAILED or KILLED)."""
        if self.run_id is None:
            return
        try:
            self._stop_system_metrics()
            if self._writer is not None:
                self._writer.close()
        finally:
            if error:
                self.client.set_tag(self.run_id, ERROR_TAG, error[:MAX_PARAM_VALUE])
            self.client.set_terminated(self.run_id, status=status)

    def _stop_system_metrics(self) -> None:
        system_metrics, self._system_metrics = self._system_metrics, None
        if system_metrics is not None:
            system_metrics.stop()


def _param_text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_PARAM_VALUE else text[: MAX_PARAM_VALUE - 3] + "..."


def process_alive(pid: int, group: bool = False) -> bool:
    """Whether a process with this pid (``group``: any process in this group) exists on this
    host; one of another user counts."""
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reconcile_dead_runs(tracking_uri: str) -> list[str]:
    """Mark FAILED the RUNNING runs started on this host by a process that no longer exists."""
    from mlflow.entities import ViewType

    client = open_client(tracking_uri)
    host = socket.gethostname()
    failed = []
    experiments = client.search_experiments(view_type=ViewType.ACTIVE_ONLY)
    if not experiments:
        return failed
    runs = client.search_runs(
        [e.experiment_id for e in experiments],
        filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'",
        max_results=1000,
    )
    for run in runs:
        pid = run.data.tags.get(PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            client.set_tag(run.info.run_id, ERROR_TAG, f"the process (pid {pid}) died")
            client.set_terminated(run.info.run_id, status="FAILED")
            failed.append(run.info.run_id)
    return failed
