"""``netyard runs``: the store's runs as a table or JSON, filtered in MLflow's search syntax;
a bad filter is one line (issue 25, part 5). The runs are written with MLflow's own client."""

from __future__ import annotations

import json

import pytest
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here, tracking_uri

HOUR_MS = 3_600_000


@pytest.fixture
def runs(tracked_workspace) -> dict[str, str]:
    """Three runs, an hour apart: run ids by name."""
    client = MlflowClient(tracking_uri(tracked_workspace))
    made = {}
    for hour, (name, experiment, status, accuracy) in enumerate([
        ("first", "cnn-digits", "FINISHED", 0.95),
        ("second", "cnn-digits", "KILLED", 0.55),
        ("third", "rnn-sines", "FAILED", None),
    ]):  # fmt: skip
        found = client.get_experiment_by_name(experiment)
        location = (tracked_workspace / "artifacts" / experiment).as_uri()
        experiment_id = (
            found.experiment_id if found else client.create_experiment(experiment, location)
        )
        run = client.create_run(experiment_id, start_time=1_800_000_000_000 + hour * HOUR_MS,
                                run_name=name)  # fmt: skip
        run_id = run.info.run_id
        if accuracy is not None:
            values = {"val_accuracy": accuracy, "test_accuracy": accuracy - 0.01,
                      "val_loss": 1 - accuracy, "train_loss": 0.1}  # fmt: skip
            client.log_batch(
                run_id,
                metrics=[Metric(key, value, 0, 0) for key, value in values.items()],
                params=[Param("monitor", "val_accuracy"), Param("lr", "0.001")],
            )
        client.set_terminated(run_id, status)
        made[name] = run_id
    return made


def listed(capsys, *argv: str) -> tuple[int, str, str]:
    code = netyard_here("runs", *argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_lists_runs_newest_first_with_key_metrics_filtered_and_ordered(
    tracked_workspace, runs, capsys
):
    code, out, _err = listed(capsys, "--workspace", str(tracked_workspace))
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "KEY", "METRICS"]
    assert [row.split()[:4] for row in rows] == [
        [runs["third"], "third", "rnn-sines", "FAILED"],
        [runs["second"], "second", "cnn-digits", "STOPPED"],
        [runs["first"], "first", "cnn-digits", "FINISHED"],
    ]
    # The metric it was judged by and its test twin; not every metric it logged.
    assert rows[2].endswith("val_accuracy 0.9500  test_accuracy 0.9400")

    where = ["--workspace", str(tracked_workspace)]
    code, out, _err = listed(capsys, *where, "--filter", "metrics.val_accuracy > 0.9")
    assert code == 0 and [row.split()[1] for row in out.splitlines()[1:]] == ["first"]
    _code, out, _err = listed(capsys, *where, "--filter", "params.lr = '0.001'",
                              "--order-by", "metrics.val_loss DESC")  # fmt: skip
    rows = out.splitlines()[1:]
    assert [row.split()[1] for row in rows] == ["second", "first"]
    assert "val_loss 0.4500" in rows[0]  # a metric the order names is shown too
    _code, out, _err = listed(capsys, *where, "--experiment", "rnn-sines")
    assert [row.split()[1] for row in out.splitlines()[1:]] == ["third"]
    _code, out, err = listed(capsys, *where, "--max", "1")
    assert len(out.splitlines()) == 2 and "--max N for more" in err


def test_json_is_one_document_with_every_field(tracked_workspace, runs, capsys):
    code, out, _err = listed(capsys, "--workspace", str(tracked_workspace), "--json")
    assert code == 0
    documents = json.loads(out)
    assert [run["run_id"] for run in documents] == [runs["third"], runs["second"], runs["first"]]
    first = documents[2]
    assert first["name"] == "first" and first["experiment"] == "cnn-digits"
    assert first["status"] == "finished" and first["mlflow_status"] == "FINISHED"
    assert first["key_metrics"] == {"val_accuracy": 0.95, "test_accuracy": 0.94}
    assert first["metrics"]["train_loss"] == 0.1 and first["params"]["lr"] == "0.001"
    assert first["start_time"] == "2027-01-15T08:00:00Z"


BAD = {
    "comparator": (
        ["--filter", "metrics.val_accuracy >> 0.9"],
        ["invalid --filter 'metrics.val_accuracy >> 0.9': invalid comparator '>>'",
         "e.g. --filter \"metrics.val_accuracy > 0.9 and params.lr = '0.001'\""],
    ),
    "no-entity": (["--filter", "val_accuracy > 0.9"], ["invalid --filter 'val_accuracy > 0.9'"]),
    "order": (
        ["--order-by", "metrics.val_loss DOWN"],
        ["invalid --order-by 'metrics.val_loss DOWN'", 'e.g. --order-by "metrics.val_accuracy'],
    ),
    "experiment": (
        ["--experiment", "cnn-digit"],
        ["unknown experiment 'cnn-digit' (did you mean cnn-digits?)", "Default, cnn-digits"],
    ),
}  # fmt: skip


def test_bad_input_is_one_line_exit_2(tracked_workspace, runs, capsys):
    for case, (argv, fragments) in BAD.items():
        code, out, err = listed(capsys, "--workspace", str(tracked_workspace), *argv)
        assert code == 2 and out == "", case
        assert len(err.splitlines()) == 1 and err.startswith("netyard: error: "), (case, err)
        for fragment in fragments:
            assert fragment in err, (case, err)


def test_a_workspace_without_a_store_has_no_runs_and_gets_no_store(workspace, capsys):
    assert listed(capsys, "--workspace", str(workspace))[:2] == (0, "No runs.\n")
    assert listed(capsys, "--workspace", str(workspace), "--json")[:2] == (0, "[]\n")
    assert not (workspace / "mlflow.db").exists()
