"""A 3-trial sweep from the sweep form: the trial table fills with states; spec files."""

from __future__ import annotations

import time
import urllib.request

import numpy as np
from conftest import LONG_MS, answer_next, answer_next_dialog, record_next_message, type_into
from netyard_test_support import wait_for_exit
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from app.dashboards._sweep_math import best_so_far, param_axis, pareto_mask
from engine.sweeps import SweepSpec


def _fill_tiny_sweep(window, qtbot) -> None:
    form = window.sweep_form
    assert window.gallery.select("cnn")
    window.forms.setCurrentWidget(form)
    form.dataset.combo.setCurrentIndex(form.dataset.combo.findData("digits"))
    rows = form.rows
    type_into(qtbot, rows["channels"].fixed.spin.lineEdit(), "4")
    type_into(qtbot, rows["depth"].fixed.spin.lineEdit(), "2")
    type_into(qtbot, rows["batch_size"].fixed.spin.lineEdit(), "16")
    type_into(qtbot, rows["steps"].fixed.spin.lineEdit(), "20")
    type_into(qtbot, rows["eval_every"].fixed.spin.lineEdit(), "10")
    toggle = rows["lr"].toggle
    toggle.ensurePolished()
    # Click the box itself (a wide check box only reacts on its box and label).
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton, pos=QPoint(8, toggle.height() // 2))
    assert rows["lr"].searched
    type_into(qtbot, rows["lr"].range.low, "0.001")
    type_into(qtbot, rows["lr"].range.high, "0.1")
    form.sampler.setCurrentText("random")
    form.pruner.setCurrentText("none")
    type_into(qtbot, form.trials.lineEdit(), "3")
    type_into(qtbot, form.threads.lineEdit(), "1")


def test_a_three_trial_sweep_fills_the_trial_table(window, qtbot):
    _fill_tiny_sweep(window, qtbot)
    form = window.sweep_form
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert form.is_ready(), form.status.text()
    qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    sweep = window.jobs.jobs[-1]
    table = window.sweeps.table
    qtbot.waitUntil(lambda: "RUNNING" in table.states().values(), timeout=LONG_MS)
    qtbot.waitUntil(lambda: sweep.state == "finished", timeout=LONG_MS)
    qtbot.waitUntil(lambda: sorted(table.states().values()) == ["FINISHED"] * 3, timeout=10000)
    assert sorted(table.states()) == [0, 1, 2]
    # Every trial appears in the jobs panel under its sweep; one can be re-run as a plain run.
    sweep_item = window.jobs_panel.item_for_job(sweep)
    assert sweep_item.childCount() == 3
    assert (
        window.sweeps.history_best.xData is not None and len(window.sweeps.history_best.xData) == 3
    )
    trial = sweep.trials[0]
    rerun = window.jobs.rerun(trial)
    assert rerun.config.hparams["lr"] == trial.params["lr"]
    qtbot.waitUntil(lambda: rerun.state == "finished", timeout=LONG_MS)
    # "Open in Optuna Dashboard" brings up a dashboard on the sweep's storage, on loopback.
    qtbot.mouseClick(window.sweeps.optuna_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.opened_urls), timeout=LONG_MS)
    assert window.opened_urls[0].startswith("http://127.0.0.1:")
    with urllib.request.urlopen(window.opened_urls[0] + "/api/studies", timeout=10) as reply:
        assert sweep.name in reply.read().decode()
    window.web.stop_all()
    # The study is listed for resuming.
    form.refresh_studies()
    qtbot.waitUntil(lambda: form.studies.count() == 1, timeout=LONG_MS)
    assert sweep.name in form.studies.item(0).text()
    # "Register best trial…" makes a registry version from the best trial's run.
    assert window.sweeps.register_button.isEnabled()
    messages = record_next_message()
    answer_next("best-of-the-sweep")
    window.sweeps.register_best()
    qtbot.waitUntil(lambda: bool(messages), timeout=LONG_MS)
    assert messages == ["Registered best-of-the-sweep version 1"]
    from mlflow.tracking import MlflowClient

    (version,) = MlflowClient(sweep.tracking_uri).search_model_versions(
        "name = 'best-of-the-sweep'"
    )
    assert version.run_id == sweep.trials[sweep.best_number].run_id


def test_invalid_sweep_blocks_start_and_specs_round_trip(window, qtbot, tmp_path):
    _fill_tiny_sweep(window, qtbot)
    form = window.sweep_form
    type_into(qtbot, form.rows["lr"].range.high, "7")  # above the schema's maximum of 1
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert "Cannot start" in form.status.text()
    assert not form.start_button.isEnabled()
    assert "lr" in form.status.text()
    type_into(qtbot, form.rows["lr"].range.high, "0.1")
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert form.is_ready(), form.status.text()

    path = tmp_path / "sweep.yaml"
    form.log_models.setChecked(True)
    form.save_file(str(path))
    saved = SweepSpec.load(path)  # the CLI's reader
    assert saved.trials == 3 and saved.fixed["steps"] == 20 and saved.log_models
    assert [s.name for s in saved.search] == ["lr"] and saved.search[0].high == 0.1

    form.rows["lr"].toggle.setChecked(False)
    form.log_models.setChecked(False)
    type_into(qtbot, form.trials.lineEdit(), "9")
    form.load_file(str(path))
    assert form.rows["lr"].searched and form.trials.value() == 3 and form.log_models.isChecked()
    assert form.rows["lr"].range.high.text() == "0.1"


def test_sweep_plot_math():
    assert best_so_far([3, 1, 2, 0.5], maximize=False).tolist() == [3, 1, 1, 0.5]
    assert best_so_far([0.1, 0.5, 0.2], maximize=True).tolist() == [0.1, 0.5, 0.5]
    points = np.array([[0.9, 100.0], [0.8, 50.0], [0.7, 80.0], [0.95, 300.0]])
    mask = pareto_mask(points, ["maximize", "minimize"])
    assert mask.tolist() == [True, True, False, True]
    axis = param_axis(["relu", "gelu", "relu"])
    assert axis.labels == ["gelu", "relu"] and axis.positions.tolist() == [1, 0, 1]
    axis = param_axis([16, 32, float("nan")], choices=[16, 32, 64])  # the search's order
    assert axis.positions.tolist()[:2] == [0, 0.5] and np.isnan(axis.positions[2])
    assert [label for _position, label in axis.ticks] == ["16", "32", "64"]


def test_closing_with_a_running_sweep_stops_its_trials_and_leaves_no_child(window, qtbot):
    import optuna

    from engine.sweeps._storage import open_storage

    _fill_tiny_sweep(window, qtbot)
    form = window.sweep_form
    type_into(qtbot, form.rows["steps"].fixed.spin.lineEdit(), "1000000")
    qtbot.waitUntil(form.check_settled, timeout=LONG_MS)
    assert form.is_ready(), form.status.text()
    qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    sweep = window.jobs.jobs[-1]
    qtbot.waitUntil(lambda: any(t.progress > 0 for t in sweep.trials.values()), timeout=LONG_MS)
    worker_pid = next(iter(sweep.trials.values())).pid

    answer_next_dialog(QMessageBox.StandardButton.Yes)
    window.close()
    assert not window.isVisible() and sweep.state in ("stopped", "killed")
    assert all(t.state == "stopped" and not t.counts for t in sweep.trials.values())
    study = optuna.load_study(study_name=sweep.name, storage=open_storage(sweep.storage))
    assert [t.state.name for t in study.trials] == ["FAIL"]
    # The trial worker follows its coordinator (parent-death signal), after handing its last
    # metrics to MLflow: it ends on its own, soon, without being waited for by the app.
    assert wait_for_exit([worker_pid], time.monotonic() + 30) == []


def test_wide_positive_ranges_of_unknown_scale_are_drawn_on_a_log_axis():
    axis = param_axis([1e-4, 1e-2, 1e-1])
    assert axis.log and axis.labels is None and np.allclose(axis.positions, [0, 2 / 3, 1])
    labels = [label for _position, label in axis.ticks]
    assert labels == ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1"]
    axis = param_axis([0.1, 0.5])
    assert not axis.log and np.allclose(axis.positions, [0, 1])
    assert param_axis([0.1, 0.5], log=True).log  # the search's scale, whatever the span
