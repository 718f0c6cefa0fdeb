"""Render the app's main views to PNGs in docs/screenshots/ (run under Xvfb, or offscreen).

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py

Everything shown is real: a real CNN run, a real 2-worker sweep and real MLflow runs in a
throwaway workspace.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (1440, 900)


def main() -> int:
    workspace = tempfile.mkdtemp(prefix="netyard-shots-")
    os.environ["NETYARD_WORKSPACE"] = workspace
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings
    from PySide6.QtWidgets import QScrollArea

    from app._tasks import wait_for_background_tasks
    from app.main import create_application
    from app.window import MainWindow

    app = create_application(["screenshots"])
    # Fresh, throwaway settings: the user's are left alone, and nothing remembered by an
    # earlier run (the last tab, dock sizes, splitters) changes what the screenshots show.
    app.setOrganizationName("netyard-screenshots")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, workspace)
    QSettings().clear()
    window = MainWindow(workspace=workspace)
    window.resize(*SIZE)
    window.show()
    window.finish_startup()

    def wait(condition, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there in time")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def flush() -> None:
        """Deliver pending events and draw the dashboards' latest data now, not next frame."""
        QCoreApplication.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        window.live.redraw()
        window.sweeps.redraw()
        QCoreApplication.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)

    def shot(name: str, page=None) -> None:
        if page is not None and window.tabs.currentWidget() is not page:
            raise RuntimeError(f"{name}: the wrong tab is showing")
        flush()
        OUT.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT / f"{name}.png"))
        print(f"wrote {OUT / name}.png", flush=True)

    def samples(name: str) -> int:
        series = window.system.series.get(name)
        return series.size if series is not None else 0

    wait(lambda: window.catalog.datasets_loaded)
    form = window.run_form
    window.tabs.setCurrentWidget(window.train_splitter)
    window.forms.setCurrentWidget(form)
    window.gallery.select("cnn")
    form.dataset.set_dataset_id("digits")
    # A valid form, and a few seconds of CPU/RAM history so the system plot shows curves.
    wait(lambda: form.plugin is not None and form.start_button.isEnabled())
    wait(lambda: samples("CPU") >= 3 and samples("RAM") >= 3, 60)
    shot("gallery", window.train_splitter)

    fields = form.schema_form.fields
    for name, value in (("channels", 16), ("depth", 2), ("batch_size", 32), ("eval_every", 20)):
        fields[name].set_value(value)
    fields["lr"].edit.setText("5")  # shows the inline error
    form.threads.setValue(1)
    lr_error = form.schema_form.error_labels["lr"]
    wait(lambda: not form.start_button.isEnabled() and lr_error.isVisible())
    form.findChild(QScrollArea).ensureWidgetVisible(fields["lr"], 0, 80)
    shot("run_form_invalid", window.train_splitter)
    fields["lr"].edit.setText("0.003")

    def progressed(steps: int) -> bool:
        failed = [f"{job.title}: {job.message}" for job in runs if job.state == "FAILED"]
        if failed:
            raise RuntimeError("; ".join(failed))
        return all(job.progress >= steps for job in runs)

    runs = []
    for seed in (0, 1):  # overlapping, so the shot shows two live runs
        form.seed.setText(str(seed))
        fields["steps"].set_value(400)
        form.start()
        runs.append(window.jobs.jobs[-1])
        wait(lambda: progressed(1))  # the first has made its MLflow experiment
    wait(lambda: progressed(120))
    window.live.overlay.setChecked(True)
    for job in runs:
        window.live.show_job(job)
    shot("live_run", window.live_page)
    wait(lambda: all(not job.active for job in runs))
    window.live.show_job(runs[-1])
    window.live.extras.setCurrentIndex(1)
    wait(lambda: window.live.trace_for(runs[-1]).result_pixmap is not None, 120)
    shot("live_run_finished", window.live_page)

    sweep_form = window.sweep_form
    sweep_form.set_plugin(window.run_form.plugin)
    window.forms.setCurrentWidget(sweep_form)
    sweep_form.dataset.set_dataset_id("digits")
    rows = sweep_form.rows
    for name, value in (("channels", 8), ("depth", 2), ("batch_size", 32), ("steps", 120)):
        rows[name].fixed.set_value(value)
    rows["eval_every"].fixed.set_value(20)
    for name in ("lr", "dropout"):
        rows[name].toggle.setChecked(True)
    rows["lr"].range.low.setText("0.0003")
    rows["lr"].range.high.setText("0.1")
    sweep_form.sampler.setCurrentText("random")
    sweep_form.trials.setValue(10)
    sweep_form.parallel.setValue(2)
    sweep_form.threads.setValue(1)
    sweep_form.schedule_check()
    wait(sweep_form.check_settled)
    window.tabs.setCurrentWidget(window.train_splitter)
    flush()
    sweep_form.scroll.verticalScrollBar().setValue(sweep_form.search_box.y() - 4)
    shot("sweep_form", window.train_splitter)
    sweep_form.start()
    sweep = window.jobs.jobs[-1]
    wait(lambda: not sweep.active)
    dashboard = window.sweeps
    wait(lambda: getattr(dashboard, "importances", None) is not None, 120)
    for index, name in enumerate(
        (
            "sweep_trials",
            "sweep_history",
            "sweep_intermediate",
            "sweep_parallel",
            "sweep_slices",
            "sweep_importance",
        )
    ):
        dashboard.tabs.setCurrentIndex(index)
        shot(name, window.sweeps_page)

    window.tabs.setCurrentWidget(window.browser_page)
    window.browser.refresh()
    wait(lambda: len(window.browser.model.rows) >= 2 and not window.browser.loading)
    for job in runs:
        window.browser.select_run(job.run_id)
    table = window.browser.table
    table.clearSelection()
    from PySide6.QtCore import QItemSelectionModel

    for job in runs:
        for row in range(window.browser.proxy.rowCount()):
            index = window.browser.proxy.index(row, 0)
            source = window.browser.proxy.mapToSource(index).row()
            if window.browser.model.rows[source].run_id == job.run_id:
                table.selectionModel().select(
                    index,
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
    window.browser.compare_selected()
    wait(lambda: window.browser.curves.curve_count() >= 2, 120)
    window.browser.curves.metric.setCurrentText("val_accuracy")
    shot("runs_comparison", window.browser_page)
    window.browser.tabs.setCurrentIndex(1)
    shot("runs_params_diff", window.browser_page)

    window.jobs.shutdown()
    window.web.stop_all()
    wait_for_background_tasks()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
