"""Real worker processes: a run in a child, its events as JSON lines, stop and exit codes."""

from __future__ import annotations

import pytest
from netyard_test_support import TINY_CNN, all_runs, tracking_uri

from engine.events import EvalMetrics, RunCancelled, RunFinished, RunStarted, StepMetrics
from engine.training import load_checkpoint
from engine.worker import UsageProblem, WorkerProcess


def config(workspace, **changes) -> dict:
    return {
        "plugin": "cnn",
        "dataset": "digits",
        "hparams": {**TINY_CNN, "steps": 4},
        "device": "cpu",
        "threads": 1,
        "workspace": str(workspace),
        **changes,
    }


@pytest.fixture
def workers():
    """Workers started by a test; killed if the test ends before they do."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.mark.timeout(120)
def test_a_worker_runs_one_config(tracked_workspace, workers):
    worker = WorkerProcess(config(tracked_workspace))
    workers.append(worker)
    events = list(worker.events())
    assert worker.returncode == 0, worker.stderr_tail
    started, finished = events[0], events[-1]
    assert isinstance(started, RunStarted) and isinstance(finished, RunFinished)
    assert started.total_steps == 4 and started.tracking_uri == tracking_uri(tracked_workspace)
    assert [s for e in events if isinstance(e, StepMetrics) for s in e.steps] == [1, 2, 3, 4]
    assert any(isinstance(e, EvalMetrics) for e in events)
    assert finished.run_id == started.run_id and finished.step == 4

    (mlflow_run,) = all_runs(tracking_uri(tracked_workspace))
    assert mlflow_run.info.run_id == started.run_id
    assert mlflow_run.info.status == "FINISHED"
    assert mlflow_run.data.tags["netyard.pid"] == str(worker.pid)  # it ran in the child


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hparams": {"depth": 99}}, "invalid value 99 for depth"),
        ({"batch": 3}, "unexpected keyword argument 'batch'"),
    ],
    ids=["hyperparameter", "unknown-field"],
)
def test_an_invalid_config_is_a_usage_problem(workspace, workers, changes, message):
    worker = WorkerProcess(config(workspace, **changes))
    workers.append(worker)
    events = list(worker.events())
    assert worker.returncode == 2, worker.stderr_tail
    (problem,) = events
    assert isinstance(problem, UsageProblem) and message in problem.message
    assert not (workspace / "mlflow.db").exists()


@pytest.mark.timeout(120)
def test_stop_cancels_the_run_which_ends_killed(tracked_workspace, workers):
    worker = WorkerProcess(config(tracked_workspace, hparams={**TINY_CNN, "steps": 100_000}))
    workers.append(worker)
    events = []
    for event in worker.events():
        events.append(event)
        if isinstance(event, StepMetrics) and len(events) < 100:
            worker.stop()  # cooperative: the run stops after its current step
    assert worker.returncode == 130, worker.stderr_tail
    cancelled = events[-1]
    assert isinstance(cancelled, RunCancelled)
    assert 0 < cancelled.step < 100_000
    assert load_checkpoint(cancelled.checkpoint)["step"] == cancelled.step

    (mlflow_run,) = all_runs(tracking_uri(tracked_workspace))
    assert mlflow_run.info.run_id == cancelled.run_id
    assert mlflow_run.info.status == "KILLED"
    assert mlflow_run.data.tags["netyard.checkpoint"] == cancelled.checkpoint


@pytest.mark.timeout(120)
def test_a_worker_that_writes_much_to_stderr_does_not_block(fixture_plugins, workspace, workers):
    # 3 steps x 256 KiB: far more than a pipe holds if nobody reads it while the run goes on.
    changes = {"plugin": "chatty", "hparams": {"steps": 3, "chatter_kib": 256}, "track": False}
    worker = WorkerProcess(config(workspace, **changes))
    workers.append(worker)
    events = list(worker.events())
    assert worker.returncode == 0, worker.stderr_tail
    assert isinstance(events[-1], RunFinished)
    assert worker.stderr_tail.rstrip().endswith("." * 100)
    assert "chatty step 3: " in worker.stderr_tail
