"""The run queue in the app: Add to queue on the forms, the queue in the Jobs panel, kept in
the workspace across closing and reopening the window, run through the job manager."""

from __future__ import annotations

from conftest import LONG_MS
from netyard_test_support import all_runs, tracking_uri
from PySide6.QtCore import QPoint, Qt

from app._tasks import wait_for_background_tasks
from engine.queue import RunQueue


def entry_rows(window) -> list[tuple[str, str]]:
    root = window.jobs_panel.queue_section.root
    return [(root.child(i).text(0), root.child(i).text(1)) for i in range(root.childCount())]


def test_a_queued_run_survives_reopening_the_window_and_runs_when_resumed(
    window, qtbot, fill_tiny_cnn, app_workspace, errors
):
    section = window.jobs_panel.queue_section
    qtbot.mouseClick(section.pause_button, Qt.MouseButton.LeftButton)
    assert section.pause_button.text() == "Resume queue"
    fill_tiny_cnn(window, steps=4)
    form = window.run_form
    assert form.queue_button.isEnabled() and form.start_button.isEnabled()
    qtbot.mouseClick(form.queue_button, Qt.MouseButton.LeftButton)

    # The sweep form's Add to queue goes with its Start; the entry it adds is removed again.
    sweep_form = window.sweep_form
    qtbot.waitUntil(sweep_form.check_settled, timeout=LONG_MS)
    assert not sweep_form.queue_button.isEnabled() and not sweep_form.start_button.isEnabled()
    toggle = sweep_form.rows["lr"].toggle  # nothing searched yet: something to search
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton, pos=QPoint(8, toggle.height() // 2))
    qtbot.waitUntil(sweep_form.check_settled, timeout=LONG_MS)
    assert sweep_form.queue_button.isEnabled() and sweep_form.start_button.isEnabled()
    qtbot.mouseClick(sweep_form.queue_button, Qt.MouseButton.LeftButton)
    assert [state for _title, state in entry_rows(window)] == ["PAUSED", "PAUSED"]
    window.jobs_panel.tree.setCurrentItem(section.items[2])
    qtbot.mouseClick(section.remove_button, Qt.MouseButton.LeftButton)
    form.dataset.combo.setCurrentIndex(form.dataset.combo.findData("sort"))  # a wrong kind
    assert not form.queue_button.isEnabled() and not form.start_button.isEnabled()
    assert window.close()
    assert window.jobs.jobs == []  # nothing ran: the queue was paused

    from app.window import MainWindow

    reopened = MainWindow(workspace=str(app_workspace))
    qtbot.addWidget(reopened)
    try:
        reopened.show()
        reopened.finish_startup()
        assert entry_rows(reopened) == [("#1 cnn on digits (seed 0, 4 steps)", "PAUSED")]
        section = reopened.jobs_panel.queue_section
        qtbot.waitUntil(lambda: reopened.catalog.datasets_loaded, timeout=LONG_MS)
        qtbot.mouseClick(section.pause_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(reopened.jobs.jobs) == 1, timeout=LONG_MS)
        job = reopened.jobs.jobs[0]
        assert job.config.hparams["steps"] == 4 and job.config.threads == 1
        qtbot.waitUntil(lambda: entry_rows(reopened)[0][1] == "FINISHED", timeout=LONG_MS)
        assert job.state == "finished"
        stored = RunQueue.of_workspace(app_workspace).state()
        assert [(e.id, e.state) for e in stored.entries] == [(1, "finished")]
        runs = all_runs(tracking_uri(app_workspace))
        assert [(r.info.status, r.info.run_id) for r in runs] == [("FINISHED", job.run_id)]
        assert not errors
    finally:
        reopened.jobs.shutdown(grace_ms=20000)
        wait_for_background_tasks()
