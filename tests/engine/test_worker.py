"""The one worker program in real processes: jobs in, their events out, stop and end of file.

Started through the one launcher (``engine.worker.Worker``) as the app and sweeps start it:
forked from the session's zygote, but for the test of a stop that comes while a fresh
worker still imports.
"""

from __future__ import annotations

import queue

import pytest
from netyard_test_support import TINY_CNN, all_runs, tracking_uri

from engine.events import EvalMetrics, RunCancelled, RunFinished, RunStarted, StepMetrics
from engine.training import load_checkpoint
from engine.worker import ProcessExited, UsageProblem, Worker

OUTCOMES = (RunFinished, RunCancelled, UsageProblem, ProcessExited)


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


class Started:
    """A worker whose events (and its exit, last) go into one queue."""

    def __init__(self, fork: bool) -> None:
        self.events: queue.Queue = queue.Queue()
        self.worker = Worker({}, self.events.put, self.events.put, fork=fork)

    def until(self, *kinds, timeout: float = 120) -> list:
        """Events up to and including the first of ``kinds``."""
        seen = []
        while not seen or not isinstance(seen[-1], kinds):
            seen.append(self.events.get(timeout=timeout))
        return seen


@pytest.fixture
def started(zygote):
    """Workers started by a test (forked from the zygote unless ``fork=False``); killed if
    the test ends before they do."""
    workers: list[Started] = []

    def start(fork: bool = True) -> Started:
        workers.append(Started(fork))
        return workers[-1]

    yield start
    for each in workers:
        each.worker.kill()


@pytest.mark.timeout(180)
def test_one_worker_runs_jobs_one_after_another(tracked_workspace, started):
    each = started()
    each.worker.start_job(0, config(tracked_workspace))
    each.worker.start_job(1, config(tracked_workspace, seed=1))
    first = each.until(RunFinished)
    second = each.until(RunFinished)
    each.worker.close_input()  # end of file: the worker is done
    exited = each.until(ProcessExited)[-1]
    assert exited.returncode == 0, exited.stderr_tail

    for events in (first, second):
        started_event, finished = events[0], events[-1]
        assert isinstance(started_event, RunStarted) and started_event.total_steps == 4
        assert [s for e in events if isinstance(e, StepMetrics) for s in e.steps] == [1, 2, 3, 4]
        assert any(isinstance(e, EvalMetrics) for e in events)
        assert finished.run_id == started_event.run_id and finished.step == 4
    runs = all_runs(tracking_uri(tracked_workspace))
    assert {r.info.run_id for r in runs} == {first[0].run_id, second[0].run_id}
    assert all(r.info.status == "FINISHED" for r in runs)
    # Both trained in the one child process.
    assert {r.data.tags["netyard.pid"] for r in runs} == {str(each.worker.pid)}


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hparams": {"depth": 99}}, "invalid value 99 for depth"),
        ({"batch": 3}, "unexpected keyword argument 'batch'"),
    ],
    ids=["hyperparameter", "unknown-field"],
)
def test_an_invalid_config_is_a_usage_problem(workspace, started, changes, message):
    each = started()
    each.worker.start_job(0, config(workspace, **changes))
    (problem,) = each.until(*OUTCOMES)
    assert isinstance(problem, UsageProblem) and message in problem.message
    assert not (workspace / "mlflow.db").exists()
    assert each.worker.poll() is None  # still there for the next job


@pytest.mark.timeout(120)
def test_a_stop_sent_before_the_job_starts_cancels_it_with_a_checkpoint(tracked_workspace, started):
    each = started(fork=False)
    each.worker.start_job(7, config(tracked_workspace, hparams={**TINY_CNN, "steps": 100_000}))
    each.worker.stop_job(7)  # while the worker still imports: the stop waits for the job
    cancelled = each.until(*OUTCOMES)[-1]
    assert isinstance(cancelled, RunCancelled)
    assert cancelled.step == 0 and load_checkpoint(cancelled.checkpoint)["step"] == 0
    (mlflow_run,) = all_runs(tracking_uri(tracked_workspace))
    assert mlflow_run.info.status == "KILLED"


@pytest.mark.timeout(120)
def test_stop_cancels_a_running_job_which_ends_killed(tracked_workspace, started):
    each = started()
    each.worker.start_job(3, config(tracked_workspace, hparams={**TINY_CNN, "steps": 100_000}))
    each.until(StepMetrics)
    each.worker.stop_job(2)  # not this job: ignored
    each.worker.stop_job(3)  # cooperative: the run stops after its current step
    cancelled = each.until(*OUTCOMES)[-1]
    assert isinstance(cancelled, RunCancelled)
    assert 0 < cancelled.step < 100_000
    assert load_checkpoint(cancelled.checkpoint)["step"] == cancelled.step

    (mlflow_run,) = all_runs(tracking_uri(tracked_workspace))
    assert mlflow_run.info.run_id == cancelled.run_id
    assert mlflow_run.info.status == "KILLED"
    assert mlflow_run.data.tags["netyard.checkpoint"] == cancelled.checkpoint


@pytest.mark.timeout(120)
def test_end_of_file_stops_the_running_job_and_ends_the_worker(tracked_workspace, started):
    each = started()
    each.worker.start_job(0, config(tracked_workspace, hparams={**TINY_CNN, "steps": 100_000}))
    each.until(StepMetrics)
    each.worker.close_input()  # what the parent's death looks like from here
    events = each.until(ProcessExited)
    assert isinstance(events[-2], RunCancelled)
    assert events[-1].returncode == 0, events[-1].stderr_tail


@pytest.mark.timeout(120)
def test_a_storm_of_signals_stops_the_job_once_and_ends_the_worker(tracked_workspace, started):
    """SIGTERM after SIGTERM (a parent's death signal, then the user's): once the handler
    itself closed the jobs under a lock, and a signal landing inside it deadlocked the
    worker for good (seen in CI: a sweep worker outlived its killed coordinator)."""
    import os
    import signal

    each = started()
    each.worker.start_job(0, config(tracked_workspace, hparams={**TINY_CNN, "steps": 100_000}))
    each.until(StepMetrics)
    for _ in range(2000):
        try:
            os.kill(each.worker.pid, signal.SIGTERM)
        except ProcessLookupError:
            break
    events = each.until(ProcessExited)
    assert isinstance(events[-2], RunCancelled)
    assert events[-1].returncode == 0, events[-1].stderr_tail  # not the watchdog's exit 1


@pytest.mark.timeout(120)
def test_a_worker_that_writes_much_to_stderr_does_not_block(fixture_plugins, workspace, started):
    # 3 steps x 256 KiB: far more than a pipe holds if nobody reads it while the run goes on.
    changes = {"plugin": "chatty", "hparams": {"steps": 3, "chatter_kib": 256}, "track": False}
    each = started()
    each.worker.start_job(0, config(workspace, **changes))
    assert isinstance(each.until(*OUTCOMES)[-1], RunFinished)
    each.worker.close_input()
    exited = each.until(ProcessExited)[-1]
    assert exited.stderr_tail.rstrip().endswith("." * 100)
    assert "chatty step 3: " in exited.stderr_tail


def test_events_to_a_parent_that_is_gone_are_dropped_not_raised():
    """The worker's parent died: the run must still stop and end as usual, not fail on a
    broken pipe in the middle of its training loop."""
    import contextlib
    import os

    from engine.worker import JsonLines

    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = open(write_end, "w")  # noqa: SIM115 - closed below, as the worker never does
    emit = JsonLines(stream)
    emit(RunCancelled(run_id=None, step=3))
    emit(RunCancelled(run_id=None, step=4))  # no second attempt at the pipe
    assert emit.reader_gone
    with contextlib.suppress(BrokenPipeError):  # what the first write left in the buffer
        stream.close()
