"""The "Find lr" button beside lr: it opens the finder, and "Use" puts the suggestion into the
run form's lr field, or the range into the sweep form's search of lr."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.form._lr_finder_dialog import LrFinderDialog

FINDING = {"suggested_lr": 0.0042, "search_range": [0.00042, 0.042], "rule": "a rule",
           "curve": {"lr": [1e-4, 1e-3, 1e-2], "loss": [2.3, 2.0, 2.6]}}  # fmt: skip


def test_find_lr_use_sets_the_run_forms_lr(window, qtbot):
    form = window.run_form
    window.gallery.select("cnn")
    form.dataset.combo.setCurrentIndex(form.dataset.combo.findData("digits"))
    button = form.schema_form.fields["lr"].findChild(QPushButton, "findLrButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = form.findChild(LrFinderDialog, "lrFinderDialog")
    assert dialog is not None and not dialog.use_button.isEnabled()
    dialog.show_finding(FINDING)  # what the worker's LrFound carries
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert form.schema_form.fields["lr"].value() == 0.0042
    qtbot.waitUntil(lambda: not dialog.adapter.running)  # closing ended the worker


def test_the_sweep_form_searches_lr_over_the_found_range(window, qtbot):
    form = window.sweep_form
    window.gallery.select("cnn")
    dialog = form.find_lr()
    dialog.show_finding(FINDING)
    qtbot.mouseClick(dialog.range_button, Qt.MouseButton.LeftButton)
    row = form.rows["lr"]
    assert row.searched
    search = row.range.search_param()
    assert (search.low, search.high, search.log) == (0.00042, 0.042, True)
    qtbot.waitUntil(lambda: not dialog.adapter.running)
