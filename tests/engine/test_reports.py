"""Reports of runs (engine.reports, ``netyard report``): the CSV and the HTML report written
from a real MLflow store and parsed back; bad input refused with one line, nothing written."""

from __future__ import annotations

import csv
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from engine.cli import main
from engine.errors import UsageError
from engine.reports import html_report, runs_table_csv, sweep_run_ids, write_report

START_MS = 1_700_000_000_000


class ParsedPage(HTMLParser):
    """What a report holds: its text, its images and every address it refers to."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[dict[str, str]] = []
        self.addresses: list[str] = []
        self.tags: set[str] = set()
        self.differing_params: list[str] = []
        self._row_class = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        self.tags.add(tag)
        if tag == "img":
            self.images.append(attributes)
        if tag == "tr":
            self._row_class = attributes.get("class") or ""
        self.addresses += [value for name, value in attrs if name in ("src", "href") and value]

    def handle_data(self, data) -> None:
        self.text.append(data)
        if self._row_class == "differs" and data.strip():
            self.differing_params.append(data.strip())
            self._row_class = ""  # the row's first cell is the param's name

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def logged_run(client, experiment_id, name, params, histories, tags=(), image=None) -> str:
    run_id = client.create_run(experiment_id, start_time=START_MS, run_name=name).info.run_id
    metrics = [
        Metric(key, value, START_MS + step, step)
        for key, values in histories.items()
        for step, value in enumerate(values)
    ]
    client.log_batch(
        run_id,
        metrics=metrics,
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in dict(tags).items()],
    )
    if image is not None:
        client.log_artifact(run_id, str(image))
    client.set_terminated(run_id, "FINISHED", end_time=START_MS + 90_500)
    return run_id


@pytest.fixture
def store(tmp_path: Path, _empty_mlflow_store: Path) -> dict:
    """Two runs (a note, a confusion-matrix image on the first) and a sweep of two trials."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    artifacts = (tmp_path / "artifacts").as_uri()
    experiment = client.create_experiment("cnn-digits", artifact_location=artifacts)
    image = tmp_path / "confusion_matrix.png"
    image.write_bytes(png_bytes((0, 114, 178)))
    first = logged_run(
        client, experiment, "wide <net>",
        {"lr": "0.01", "channels": "32", "plugin": "cnn"},
        {"train_loss": [2.3, 1.1, 0.62], "val_accuracy": [0.41, 0.83, 0.9123456789],
         "test_accuracy": [0.905]},
        tags={"mlflow.note.content": "promising & stable\nsecond line"}, image=image,
    )  # fmt: skip
    second = logged_run(
        client, experiment, "narrow",
        {"lr": "0.1", "channels": "32", "plugin": "cnn"},
        {"train_loss": [2.2, 1.9, 1.7], "val_accuracy": [0.3, 0.5, 0.55]},
    )  # fmt: skip
    sweep_tags = {"netyard.sweep": "lr-search", "optuna.study_name": "lr-search"}
    # The sweep's parent run has the sweep's tag but no trial number: not one of its trials.
    logged_run(
        client, experiment, "lr-search", {"sampler": "tpe"}, {"best_val": [0.7]}, tags=sweep_tags
    )
    trials = [
        logged_run(
            client,
            experiment,
            f"lr-search-trial-{number}",
            {"lr": str(lr)},
            {"val_accuracy": [0.2, lr * 5]},
            tags={**sweep_tags, "optuna.trial_number": str(number), "optuna.state": "COMPLETE"},
        )
        for number, lr in ((1, 0.14), (0, 0.12))  # trial 1 logged first
    ]
    return {"uri": uri, "client": client, "runs": [first, second], "trials": trials[::-1]}


def test_the_csv_parsed_back_holds_each_runs_params_and_last_metrics(store, tmp_path):
    out = tmp_path / "runs.csv"
    assert runs_table_csv(store["client"], store["runs"], out) == out
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["run_id"] for row in rows] == store["runs"]
    for row, run_id in zip(rows, store["runs"], strict=True):
        run = store["client"].get_run(run_id)
        params = {k[len("params.") :]: v for k, v in row.items() if k.startswith("params.")}
        metrics = {
            k[len("metrics.") :]: float(v) for k, v in row.items() if k.startswith("metrics.") and v
        }
        assert params == run.data.params
        assert metrics == run.data.metrics  # every digit kept
        assert row["status"] == "FINISHED" and row["duration_s"] == "90.500"
        assert row["experiment"] == "cnn-digits"
    assert rows[0]["run_name"] == "wide <net>"
    assert rows[0]["note"] == "promising & stable\nsecond line"
    assert rows[1]["metrics.test_accuracy"] == ""  # a metric the run does not have
    assert not [p.name for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_the_browser_and_the_reports_read_a_run_into_one_record_the_same_way(store):
    """RunRecord.from_mlflow, the one conversion both use: MLflow's own tags and the
    machine's system/* metrics left out, the note and trial number read from their tags, the
    environment's versions kept for reports and left out of the browser's rows."""
    from app.browser._query import RunsQuery, fetch_runs
    from engine.reports import load_runs
    from engine.tracking import VERSION_PARAMS

    client, first = store["client"], store["runs"][0]
    client.log_batch(
        first,
        metrics=[Metric("system/cpu_utilization_percentage", 12.0, START_MS, 0)],
        params=[Param(name, "1") for name in VERSION_PARAMS],
        tags=[RunTag("team", "vision")],
    )
    (report,) = load_runs(client, [first])
    rows = fetch_runs(store["uri"], RunsQuery(filter_string="tags.team = 'vision'"))
    assert [row.run_id for row in rows] == [first]
    browser = rows[0]
    for record in (report, browser):
        assert record.note == "promising & stable\nsecond line"
        assert record.tags == {"team": "vision"}  # no mlflow.* tag
        assert "system/cpu_utilization_percentage" not in record.metrics
        assert record.metrics["test_accuracy"] == 0.905
        assert (record.experiment, record.name, record.duration_s) == (
            "cnn-digits",
            "wide <net>",
            90.5,
        )
    assert set(VERSION_PARAMS) <= set(report.params)
    assert not set(VERSION_PARAMS) & set(browser.params)
    assert {k: v for k, v in report.params.items() if k not in VERSION_PARAMS} == browser.params
    (trial,) = load_runs(client, [store["trials"][1]])
    assert (trial.trial_number, report.trial_number) == (1, None)


def test_the_html_report_is_self_contained_with_curves_diff_notes_and_images(store, tmp_path):
    out = tmp_path / "report.html"
    html_report(store["client"], store["runs"], out, "Digits: wide vs narrow")
    page = ParsedPage(out.read_text(encoding="utf-8"))

    assert "Digits: wide vs narrow" in page.all_text
    assert "wide <net>" in page.all_text and "narrow" in page.all_text  # escaped, shown as is
    assert "promising & stable\nsecond line" in page.all_text
    assert page.differing_params == ["lr"]  # channels and plugin are the same in both
    alts = sorted(image["alt"] for image in page.images)
    # A curve per metric with a history; test_accuracy (one value) is in the tables only.
    assert alts == ["artifact: confusion_matrix.png", "curve: train_loss", "curve: val_accuracy"]
    assert "0.9123" in page.all_text and "0.905" in page.all_text  # final metrics
    # Self-contained: images inline, links only within the page, no script or style sheet.
    assert all(image["src"].startswith("data:image/png;base64,") for image in page.images)
    assert all(a.startswith(("data:", "#")) for a in page.addresses), page.addresses
    assert not page.tags & {"script", "link", "iframe", "object"}
    embedded = next(i for i in page.images if i["alt"] == "artifact: confusion_matrix.png")
    import base64

    assert base64.b64decode(embedded["src"].split(",", 1)[1]) == png_bytes((0, 114, 178))


def test_a_sweep_report_covers_its_trials_in_trial_order(store, tmp_path):
    client = store["client"]
    assert sweep_run_ids(client, "lr-search") == store["trials"]
    written = write_report(client, tmp_path / "sweep.csv", sweep="lr-search")
    assert (written.format, written.runs) == ("csv", 2)
    with written.path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(r["trial"], r["status"], r["params.lr"]) for r in rows] == [
        ("0", "FINISHED", "0.12"), ("1", "FINISHED", "0.14")
    ]  # fmt: skip
    with pytest.raises(UsageError, match="unknown sweep 'nope': sweeps in this store: lr-search"):
        sweep_run_ids(client, "nope")
    with pytest.raises(UsageError, match="unknown sweep"):
        sweep_run_ids(client, "it's")  # a quote in the name is searched for, not a filter error


def test_the_command_writes_a_sweep_report_and_refuses_bad_input_writing_nothing(
    store, tmp_path, capsys
):
    uri, (run_id, _) = store["uri"], store["runs"]
    out = tmp_path / "sweep.html"
    assert main(["report", "--sweep", "lr-search", "--out", str(out), "--tracking-uri", uri]) == 0
    assert capsys.readouterr().out.startswith(f"Wrote HTML report of 2 runs to {out}")
    page = ParsedPage(out.read_text(encoding="utf-8"))
    assert "Sweep lr-search" in page.all_text and "lr-search-trial-1" in page.all_text

    bad = {
        "unknown run 'no-such-run'": [run_id, "no-such-run", "--out", "OUT/a.html"],
        "unknown sweep 'nope'": ["--sweep", "nope", "--out", "OUT/b.csv"],
        "end the file name in .csv, .html, .htm": [run_id, "--out", "OUT/c.txt"],
        "give run ids or a sweep's name": ["--out", "OUT/d.csv"],
        "invalid choice: 'pdf'": [run_id, "--out", "OUT/e.csv", "--format", "pdf"],
    }
    for message, argv in bad.items():
        argv = [a.replace("OUT", str(tmp_path)) for a in argv]
        assert main(["report", *argv, "--tracking-uri", uri]) == 2, message
        err = capsys.readouterr().err
        assert err.startswith("netyard: error: ") and message in err, err
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".csv", ".html", ".txt")) == [
        "sweep.html"
    ]
