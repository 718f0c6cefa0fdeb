"""The metric writer: batches reach MLflow in full, from a forked process that holds none of
the parent's pipes, survives its parent's kill -9 long enough to write what it was sent, and
reports a failed write when the run ends."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri, wait_for_exit

from engine.tracking import MetricWriter
from engine.tracking._writer import MAX_BATCH, _ProcessSink, logged_steps, write_points


@pytest.fixture
def run(tracked_workspace):
    client = MlflowClient(tracking_uri(tracked_workspace))
    experiment = client.create_experiment("writer")
    return client, client.create_run(experiment).info.run_id


def losses(client, run_id: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, "train_loss"))


def test_every_point_reaches_mlflow_through_the_writer_process(run):
    client, run_id = run
    writer = MetricWriter(client, run_id)
    assert isinstance(writer._sink, _ProcessSink)  # a database store on Linux
    steps = list(range(1, 2 * MAX_BATCH + 501))
    for start in range(0, len(steps), 100):  # chunks, as the training loop hands them over
        chunk = steps[start : start + 100]
        writer.add_series(chunk, {"train_loss": [s / 10 for s in chunk]})
    writer.add(7, {"val_accuracy": 0.5})
    writer.close()
    assert losses(client, run_id) == [(s, s / 10) for s in steps]
    assert [m.value for m in client.get_metric_history(run_id, "val_accuracy")] == [0.5]


def test_a_resumed_writer_logs_each_step_of_every_metric_once(run):
    """What a kill leaves: every metric's points up to some step, a step cut between two
    store calls (train_loss has step 5, val_loss does not). The resumed writer reads each
    metric's last step back and logs the replayed steps only where they are missing."""
    client, run_id = run
    write_points(client, run_id, [("train_loss", s, 0, s) for s in range(1, 6)])
    write_points(client, run_id, [("val_loss", s, 0, s) for s in (2, 4)])
    logged = logged_steps(client, client.get_run(run_id))
    assert logged == {"train_loss": 5, "val_loss": 4}

    writer = MetricWriter(client, run_id, logged)  # the replay, from a checkpoint at step 3
    writer.add_series([4, 5, 6, 7], {"train_loss": [-1.0] * 4})
    for step in (4, 6):
        writer.add(step, {"val_loss": -1.0})
    writer.close()
    assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [2, 4, 6]
    assert losses(client, run_id) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, -1), (7, -1)]


def test_the_writer_process_holds_none_of_the_parents_pipes(run):
    client, run_id = run
    read_end, write_end = os.pipe()
    writer = MetricWriter(client, run_id)
    try:
        os.close(write_end)
        # End of file arrives only once no process holds the write end: had the forked
        # writer kept its copy, a worker reading its stdin would never see its coordinator go.
        readable, _, _ = select.select([read_end], [], [], 30)
        assert readable and os.read(read_end, 1) == b""
    finally:
        writer.close()
        os.close(read_end)


def test_a_failed_write_is_raised_when_the_run_ends(run):
    client, _ = run
    writer = MetricWriter(client, "f" * 32)  # no such run
    writer.add(1, {"train_loss": 1.0})
    with pytest.raises(RuntimeError, match="writing metrics to MLflow failed"):
        writer.close()


KILLED_PARENT = """
import sys
from mlflow.tracking import MlflowClient
from engine.tracking import MetricWriter
writer = MetricWriter(MlflowClient(sys.argv[1]), sys.argv[2])
writer.add_series(list(range(1, 1501)), {"train_loss": [0.25] * 1500})  # handed over at once
print(writer._sink._pid, flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_points_handed_over_are_written_after_the_parent_is_killed(run, tracked_workspace):
    client, run_id = run
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT, tracking_uri(tracked_workspace), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        writer_pid = int(parent.stdout.readline())
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        parent.stdin.close()
        parent.stdout.close()
    assert wait_for_exit([writer_pid], time.monotonic() + 60) == []
    assert losses(client, run_id) == [(s, 0.25) for s in range(1, 1501)]
