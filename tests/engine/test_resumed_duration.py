"""A resumed run's duration counts the time it ran, not the time it lay stopped between a stop
and its resume (MLflow keeps the run's first start time); runs from before the tags that
record the parts keep end - start. A real SQLite store; the resume is ``RunTracker``'s."""

from __future__ import annotations

from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri

from engine.tracking import RunRecord, RunTracker
from engine.tracking._records import RAN_BEFORE_TAG, RESUMED_AT_TAG

START_MS = 1_700_000_000_000  # long before the resume below: the time it lay stopped


def record(client: MlflowClient, run_id: str) -> RunRecord:
    return RunRecord.from_mlflow(client.get_run(run_id), "resume")


def resume(uri: str, run_id: str) -> int:
    """Resume the run as the runner does and end it at once; when the new part started.
    While it runs again its duration is not known (it keeps the end time of the part before)."""
    tracker = RunTracker(uri)
    tracker.start("resume", None, {}, {}, resume_run_id=run_id)
    client = MlflowClient(tracking_uri=uri)
    assert record(client, run_id).duration_s is None
    tracker.end("FINISHED")
    return int(client.get_run(run_id).data.tags[RESUMED_AT_TAG])


def test_a_resumed_runs_duration_adds_up_the_parts_it_ran(tracked_workspace):
    uri = tracking_uri(tracked_workspace)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("resume")
    run_id = client.create_run(experiment, start_time=START_MS).info.run_id
    client.set_terminated(run_id, "KILLED", end_time=START_MS + 10_000)  # ran 10 s, stopped
    assert record(client, run_id).duration_s == 10.0  # a run never resumed: end - start

    resumed_at = resume(uri, run_id)
    assert float(client.get_run(run_id).data.tags[RAN_BEFORE_TAG]) == 10.0
    client.set_terminated(run_id, "KILLED", end_time=resumed_at + 5_000)  # ran 5 s more
    assert record(client, run_id).duration_s == 15.0

    resumed_again = resume(uri, run_id)  # a second resume counts both parts before it
    assert float(client.get_run(run_id).data.tags[RAN_BEFORE_TAG]) == 15.0
    client.set_terminated(run_id, "FINISHED", end_time=resumed_again + 1_000)
    assert record(client, run_id).duration_s == 16.0
