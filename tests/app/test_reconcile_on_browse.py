"""The runs browser's first listing of a store fails the runs of processes that died."""

from __future__ import annotations

import subprocess
import sys

from netyard_test_support import tracking_uri

from app.browser._query import fetch_runs
from engine.tracking import RunTracker
from engine.tracking._mlflow import PID_TAG


def test_the_first_listing_fails_runs_of_dead_processes(tracked_workspace):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    uri = tracking_uri(tracked_workspace)
    tracker = RunTracker(uri, tracked_workspace / "artifacts")
    orphan = tracker.start("browse-reconcile", None, {}, {})
    tracker.client.set_tag(orphan, PID_TAG, str(child.pid))
    tracker._writer.close()  # what a killed process leaves: RUNNING, nobody writing

    rows = {row.run_id: row for row in fetch_runs(uri)}
    assert rows[orphan].status == "FAILED"
