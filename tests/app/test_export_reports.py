"""Exporting from the app: the Runs browser's "Export runs" menu (CSV and HTML report of the
selected runs, through the real file dialog) and the sweep dashboard's "Export" menu (the
plot in sight as PNG and SVG, the sweep's trials as CSV), on a real MLflow store."""

from __future__ import annotations

import csv
import shutil
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest
from conftest import answer_next
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from PySide6.QtGui import QImage

from app.browser import RunsBrowser
from app.dashboards import SweepDashboard
from app.jobs import SweepJob
from engine.sweeps import SweepStarted, TrialFinished, TrialProgress, TrialStarted

WAIT_MS = 60_000
SWEEP = "lr-sweep"


def log_run(client, experiment_id, name, params, values, tags=None) -> str:
    run_id = client.create_run(experiment_id, run_name=name).info.run_id
    metrics = [Metric("val_accuracy", v, 1_700_000_000_000 + s, s) for s, v in enumerate(values)]
    params = [Param(k, v) for k, v in params.items()]
    tags = [RunTag(k, v) for k, v in (tags or {}).items()]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    client.set_terminated(run_id, "FINISHED")
    return run_id


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> tuple[str, dict[str, str]]:
    """Two runs, and a sweep of two trials, in one experiment; {name: run id}."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("cnn-digits", (tmp_path / "artifacts").as_uri())
    runs = {
        "wide": log_run(client, experiment, "wide", {"lr": "0.01", "depth": "2"}, [0.5, 0.9]),
        "narrow": log_run(client, experiment, "narrow", {"lr": "0.1", "depth": "2"}, [0.4, 0.6]),
    }
    for number in (0, 1):
        tags = {"netyard.sweep": SWEEP, "optuna.trial_number": str(number)}
        runs[f"trial {number}"] = log_run(
            client, experiment, f"{SWEEP}-trial-{number}", {"lr": str(number)}, [0.3], tags
        )
    return uri, runs


def test_the_selected_runs_export_as_csv_and_html_report(qtbot, store, tmp_path):
    uri, runs = store
    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(uri)
    browser.resize(1500, 700)
    browser.show()
    qtbot.waitUntil(lambda: not browser.loading and len(browser.model.rows) == 4, timeout=WAIT_MS)
    export = browser.export_runs
    assert not export.button.isEnabled()  # nothing selected
    assert browser.select_run(runs["wide"])
    browser.table.selectionModel().select(
        browser.proxy.mapFromSource(browser.model.index(_row(browser, runs["narrow"]), 0)),
        browser.table.selectionModel().SelectionFlag.Select
        | browser.table.selectionModel().SelectionFlag.Rows,
    )
    assert export.button.isEnabled() and len(browser.selected_rows()) == 2

    out = tmp_path / "two runs"  # no suffix typed: the format's is added
    answer_next(str(out))
    with qtbot.waitSignal(export.finished, timeout=WAIT_MS) as outcome:
        export.csv_action.trigger()
    assert outcome.args[0].startswith(f"Wrote CSV table of 2 runs to {out}.csv")
    assert browser.status.text() == outcome.args[0]
    with open(f"{out}.csv", newline="", encoding="utf-8") as file:
        rows = {row["run_name"]: row for row in csv.DictReader(file)}
    assert {name: (r["params.lr"], r["metrics.val_accuracy"]) for name, r in rows.items()} == {
        "wide": ("0.01", "0.9"), "narrow": ("0.1", "0.6")
    }  # fmt: skip

    answer_next(str(tmp_path / "report.html"))
    with qtbot.waitSignal(export.finished, timeout=WAIT_MS):
        export.html_action.trigger()
    page = _Page((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert {"wide", "narrow"} <= set(page.text) and "curve: val_accuracy" in page.alts

    missing = tmp_path / "no-such-folder" / "runs.csv"  # refused in the status line, no file
    with qtbot.waitSignal(export.finished, timeout=WAIT_MS) as outcome:
        export.export("csv", str(missing))
    assert (
        outcome.args[0].startswith("Export failed: cannot write")
        and "does not exist" in (outcome.args[0])
    )
    assert not missing.parent.exists()


def test_the_sweep_dashboard_exports_its_plots_and_its_trials(qtbot, store, tmp_path):
    uri, runs = store
    dashboard = SweepDashboard()
    qtbot.addWidget(dashboard)
    dashboard.resize(1200, 700)
    dashboard.show()
    sweep = SweepJob({"plugin": "cnn", "dataset": "digits", "name": SWEEP}, parent=dashboard)
    dashboard.add_sweep(sweep)
    deliver = sweep.adapter.event.emit
    deliver(SweepStarted(SWEEP, "cnn", "digits", "", ["val_accuracy"], ["maximize"], 2, 1,
                         tracking_uri=uri))  # fmt: skip
    for number, value in ((0, 0.3), (1, 0.3)):
        deliver(TrialStarted(number, {"lr": float(number)}, 0, 1000))
        deliver(TrialProgress(number, 1, 1, {"val_accuracy": value}))
        deliver(TrialFinished(number, [value], {"lr": float(number)}, runs[f"trial {number}"], 1))
    dashboard.redraw()
    export = dashboard.export_menu

    dashboard.tabs.setCurrentIndex(0)  # the trial table, and the chosen trials' curves
    export.update_actions()
    assert export.png_action.isEnabled() and export.csv_action.isEnabled()
    assert export.current_plot() is dashboard.trial_curves.curves.plot_widget.getPlotItem()
    dashboard.tabs.setCurrentWidget(dashboard.history)
    export.update_actions()
    assert export.png_action.isEnabled() and export.svg_action.isEnabled()

    answer_next(str(tmp_path / "history.png"))
    export.png_action.trigger()
    image = QImage(str(tmp_path / "history.png"))
    assert not image.isNull() and image.width() >= 1000
    assert dashboard.summary.text() == f"Wrote the plot to {tmp_path / 'history.png'}"

    assert export.export_current_plot(".png", str(tmp_path / "history.txt")) is None
    assert dashboard.summary.text().endswith("end the file name in .png or .svg")

    dashboard.tabs.setCurrentWidget(dashboard.slices)  # a layout of plots, one per param
    answer_next(str(tmp_path / "slices.svg"))
    export.svg_action.trigger()
    root = ElementTree.parse(tmp_path / "slices.svg").getroot()
    texts = {(e.text or "").strip() for e in root.iter() if e.tag.endswith("}text")}
    assert root.tag.endswith("}svg") and root.get("version") == "1.1"
    assert "lr" in texts and root.find(".//{http://www.w3.org/2000/svg}clipPath") is not None

    answer_next(str(tmp_path / "trials.csv"))
    with qtbot.waitSignal(export.finished, timeout=WAIT_MS):
        export.csv_action.trigger()
    with open(tmp_path / "trials.csv", newline="", encoding="utf-8") as file:
        trials = [(row["trial"], row["run_id"]) for row in csv.DictReader(file)]
    assert trials == [("0", runs["trial 0"]), ("1", runs["trial 1"])]
    written = {p.name for p in tmp_path.iterdir() if p.suffix in (".png", ".svg", ".csv", ".txt")}
    assert written == {"history.png", "slices.svg", "trials.csv"}


def _row(browser, run_id: str) -> int:
    return next(i for i, row in enumerate(browser.model.rows) if row.run_id == run_id)


class _Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.alts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt", ""))

    def handle_data(self, data) -> None:
        self.text.append(data.strip())


def test_the_plots_right_click_export_writes_svg_through_qt(qtbot, tmp_path):
    """pyqtgraph's own Export… dialog (right-click on any plot) offers SVG; under Qt 6.12
    its SVGExporter fails, so the app puts one drawn by Qt's SVG generator in its place."""
    import pyqtgraph as pg
    from pyqtgraph.exporters import listExporters

    from app.dashboards import install_svg_exporter

    install_svg_exporter()
    install_svg_exporter()  # once or twice: one SVG choice in the dialog
    svg = [cls for cls in listExporters() if "SVG" in cls.Name]
    assert len(svg) == 1
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    widget.plot([1, 2, 3], [3, 1, 2])
    widget.getPlotItem().setLabel("bottom", "step")
    exporter = svg[0](widget.getPlotItem())
    assert exporter.parameters() is None  # drawn at the plot's size: nothing to ask
    exporter.export(fileName=str(tmp_path / "plot.svg"))
    root = ElementTree.parse(tmp_path / "plot.svg").getroot()
    texts = {(e.text or "").strip() for e in root.iter() if e.tag.endswith("}text")}
    assert root.get("version") == "1.1" and "step" in texts
    assert exporter.export(toBytes=True).startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["plot.svg"]  # no partial file left
