"""Render the app's views to PNGs in docs/screenshots/ (run under Xvfb: the menus and the
tags dialog are grabbed from the screen).

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py [NAME ...]

NAMEs (see SHOTS) render only those shots, and skip the training the others need.
Everything shown is real: real CNN runs, a run queue, a real 2-worker sweep, an RNN
forecasting a CSV series written here, and their MLflow runs, in a throwaway workspace.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (1440, 900)
FORM = ("gallery", "dataset_preview", "dataset_preview_augmented", "run_form_invalid", "busy",
        "url_dialog", "lr_finder")  # fmt: skip
LIVE = ("live_run", "live_run_finished", "live_run_calibration", "live_run_mistakes")
SWEEP = ("sweep_form", "sweep_trials", "sweep_history", "sweep_intermediate",
         "sweep_parallel", "sweep_slices", "sweep_importance")  # fmt: skip
BROWSER = ("runs_comparison", "runs_params_diff", "curves_smoothing", "artifact_compare",
           "predict", "predict_explained", "organise_runs", "export_menu")  # fmt: skip
SHOTS = (*FORM, *LIVE, "run_queue", *SWEEP, "sweep_hover", "forecast_baselines", *BROWSER,
         "runs_grouped", "sweep_population")  # fmt: skip


def write_series(path: Path) -> None:
    """20 years of monthly sales: trend, a yearly and a half-yearly cycle, AR(1) noise."""
    import numpy as np

    rng = np.random.default_rng(7)
    months = np.arange(240)
    noise = np.zeros(len(months))
    for i in months[1:]:
        noise[i] = 0.6 * noise[i - 1] + rng.normal(0, 4)
    value = (100 + 0.15 * months + 20 * np.sin(2 * np.pi * months / 12)
             + 8 * np.cos(2 * np.pi * months / 6) + noise)  # fmt: skip
    rows = [f"{2005 + i // 12}-{i % 12 + 1:02d}-01,{v:.2f}" for i, v in enumerate(value)]
    path.write_text("date,value\n" + "\n".join(rows) + "\n")


def main(names: list[str]) -> int:
    from engine.states import State

    unknown = [name for name in names if name not in SHOTS]
    if unknown:
        print(f"unknown shot {unknown[0]!r}: choose from {', '.join(SHOTS)}", file=sys.stderr)
        return 2

    def needs(*shots: str) -> bool:
        return not names or any(name in names for name in shots)

    workspace = tempfile.mkdtemp(prefix="netyard-shots-")
    os.environ["NETYARD_WORKSPACE"] = workspace
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt
    from PySide6.QtWidgets import QScrollArea

    from app._tasks import wait_for_background_tasks
    from app.main import create_application
    from app.window import DOCK_HEIGHT, MainWindow

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
                jobs = "; ".join(f"{j.title}: {j.state} {j.message}" for j in window.jobs.jobs)
                raise TimeoutError(f"the app did not get there in time ({jobs})")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def flush() -> None:
        """Deliver pending events and draw the dashboards' latest data now, not next frame."""
        QCoreApplication.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        window.live.redraw()
        window.sweeps.redraw()
        QCoreApplication.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)

    def shot(name: str, page=None, widget=None, screen: bool = False) -> None:
        """Save ``widget`` (the window by default); ``screen``: the window's part of the
        screen, with the popup menus and dialogs over it (a widget's grab leaves them out)."""
        if page is not None and window.tabs.currentWidget() is not page:
            raise RuntimeError(f"{name}: the wrong tab is showing")
        flush()
        if names and name not in names:
            return
        OUT.mkdir(parents=True, exist_ok=True)
        if screen:
            area = window.geometry()
            picture = window.screen().grabWindow(0, area.x(), area.y(), area.width(), area.height())
        else:
            picture = (widget or window).grab()
        picture.save(str(OUT / f"{name}.png"))
        print(f"wrote {OUT / name}.png", flush=True)

    def samples(name: str) -> int:
        series = window.system.series.get(name)
        return series.size if series is not None else 0

    def progressed(jobs, steps: int) -> bool:
        failed = [f"{job.title}: {job.message}" for job in jobs if job.state == State.FAILED]
        if failed:
            raise RuntimeError("; ".join(failed))
        return all(job.progress >= steps for job in jobs)

    wait(lambda: window.catalog.datasets_loaded)
    form = window.run_form
    window.tabs.setCurrentWidget(window.train_splitter)
    window.forms.setCurrentWidget(form)
    window.gallery.select("cnn")
    form.dataset.set_dataset_id("digits")
    # A valid form with its dataset previewed, and a few seconds of CPU/RAM history so the
    # system plot shows curves.
    wait(lambda: form.plugin is not None and form.start_button.isEnabled())
    wait(lambda: form.preview.preview is not None and form.preview.summary.text() != "", 120)
    wait(lambda: samples("CPU") >= 3 and samples("RAM") >= 3, 60)
    shot("gallery", window.train_splitter)
    shot("dataset_preview", window.train_splitter, widget=window.forms)

    fields = form.schema_form.fields
    if needs("dataset_preview_augmented"):
        # The same samples beside themselves as training batches would see them.
        augmentation = {"augment_crop": 1, "augment_brightness": 0.4, "augment_cutout": 0.4}
        for name, value in augmentation.items():
            fields[name].set_value(value)
        wait(lambda: form.preview.augmented_thumbnails.isVisible(), 120)
        wait(lambda: not form.preview.busy.isVisible(), 120)
        shot("dataset_preview_augmented", window.train_splitter, widget=window.forms)
        for name in augmentation:
            fields[name].set_value(0)
        wait(lambda: not form.preview.augmented_thumbnails.isVisible(), 120)

    for name, value in (("channels", 16), ("depth", 2), ("batch_size", 32), ("eval_every", 20)):
        fields[name].set_value(value)
    fields["lr"].edit.setText("5")  # shows the inline error
    form.threads.setValue(1)
    lr_error = form.schema_form.error_labels["lr"]
    wait(lambda: not form.start_button.isEnabled() and lr_error.isVisible())
    form.findChild(QScrollArea).ensureWidgetVisible(fields["lr"], 0, 80)
    shot("run_form_invalid", window.train_splitter)
    fields["lr"].edit.setText("0.003")

    if needs("busy", "url_dialog"):
        import threading

        from app._tasks import run_in_background
        from app._url_dialog import UrlDialog

        # Two waits, said at once: a preview behind other work on its queue (its busy bar),
        # and a web UI starting (the status bar's busy indicator).
        release = threading.Event()
        run_in_background(lambda: release.wait(120), queue="dataset-preview")
        run_in_background(lambda: release.wait(120), busy="Starting the MLflow UI…")
        form.dataset.set_dataset_id("mnist1d")
        wait(lambda: form.preview.busy.isVisible() and window.busy.isVisible(), 60)
        form.findChild(QScrollArea).verticalScrollBar().setValue(0)  # the preview, on top
        shot("busy", window.train_splitter)
        release.set()
        dialog = UrlDialog("http://127.0.0.1:38517/#/experiments/1", "the MLflow UI", window)
        dialog.open()
        wait(dialog.isVisible)
        shot("url_dialog", window.train_splitter, screen=True)
        dialog.close()
        form.dataset.set_dataset_id("digits")
        wait(lambda: not window.busy.isVisible() and form.preview.summary.text() != "", 120)

    if needs("lr_finder"):
        # The real finder on the form's run (cnn on digits): its ramps, the curve, the
        # suggestion marked, Use.
        dialog = form.find_lr()
        wait(lambda: dialog.finding is not None or "could not" in dialog.status.text(), 300)
        dialog.resize(760, 520)
        shot("lr_finder", window.train_splitter, screen=True)
        dialog.reject()

    runs = []
    if needs(*LIVE, *BROWSER):
        for seed in (0, 1):  # overlapping, so the shot shows two live runs
            form.seed.setText(str(seed))
            fields["steps"].set_value(400)
            form.start()
            runs.append(window.jobs.jobs[-1])
            wait(lambda: progressed(runs, 1))  # the first has made its MLflow experiment
        wait(lambda: progressed(runs, 120))
        window.live.overlay.setChecked(True)
        for job in runs:
            window.live.show_job(job)
        shot("live_run", window.live_page)
        wait(lambda: all(not job.active for job in runs))
        window.live.show_job(runs[-1])
        window.live.extras.setCurrentIndex(1)
        wait(lambda: window.live.trace_for(runs[-1]).result_pixmap is not None, 120)
        shot("live_run_finished", window.live_page)
        live = window.live
        wait(lambda: len(live.trace_for(runs[-1]).diagnostics) == 2, 120)
        live.extras.setCurrentWidget(live.diagnostic_images["reliability.png"])
        sizes = live.extras.parentWidget().sizes()
        live.extras.parentWidget().setSizes([300, 500])  # the figures whole, not their top
        shot("live_run_calibration", window.live_page)
        live.extras.setCurrentWidget(live.diagnostic_images["mistakes.png"])
        shot("live_run_mistakes", window.live_page)
        live.extras.parentWidget().setSizes(sizes)
        window.live.overlay.setChecked(False)  # the next runs are shown alone

    sweep_form = window.sweep_form
    if needs(*SWEEP, "sweep_hover", "run_queue"):
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

    if needs("run_queue"):
        # The queue as the forms fill it: one entry ran, one runs, two wait while it is paused.
        queue, section = window.queue, window.jobs_panel.queue_section
        queued = []
        for seed, steps in ((2, 60), (3, 3000)):
            form.seed.setText(str(seed))
            fields["steps"].set_value(steps)
            wait(form.queue_button.isEnabled)
            form.queue_button.click()
            entry = queue.state.entries[-1].id
            wait(lambda entry=entry: entry in queue.jobs)
            queued.append(queue.jobs[entry])
            wait(lambda: progressed(queued[-1:], 1))
            if steps == 60:
                wait(lambda: not queued[-1].active)
        wait(lambda: progressed(queued[-1:], 150))
        section.pause_button.click()
        form.seed.setText("4")
        fields["steps"].set_value(400)
        form.queue_button.click()
        wait(sweep_form.queue_button.isEnabled)
        sweep_form.queue_button.click()
        window.jobs_panel.tree.setCurrentItem(section.items[queue.state.entries[2].id])
        window.tabs.setCurrentWidget(window.live_page)
        window.live.show_job(queued[-1])
        window.live.extras.setCurrentIndex(0)
        # The Jobs dock dragged taller, to show the queue's rows and the jobs below them.
        window.resizeDocks([window.jobs_dock], [340], Qt.Orientation.Vertical)
        flush()
        window.jobs_panel.tree.scrollToTop()
        shot("run_queue", window.live_page)
        window.resizeDocks([window.jobs_dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        queued[-1].stop()  # it has shown what it was for; the queue stays paused
        wait(lambda: not queued[-1].active)

    if needs(*SWEEP, "sweep_hover"):
        sweep_form.start()
        sweep = window.jobs.jobs[-1]
        # One trial stopped from the Jobs panel: the table shows it STOPPED (it counts).
        wait(lambda: 2 in sweep.trials and sweep.trials[2].progress > 0)
        sweep.trials[2].stop()
        wait(lambda: not sweep.active)
        dashboard = window.sweeps
        wait(lambda: bool(dashboard.importance.importances), 120)
        # The best trial chosen in the table: its curves below it, from its MLflow run.
        trial_curves = dashboard.trial_curves
        trial_curves.select_trial(sweep.best_number)
        wait(lambda: bool(trial_curves.curves.drawn), 120)
        trial_curves.curves.metric.setCurrentText("val_accuracy")
        for index, name in enumerate(SWEEP[1:]):
            dashboard.tabs.setCurrentIndex(index)
            shot(name, window.sweeps_page)

        # The pointer on the best trial of the history: its tooltip names the trial, its
        # value and params (a grab of the screen: the tooltip is a window of its own).
        from PySide6.QtCore import QPointF
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QToolTip

        dashboard.tabs.setCurrentWidget(dashboard.history)
        flush()
        best = sweep.trials[sweep.best_number]
        point = QPointF(best.trial_number, best.values[0])
        view = dashboard.history
        QTest.mouseMove(view.viewport(), view.mapFromScene(
            dashboard.history_plot.vb.mapViewToScene(point)))  # fmt: skip
        wait(QToolTip.isVisible, 10)
        shot("sweep_hover", window.sweeps_page, screen=True)

    if needs("forecast_baselines"):
        # An RNN forecasting a CSV series with dates and a yearly season: its curves beside
        # the naive, seasonal and linear baselines', then its test forecast against them.
        series = Path(workspace) / "monthly_sales.csv"
        write_series(series)
        window.tabs.setCurrentWidget(window.train_splitter)
        window.forms.setCurrentWidget(form)
        window.gallery.select("rnn")
        wait(lambda: form.plugin is not None and form.plugin.id == "rnn")
        form.dataset.set_dataset_id(f"csv:{series}?target=value&season=12")
        fields = form.schema_form.fields
        fields["steps"].set_value(600)
        form.seed.setText("0")
        form.threads.setValue(1)
        wait(form.start_button.isEnabled)
        form.start()
        forecaster = window.jobs.jobs[-1]
        wait(lambda: not forecaster.active)
        if forecaster.state != State.FINISHED:
            raise RuntimeError(f"{forecaster.title}: {forecaster.state} {forecaster.message}")
        window.tabs.setCurrentWidget(window.live_page)
        window.live.show_job(forecaster)
        window.live.extras.setCurrentIndex(1)
        wait(lambda: window.live.trace_for(forecaster).result_pixmap is not None, 120)
        # The docks closed (View menu) and the splitter dragged: room for curves and plot.
        window.jobs_dock.hide()
        window.system_dock.hide()
        window.live.extras.parentWidget().setSizes([530, 270])
        shot("forecast_baselines", window.live_page)
        window.jobs_dock.show()
        window.system_dock.show()

    if needs(*BROWSER):
        browser = window.browser
        window.tabs.setCurrentWidget(window.browser_page)
        browser.refresh()
        wait(lambda: len(browser.model.rows) >= 2 and not browser.loading)
        run_ids = [job.run_id for job in runs]
        # The docks closed (View menu), the table filtered to the single runs (no sweep
        # trials) and the splitter dragged down: room for the comparison below.
        window.jobs_dock.hide()
        window.system_dock.hide()
        browser.quick.setText("seed")
        browser.splitter.setSizes([230, 560])

        def select(*chosen: str) -> None:
            """Select the runs' rows, as ctrl-clicks on them would."""
            browser.select_runs(*chosen)
            browser.organiser.update_actions()  # what opening the Run menu does

        def label(run_id: str) -> str:
            row = next(i for i, row in enumerate(browser.model.rows) if row.run_id == run_id)
            return browser.model.index(row, 0).data()

        select(*run_ids)
        browser.compare_selected()
        wait(lambda: len(browser.curves.drawn) >= 2, 120)
        browser.curves.metric.setCurrentText("val_accuracy")
        shot("runs_comparison", window.browser_page)
        browser.tabs.setCurrentWidget(browser.diff)
        shot("runs_params_diff", window.browser_page)

        browser.tabs.setCurrentWidget(browser.curves)
        browser.curves.metric.setCurrentText("train_loss")
        browser.curves.options.slider.setValue(85)
        shot("curves_smoothing", window.browser_page)
        browser.curves.options.slider.setValue(0)

        images = browser.images
        browser.tabs.setCurrentWidget(images)
        wait(lambda: images.kind.count() > 0 and not images.loading, 120)
        shot("artifact_compare", window.browser_page)

        # One run's model on a sample of its own test part: the digit, the class bars, the
        # true label beside the predicted one.
        select(run_ids[-1])
        predict = browser.predict
        browser.tabs.setCurrentWidget(predict)
        predict.sample_button.click()
        wait(lambda: predict.result is not None, 300)
        shot("predict", window.browser_page)
        # The same digit explained: integrated gradients as a heat map over its pixels.
        combo = predict.explain_combo
        combo.setCurrentIndex(combo.findData("integrated_gradients"))
        wait(lambda: predict.explain_text.text().startswith("Integrated gradients:"), 120)
        shot("predict_explained", window.browser_page)

        # Organised: one run starred, tags set on each and on both, the tags dialog open.
        organiser = browser.organiser
        select(run_ids[0])
        organiser.star_action.trigger()
        wait(lambda: label(run_ids[0]).startswith("\N{BLACK STAR}"), 60)
        browser.table.resizeColumnToContents(0)  # a double click on its edge: the star fits
        for chosen, tags in (((run_ids[0],), {"owner": "ann"}), ((run_ids[1],), {"owner": "bob"}),
                             (run_ids, {"stage": "candidate"})):  # fmt: skip
            select(*chosen)
            organiser.tags_action.trigger()
            dialog = organiser.tags_dialog
            for key, value in tags.items():
                dialog.add_row(key, value)
            dialog.ok_button.click()
            wait(lambda: browser.status.text().startswith("Tags on"), 60)
            browser.status.clear()
        browser.tabs.setCurrentWidget(browser.curves)
        organiser.tags_action.trigger()
        dialog = organiser.tags_dialog
        # Over the comparison below, so the table with the starred run stays in sight.
        table = browser.table
        corner = table.mapToGlobal(table.rect().bottomLeft())
        dialog.move(corner.x() + table.width() // 2 - dialog.width() // 2, corner.y() + 10)
        wait(dialog.isVisible, 10)
        shot("organise_runs", window.browser_page, screen=True)
        dialog.reject()

        export = browser.export_runs
        export.menu.popup(export.button.mapToGlobal(export.button.rect().bottomLeft()))
        wait(export.menu.isVisible, 10)
        shot("export_menu", window.browser_page, screen=True)
        export.menu.hide()

    if needs("runs_grouped"):
        # Three learning rates, each trained with three seeds (netyard sweep
        # --seeds-per-config 3): grouped by configuration, a row per group and a mean curve
        # in its ± std band per group.
        from engine.sweeps import SweepRunner, SweepSpec, parse_search

        fixed = {"steps": 300, "depth": 2, "channels": 8, "eval_every": 20}
        SweepRunner(SweepSpec(
            "cnn", "mnist1d", [parse_search("lr=0.0003,0.003,0.03")], fixed, sampler="grid",
            pruner="none", parallel=2, threads=1, seeds_per_config=3, name="lr-by-seeds",
            workspace=workspace,
        )).run()  # fmt: skip
        browser = window.browser
        window.tabs.setCurrentWidget(window.browser_page)
        window.jobs_dock.hide()
        window.system_dock.hide()
        browser.refresh()
        wait(lambda: len(browser.model.rows) >= 9 and not browser.loading)
        browser.splitter.setSizes([200, 590])
        browser.group_by.setChecked(True)
        browser.groups.metric.setCurrentText("val_accuracy")
        table = browser.groups.table
        for row in range(table.rowCount()):
            if "lr=" in table.item(row, 0).text():  # the sweep's groups, not its parent run
                table.selectionModel().select(
                    table.model().index(row, 0),
                    table.selectionModel().SelectionFlag.Select
                    | table.selectionModel().SelectionFlag.Rows,
                )
        browser.compare_selected()
        wait(lambda: len(browser.curves.rows) >= 9, 120)
        browser.curves.metric.setCurrentText("val_accuracy")
        wait(lambda: len(browser.curves.bands) >= 3, 10)
        shot("runs_grouped", window.browser_page)
        browser.group_by.setChecked(False)
        window.jobs_dock.show()
        window.system_dock.show()

    if needs("sweep_population"):
        # A real population (netyard sweep --algorithm pbt): 6 members, an exploit every 40
        # steps; the sweep dashboard's Population tab, read back from the study.
        from app.dashboards._population import PopulationPage
        from engine.sweeps import (
            SweepSpec,
            default_storage_url,
            parse_search,
            read_population,
            runner_for,
        )

        fixed = {"steps": 240, "depth": 2, "channels": 8, "eval_every": 20}
        runner_for(SweepSpec(
            "cnn", "mnist1d", [parse_search("lr=1e-4:1e-1:log")], fixed, algorithm="pbt",
            population=6, interval=40, parallel=2, threads=1, name="lr-population",
            workspace=workspace,
        )).run()  # fmt: skip
        page = PopulationPage()
        page.resize(1200, 760)
        page.show_population(read_population(default_storage_url(Path(workspace)), "lr-population"))
        page.show()
        shot("sweep_population", widget=page)
        page.close()

    window.jobs.shutdown()
    window.web.stop_all()
    wait_for_background_tasks()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
