"""How a run ends in MLflow: FAILED with its reason, KILLED with a checkpoint, dead ones failed."""

from __future__ import annotations

import os
import subprocess
import sys

from netyard_test_support import TINY_CNN, tracking_uri

from engine.events import RunCancelled, RunFailed, RunStarted
from engine.runner import RunConfig, run
from engine.training import load_checkpoint


def tiny_cnn_run(workspace, steps: int) -> RunConfig:
    return RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": steps},
        device="cpu",
        threads=1,
        workspace=str(workspace),
    )


def client_for(workspace):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri(workspace))


def test_a_loss_that_becomes_nan_fails_the_run_with_the_reason(fixture_plugins, tracked_workspace):
    events: list = []
    config = RunConfig(
        plugin="nan_loss",
        dataset="digits",
        hparams={"nan_at_step": 3},
        device="cpu",
        threads=1,
        workspace=str(tracked_workspace),
    )
    outcome = run(config, events.append)
    assert outcome.status == "failed"
    assert outcome.error == "train_loss became nan at step 3"
    assert outcome.step == 3
    failed = events[-1]
    assert isinstance(failed, RunFailed)
    assert failed.run_id == outcome.run_id and failed.step == 3
    assert failed.reason == outcome.error and "NonFiniteLoss" in failed.traceback

    client = client_for(tracked_workspace)
    mlflow_run = client.get_run(outcome.run_id)
    assert mlflow_run.info.status == "FAILED"
    assert mlflow_run.data.tags["netyard.error"] == "train_loss became nan at step 3"
    # The finite steps before it were kept.
    assert [m.step for m in client.get_metric_history(outcome.run_id, "train_loss")] == [1, 2]


def test_a_cancelled_run_ends_killed_with_a_checkpoint(tracked_workspace):
    events: list = []
    asked = []

    def stop_after_four_steps() -> bool:
        asked.append(True)
        return len(asked) > 4  # asked once before each step

    config = tiny_cnn_run(tracked_workspace, steps=50)
    outcome = run(config, events.append, stop_after_four_steps)
    assert outcome.status == "stopped" and outcome.step == 4
    cancelled = events[-1]
    assert isinstance(cancelled, RunCancelled)
    assert cancelled.step == 4 and cancelled.checkpoint == outcome.checkpoint
    assert load_checkpoint(outcome.checkpoint)["step"] == 4

    client = client_for(tracked_workspace)
    mlflow_run = client.get_run(outcome.run_id)
    assert mlflow_run.info.status == "KILLED"
    assert mlflow_run.data.tags["netyard.checkpoint"] == outcome.checkpoint
    history = client.get_metric_history(outcome.run_id, "train_loss")
    assert sorted(m.step for m in history) == [1, 2, 3, 4]

    # It resumes where it stopped, in the same MLflow run.
    resumed_events: list = []
    resumed = run(
        RunConfig(**{**config.to_dict(), "resume": outcome.checkpoint, "hparams": {"steps": 6}}),
        resumed_events.append,
    )
    assert resumed.status == "finished" and resumed.run_id == outcome.run_id
    assert isinstance(resumed_events[0], RunStarted) and resumed_events[0].start_step == 4
    assert client.get_run(outcome.run_id).info.status == "FINISHED"


def test_a_run_resumed_after_it_died_drops_the_old_error(tracked_workspace):
    from engine.tracking._mlflow import ERROR_TAG

    config = tiny_cnn_run(tracked_workspace, steps=4)
    first = run(config)
    client = client_for(tracked_workspace)
    # What reconciling a dead process leaves on its run.
    client.set_tag(first.run_id, ERROR_TAG, "the process (pid 1234) died")
    client.set_terminated(first.run_id, "FAILED")
    resumed = run(
        RunConfig(**{**config.to_dict(), "resume": first.checkpoint, "hparams": {"steps": 6}})
    )
    assert resumed.status == "finished" and resumed.run_id == first.run_id
    finished = client.get_run(first.run_id)
    assert finished.info.status == "FINISHED" and ERROR_TAG not in finished.data.tags


def test_reconcile_marks_runs_of_dead_processes_failed(tracked_workspace):
    from engine.tracking import RunTracker, reconcile_dead_runs
    from engine.tracking._mlflow import PID_TAG

    uri = tracking_uri(tracked_workspace)
    dead_pid = _pid_of_finished_child()

    def running_run(pid: int) -> str:
        tracker = RunTracker(uri, tracked_workspace / "artifacts")
        run_id = tracker.start("reconcile", None, {}, {})
        tracker.client.set_tag(run_id, PID_TAG, str(pid))
        tracker._writer.close()  # what a killed process leaves: the writer gone, RUNNING
        return run_id

    orphan = running_run(dead_pid)
    alive = running_run(os.getppid())
    mine = running_run(os.getpid())

    assert reconcile_dead_runs(uri) == [orphan]
    client = client_for(tracked_workspace)
    orphan_run = client.get_run(orphan)
    assert orphan_run.info.status == "FAILED"
    assert orphan_run.data.tags["netyard.error"] == f"the process (pid {dead_pid}) died"
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(mine).info.status == "RUNNING"
    assert reconcile_dead_runs(uri) == []  # nothing left to do
    for run_id in (alive, mine):
        client.set_terminated(run_id, "FINISHED")


def _pid_of_finished_child() -> int:
    """The pid of a child process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_listing_sweeps_fails_runs_of_dead_processes(tracked_workspace, capsys):
    from engine.cli import main
    from engine.tracking import RunTracker
    from engine.tracking._mlflow import PID_TAG

    uri = tracking_uri(tracked_workspace)
    tracker = RunTracker(uri, tracked_workspace / "artifacts")
    orphan = tracker.start("reconcile-on-listing", None, {}, {})
    tracker.client.set_tag(orphan, PID_TAG, str(_pid_of_finished_child()))
    tracker._writer.close()
    assert client_for(tracked_workspace).get_run(orphan).info.status == "RUNNING"

    assert main(["sweeps", "--workspace", str(tracked_workspace)]) == 0
    capsys.readouterr()
    assert client_for(tracked_workspace).get_run(orphan).info.status == "FAILED"
