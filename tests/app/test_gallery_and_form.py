"""The plugin gallery and the run form, driven by clicks and keys."""

from __future__ import annotations

import dataclasses
import shlex
import textwrap

import pytest
from conftest import LONG_MS, type_into
from netyard_test_support import installed_plugins
from PySide6.QtCore import Qt

from engine.cli._main import build_parser

BROKEN = textwrap.dedent(
    """
    raise ImportError("netyard_gui_broken needs the 'frobnicate' package")
    """
)


def test_a_broken_plugin_is_listed_as_failed_with_its_traceback(qtbot, tmp_path, errors):
    from app.window import MainWindow

    with installed_plugins(
        tmp_path / "site", {"broken": "netyard_gui_broken:Plugin"}, {"netyard_gui_broken": BROKEN}
    ):
        window = MainWindow(workspace=str(tmp_path / "ws"))
        qtbot.addWidget(window)
        window.show()
        ids = [entry.id for entry in window.gallery.entries]
        assert "broken" in ids and "cnn" in ids
        row = ids.index("broken")
        item = window.gallery.list.item(row)
        assert "failed to load" in item.text()
        assert "frobnicate" in item.text()
        rect = window.gallery.list.visualItemRect(item)
        qtbot.mouseClick(
            window.gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )
        assert window.gallery.details.isVisible()
        assert "netyard_gui_broken.py" in window.gallery.traceback_view.toPlainText()
        # The working plugins still work next to it.
        assert window.gallery.select("cnn")
        assert window.run_form.plugin.id == "cnn"
    assert errors == []


def test_invalid_input_blocks_start_with_the_reason(window, qtbot):
    form = window.run_form
    window.gallery.select("cnn")
    qtbot.waitUntil(lambda: form.start_button.isEnabled(), timeout=10000)

    lr = form.schema_form.fields["lr"].edit
    type_into(qtbot, lr, "5")
    assert not form.start_button.isEnabled()
    error = form.schema_form.error_labels["lr"]
    assert error.isVisibleTo(form)
    assert "above the maximum" in error.text() and "lr" in error.text()
    assert "Cannot start" in form.status.text()

    type_into(qtbot, form.seed, "-3")
    assert "invalid seed" in form.run_error.text()

    type_into(qtbot, lr, "0.01")
    type_into(qtbot, form.seed, "7")
    assert form.start_button.isEnabled()
    assert not error.isVisibleTo(form)


def test_user_data_path_that_does_not_exist_blocks_start(window, qtbot, tmp_path):
    form = window.run_form
    window.gallery.select("cnn")
    if not window.catalog.sources:
        pytest.skip("no user-data scheme is registered")
    scheme = next(iter(window.catalog.sources))
    form.dataset.combo.setCurrentIndex(form.dataset.combo.findData("user:" + scheme))
    assert form.dataset.user_row.isVisibleTo(form)
    type_into(qtbot, form.dataset.argument, str(tmp_path / "missing.csv"))
    assert not form.start_button.isEnabled()
    assert "missing.csv" in form.run_error.text()


def test_reset_copy_as_cli_and_remembered_config(window, qtbot):
    form = window.run_form
    window.gallery.select("cnn")
    type_into(qtbot, form.schema_form.fields["channels"].spin.lineEdit(), "8")
    type_into(qtbot, form.schema_form.fields["lr"].edit, "0.02")
    type_into(qtbot, form.seed, "5")
    qtbot.mouseClick(form.copy_button, Qt.MouseButton.LeftButton)
    from PySide6.QtGui import QGuiApplication

    command = QGuiApplication.clipboard().text()
    words = shlex.split(command)
    assert words[:3] == ["netyard", "run", "cnn"]
    args = build_parser().parse_args(words[1:])  # the real CLI accepts it
    assert "channels=8" in args.assignments and "lr=0.02" in args.assignments
    assert args.seed == 5

    # A new window restores the last configuration of the plugin.
    from app.window import MainWindow

    second = MainWindow(workspace=form.workspace)
    qtbot.addWidget(second)
    second.gallery.select("cnn")
    assert second.run_form.schema_form.fields["channels"].value() == 8
    assert second.run_form.seed.text() == "5"

    qtbot.mouseClick(form.reset_button, Qt.MouseButton.LeftButton)
    assert form.schema_form.fields["channels"].value() == 64
    assert form.schema_form.fields["lr"].value() == 3e-3
    assert form.seed.text() == "0"


def test_log_scale_slider_moves_the_value(window, qtbot):
    window.gallery.select("cnn")
    field = window.run_form.schema_form.fields["lr"]
    assert field.slider is not None
    field.slider.setValue(field.slider.maximum())
    assert field.value() == 1.0
    field.slider.setValue(0)
    assert field.value() == 1e-6


def test_an_exception_in_a_slot_is_shown_not_fatal(window, qtbot, errors):
    from PySide6.QtWidgets import QPushButton

    button = QPushButton("boom")
    qtbot.addWidget(button)

    def explode() -> None:
        raise RuntimeError("slot exploded")

    button.clicked.connect(explode)
    from app._errors import install_excepthook

    install_excepthook()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert any("slot exploded" in message for _title, message, _details in errors)
    errors.clear()
    assert window.isVisible()


def test_the_sweep_form_takes_every_valid_seed_and_names_a_bad_one(window, qtbot):
    form = window.sweep_form
    assert window.gallery.select("cnn")
    window.forms.setCurrentWidget(form)
    form.rows["lr"].toggle.setChecked(True)
    type_into(qtbot, form.seed, "4294967295")  # above what a spin box can hold
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert form.is_ready(), form.status.text()
    assert form.spec().seed == 4294967295
    type_into(qtbot, form.seed, "-1")
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert not form.start_button.isEnabled()
    assert "invalid seed '-1'" in form.status.text()
    assert "0 to 4294967295" in form.status.text()


def test_the_form_shows_the_defaults_of_the_datasets_task(window, qtbot):
    """The RNN forecasts with its forecasting defaults from the app as from the CLI: fields the
    user left alone follow the dataset's task, a changed one keeps its value."""
    from engine.runner import RunConfig, prepare_run

    form = window.run_form
    window.gallery.select("rnn")
    fields = form.schema_form.fields
    form.dataset.set_dataset_id("mnist1d")
    assert fields["hidden_size"].value() == 64 and fields["monitor"].value() == "val_accuracy"
    type_into(qtbot, fields["layers"].spin.lineEdit(), "2")

    form.dataset.set_dataset_id("sines")
    assert fields["hidden_size"].value() == 16
    assert fields["restore_best"].value() is True
    assert fields["monitor"].value() == "val_mse_ratio"
    assert fields["layers"].value() == 2  # the user's
    cli = shlex.split(form.command_line())
    assert "hidden_size=16" not in cli and "layers=2" in cli  # the CLI fills the task's in
    from_form = prepare_run(dataclasses.replace(form.config(), track=False))
    args = build_parser().parse_args(cli[1:])
    from_cli = prepare_run(
        RunConfig(
            "rnn",
            "sines",
            hparams=dict(a.split("=", 1) for a in args.assignments),
            workspace=form.workspace,
            track=False,
        )
    )
    assert from_form.hparams == from_cli.hparams

    qtbot.mouseClick(form.reset_button, Qt.MouseButton.LeftButton)
    assert fields["layers"].value() == 1 and fields["hidden_size"].value() == 16


def test_the_sweep_form_leaves_the_tasks_defaults_to_the_runner(window, qtbot):
    form = window.sweep_form
    window.gallery.select("rnn")
    form.dataset.set_dataset_id("sines")
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert form.rows["hidden_size"].fixed.value() == 16
    assert form.objectives[0].metric.currentText() == "val_mse_ratio"
    spec = form.spec()
    assert "hidden_size" not in spec.fixed  # the runner fills in the forecasting default
    form.rows["hidden_size"].fixed.set_value(64)
    assert form.spec().fixed["hidden_size"] == 64  # one the user chose is sent
    form.dataset.set_dataset_id("mnist1d")
    assert form.rows["hidden_size"].fixed.value() == 64  # the user's, kept
    assert form.rows["restore_best"].fixed.value() is False  # back to the plugin's
