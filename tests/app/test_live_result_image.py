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
