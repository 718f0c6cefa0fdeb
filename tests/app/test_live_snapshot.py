"""The live view's Snapshot tab shows the selected run's snapshot, never another's: a run
selected before it has drawn one says so (the caption of the run shown before stayed under it:
"#21 snapshot at step 200" with #22 selected)."""

from __future__ import annotations

from app.dashboards import LiveRunsView
from app.jobs import RunJob
from engine.events import Snapshot
from engine.runner import RunConfig


def test_the_snapshot_tab_shows_the_selected_run_only(qtbot):
    view = LiveRunsView()
    qtbot.addWidget(view)
    view.timer.stop()
    first, second = (RunJob(RunConfig("cnn", "digits", track=False)) for _ in range(2))
    view.add_job(first)
    first.event.emit(Snapshot(5, {"curve": [1.0, 2.0, 3.0]}))
    caption = view.snapshots.caption
    assert caption.text() == f"#{first.number} snapshot at step 5"

    view.add_job(second)  # the next queued run starts, and is selected
    assert view.current.job is second
    assert caption.text().startswith(f"#{second.number}: no snapshot yet.")
    first.event.emit(Snapshot(10, {"curve": [3.0, 2.0, 1.0]}))  # the first goes on drawing
    assert caption.text().startswith(f"#{second.number}: no snapshot yet.")

    view.show_job(first)
    assert caption.text() == f"#{first.number} snapshot at step 10"
    second.event.emit(Snapshot(1, {"curve": [0.0, 1.0]}))
    assert caption.text() == f"#{first.number} snapshot at step 10"
