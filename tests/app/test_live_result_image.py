"""The live view's tab below the curves shows a finished run's end-of-run figure, read back
from a real MLflow store: a classifier's confusion matrix, a forecaster's forecast plot."""

from __future__ import annotations

import shutil

from mlflow.tracking import MlflowClient
from PySide6.QtGui import QColor, QImage

from app.dashboards import LiveRunsView
from app.jobs import RunJob
from engine.events import RunFinished
from engine.runner import RunConfig

WAIT_MS = 30_000
RED, BLUE = QColor(200, 30, 30), QColor(30, 30, 200)


def test_a_forecasters_plot_and_a_classifiers_matrix_each_under_their_own_title(
    qtbot, tmp_path, _empty_mlflow_store, errors
):
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("results", artifact_location=str(tmp_path / "art"))
    logged = {}
    for name, color in (("forecast.png", RED), ("confusion_matrix.png", BLUE)):
        run_id = client.create_run(experiment).info.run_id
        image = QImage(24, 16, QImage.Format.Format_RGB32)
        image.fill(color)
        image.save(str(tmp_path / name))
        client.log_artifact(run_id, str(tmp_path / name))
        client.set_terminated(run_id, "FINISHED")
        logged[name] = run_id

    view = LiveRunsView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    jobs = {}
    for name, (plugin, dataset) in (("forecast.png", ("rnn", "sines")),
                                    ("confusion_matrix.png", ("cnn", "digits"))):  # fmt: skip
        job = RunJob(RunConfig(plugin, dataset, tracking_uri=uri))
        view.add_job(job)
        job.event.emit(RunFinished(logged[name], 10, {}))
        jobs[name] = job
    traces = {name: view.trace_for(job) for name, job in jobs.items()}
    qtbot.waitUntil(
        lambda: all(t.result_pixmap is not None for t in traces.values()), timeout=WAIT_MS
    )
    assert view.extras.tabText(1) == "Confusion matrix"  # the run shown: the last added
    assert view.result_image.original.toImage().pixelColor(3, 3) == BLUE

    view.show_job(jobs["forecast.png"])
    assert view.extras.tabText(1) == "Forecast"
    assert view.result_image.original.toImage().pixelColor(3, 3) == RED
    assert errors == []


def test_a_classifiers_per_class_scores_calibration_and_mistakes_get_tabs_a_forecaster_not(
    qtbot, tmp_path, _empty_mlflow_store, errors
):
    import json

    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("diagnostics", artifact_location=str(tmp_path / "art"))
    rows = [
        {"class": "cat", "precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 4},
        {"class": "dog", "precision": 0.9, "recall": 1.0, "f1": 0.947, "support": 9},
    ]
    files = {"per_class.json": None, "reliability.png": RED, "mistakes.png": BLUE,
             "confusion_matrix.png": BLUE}  # fmt: skip
    classifier = client.create_run(experiment).info.run_id
    for name, color in files.items():
        if color is None:
            (tmp_path / name).write_text(json.dumps(rows))
        else:
            image = QImage(20, 12, QImage.Format.Format_RGB32)
            image.fill(color)
            image.save(str(tmp_path / name))
        client.log_artifact(classifier, str(tmp_path / name))
    forecaster = client.create_run(experiment).info.run_id
    client.log_artifact(forecaster, str(tmp_path / "reliability.png"), "elsewhere")

    view = LiveRunsView()
    qtbot.addWidget(view)
    view.show()
    jobs = []
    for run_id, (plugin, dataset) in ((forecaster, ("rnn", "sines")),
                                      (classifier, ("cnn", "digits"))):  # fmt: skip
        job = RunJob(RunConfig(plugin, dataset, tracking_uri=uri))
        view.add_job(job)
        job.event.emit(RunFinished(run_id, 10, {}))
        jobs.append(job)
    trace = view.trace_for(jobs[1])
    qtbot.waitUntil(lambda: len(trace.diagnostics) == 2 and bool(trace.per_class), timeout=WAIT_MS)
    tabs = view.extras
    titles = {tabs.tabText(i): tabs.isTabVisible(i) for i in range(tabs.count())}
    assert titles == {"Snapshot": True, "Confusion matrix": True, "Per class": True,
                      "Calibration": True, "Mistakes": True}  # fmt: skip
    table = view.per_class
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in range(5)] == ["cat", "0.5", "0.25", "0.333", "4"]
    reliability = view.diagnostic_images["reliability.png"].original.toImage()
    assert reliability.pixelColor(3, 3) == RED
    assert view.diagnostic_images["mistakes.png"].original.toImage().pixelColor(3, 3) == BLUE

    view.show_job(jobs[0])  # the forecaster logged none of them (not at the top level)
    hidden = [view.extras.isTabVisible(i) for i in range(2, view.extras.count())]
    assert hidden == [False, False, False]
    assert errors == []
