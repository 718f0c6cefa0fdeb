"""The "Find lr" button beside lr: it opens the finder, and "Use" puts the suggestion into the
run form's lr field, or the range into the sweep form's search of lr."""

from __future__ import annotations

from conftest import LONG_MS
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


def test_the_finder_runs_in_its_worker_and_offers_what_it_found(qtbot, zygote, app_workspace):
    """The dialog's real job: a worker process ramps the rate and reports its finding."""
    config = {"plugin": "cnn", "dataset": "digits", "device": "cpu",
              "workspace": str(app_workspace),
              "hparams": {"channels": 4, "depth": 1, "batch_size": 32}}  # fmt: skip
    used: list[float] = []
    dialog = LrFinderDialog(config, used.append, steps=15)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.finding is not None or "could not" in dialog.status.text(),
                    timeout=LONG_MS)  # fmt: skip
    assert dialog.finding is not None, dialog.status.text()
    assert dialog.use_button.isEnabled() and dialog.marker.isVisible()
    assert "Suggested lr" in dialog.status.text()
    # The curve holds the rates themselves (the plot's log mode takes their log10): given
    # log10 values it drew nothing, the log of a negative number.
    assert dialog.curve.xData.min() > 0 and len(dialog.curve.xData) > 10
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert used == [float(dialog.finding["suggested_lr"])] and 1e-7 < used[0] < 1
    qtbot.waitUntil(lambda: not dialog.adapter.running)
