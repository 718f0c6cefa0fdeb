"""Scrolling a form never changes its fields; the window moves to another page only when the
user started something, never when the queue starts an entry (issue 25, parts 1 and 2)."""

from __future__ import annotations

from conftest import LONG_MS
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def wheel(widget, notches: int = -3) -> None:
    """A mouse wheel turned over ``widget`` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(),
        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_form_and_changes_a_field_only_once_it_has_focus(window, qtbot):
    assert window.gallery.select("cnn")
    form = window.run_form
    window.resize(1000, 500)  # short: the form scrolls
    qtbot.waitUntil(lambda: form.scroll.verticalScrollBar().maximum() > 0, timeout=LONG_MS)
    fields = form.schema_form.fields
    channels, depth = fields["channels"].spin, fields["depth"].spin
    before = (channels.value(), depth.value(), form.dataset.combo.currentIndex())
    assert channels.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel gives no focus

    for field in (channels.lineEdit(), channels, depth, form.dataset.combo):
        wheel(field)
    assert (channels.value(), depth.value(), form.dataset.combo.currentIndex()) == before
    assert form.scroll.verticalScrollBar().value() > 0  # the wheel scrolled the form instead

    channels.setFocus()
    qtbot.waitUntil(channels.hasFocus, timeout=5000)
    wheel(channels, notches=1)
    assert channels.value() == before[0] + 1  # a field the user clicked into takes the wheel


def test_a_run_the_queue_starts_leaves_the_page_the_user_is_on(window, qtbot, fill_tiny_cnn):
    fill_tiny_cnn(window, steps=3)
    form, section = window.run_form, window.jobs_panel.queue_section
    qtbot.mouseClick(section.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(form.queue_button.isEnabled, timeout=LONG_MS)
    qtbot.mouseClick(form.queue_button, Qt.MouseButton.LeftButton)
    window.tabs.setCurrentWidget(window.browser_page)  # the user moves on meanwhile
    # The queue resumed from the Jobs dock, which every page shows: its run starts there.
    qtbot.mouseClick(section.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.jobs.jobs and not window.jobs.jobs[-1].active, timeout=LONG_MS)
    assert window.jobs.jobs[-1].state == "finished"
    assert window.tabs.currentWidget() is window.browser_page

    qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)  # their own Start does move
    assert window.tabs.currentWidget() is window.live_page
    job = window.jobs.jobs[-1]
    qtbot.waitUntil(lambda: not job.active, timeout=LONG_MS)
