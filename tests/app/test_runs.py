"""A real run from the form: live curve, FINISHED, in the runs browser and the MLflow store;
closing with a running job; the MLflow UI button."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from conftest import LONG_MS, answer_next_dialog
from mlflow.tracking import MlflowClient
from netyard_test_support import all_runs, tracking_uri
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.browser._query import NOTE_TAG


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "State:\tZ" not in status.read()
    except OSError:
        return False


@pytest.mark.new_workspace  # the first run in a workspace: its MLflow store is made for it
def test_a_short_cnn_run_trains_live_finishes_and_is_listed(window, qtbot, fill_tiny_cnn):
    fill_tiny_cnn(window, steps=60)
    form = window.run_form
    assert form.start_button.isEnabled(), form.status.text()
    qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    job = window.jobs.jobs[-1]
    trace = window.live.trace_for(job)

    def curve_points() -> int:
        curve = trace.curves.get("train_loss")
        return 0 if curve is None or curve.xData is None else len(curve.xData)

    qtbot.waitUntil(lambda: curve_points() > 0, timeout=LONG_MS)
    first = curve_points()
    qtbot.waitUntil(lambda: job.state == "finished", timeout=LONG_MS)
    qtbot.waitUntil(lambda: curve_points() == 60, timeout=10000)
    assert first <= 60 and "val_loss" in trace.curves
    assert job.run_id and window.jobs_panel.item_for_job(job).text(1) == "FINISHED"

    runs = all_runs(tracking_uri(window.workspace.root))
    assert [r.info.run_id for r in runs] == [job.run_id]
    assert runs[0].info.status == "FINISHED"
    assert runs[0].data.params["channels"] == "4"

    window.tabs.setCurrentWidget(window.browser_page)
    qtbot.waitUntil(
        lambda: job.run_id in [r.run_id for r in window.browser.model.rows], timeout=LONG_MS
    )
    assert window.browser.select_run(job.run_id)
    # A note typed on the run is saved as its MLflow description tag.
    note = "promising: try more channels"
    qtbot.keyClicks(window.browser.note, note)
    qtbot.mouseClick(window.browser.save_note_button, Qt.MouseButton.LeftButton)
    client = MlflowClient(tracking_uri=tracking_uri(window.workspace.root))
    qtbot.waitUntil(
        lambda: (
            client.get_run(job.run_id).data.tags.get(NOTE_TAG) == "promising: try more channels"
        ),
        timeout=LONG_MS,
    )
    # The confusion matrix artifact is fetched and shown for a classifier run.
    qtbot.waitUntil(lambda: trace.result_pixmap is not None, timeout=LONG_MS)


def test_closing_with_a_running_job_asks_then_leaves_no_child(window, qtbot, fill_tiny_cnn):
    fill_tiny_cnn(window, steps=1_000_000)
    qtbot.mouseClick(window.run_form.start_button, Qt.MouseButton.LeftButton)
    job = window.jobs.jobs[-1]
    qtbot.waitUntil(lambda: job.progress > 0, timeout=LONG_MS)
    pid = job.adapter.pid

    asked = answer_next_dialog(QMessageBox.StandardButton.No)
    window.close()
    assert asked and "still running" in asked[0]
    assert window.isVisible() and job.active  # "No" keeps everything running

    asked = answer_next_dialog(QMessageBox.StandardButton.Yes)
    window.close()
    assert asked and not window.isVisible()
    assert job.state == "stopped"
    assert job.adapter.exit_code == 0  # its worker ended by itself, not killed at the grace's end
    assert not _alive(pid)
    assert os.getpid() != pid
    runs = all_runs(tracking_uri(window.workspace.root))
    assert [r.info.status for r in runs] == ["KILLED"]
    # Stopped, not killed: the run saved where it got to, so Resume… can go on from there.
    assert Path(runs[0].data.tags["netyard.checkpoint"]).is_file()


def test_open_in_mlflow_ui_starts_a_loopback_server(window, qtbot, errors):
    window.tabs.setCurrentWidget(window.browser_page)
    assert window.browser.mlflow_button.isEnabled()
    qtbot.mouseClick(window.browser.mlflow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.opened_urls or errors), timeout=LONG_MS)
    assert errors == []
    url = window.opened_urls[0]
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url.split("#")[0].rstrip("/") + "/health", timeout=10) as reply:
        assert reply.status == 200
    server = next(iter(window.web.mlflow.values()))
    window.web.stop_all()
    assert server.process.poll() is not None
