"""Organising runs from the Runs browser's Run menu: tags on a selection, a new name, a star,
archive and restore, all written to MLflow and read back with ``MlflowClient`` (a real SQLite
store, runs written directly: no training is needed here)."""

from __future__ import annotations

import shutil

import pytest
from conftest import answer_next, answer_next_dialog, record_next_message
from mlflow.tracking import MlflowClient
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.browser import RunsBrowser
from app.browser._organise import STAR_TAG

WAIT_MS = 60_000
START_MS = 1_700_000_000_000
TOOLTIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> tuple[str, dict[str, str]]:
    """Three finished runs; a and b share a tag value and differ in another."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("organise")
    tags = {"a": {"stage": "draft", "owner": "ann"}, "b": {"stage": "draft", "owner": "bob"}}
    ids = {}
    for index, name in enumerate("abc"):
        run = client.create_run(experiment, start_time=START_MS + index, run_name=f"run-{name}",
                                tags=tags.get(name, {}))  # fmt: skip
        client.set_terminated(run.info.run_id, "FINISHED")
        ids[name] = run.info.run_id
    return uri, ids


def opened(qtbot, uri: str) -> RunsBrowser:
    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(uri)
    browser.resize(1400, 600)
    browser.show()
    qtbot.waitUntil(lambda: not browser.loading and bool(browser.model.rows), timeout=WAIT_MS)
    return browser


def select(browser: RunsBrowser, *run_ids: str) -> None:
    """Select the runs' rows as a ctrl-click on each would."""
    assert browser.select_runs(*run_ids) == len(run_ids)
    assert {row.run_id for row in browser.selected_rows()} == set(run_ids)
    browser.organiser.update_actions()  # what opening the menu does


def tags_of(uri: str, run_id: str) -> dict[str, str]:
    tags = MlflowClient(tracking_uri=uri).get_run(run_id).data.tags
    return {key: value for key, value in tags.items() if not key.startswith("mlflow.")}


def run_cell(browser: RunsBrowser, run_id: str, role=None) -> str:
    row = next(i for i, row in enumerate(browser.model.rows) if row.run_id == run_id)
    index = browser.model.index(row, 0)
    return index.data() if role is None else index.data(role)


def set_text(dialog, row: int, column: int, text: str) -> None:
    dialog.table.item(row, column).setText(text)  # what typing into the cell leaves


def test_tags_edited_on_two_selected_runs_are_mlflow_tags(qtbot, store, errors):
    uri, ids = store
    browser = opened(qtbot, uri)
    organiser = browser.organiser
    select(browser, ids["a"], ids["b"])
    assert organiser.tags_action.isEnabled()

    organiser.tags_action.trigger()
    dialog = organiser.tags_dialog
    keys = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    values = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert keys == ["owner", "stage"] and values == ["(differs)", "draft"]
    set_text(dialog, 1, 1, "final")  # edit stage on both
    added = dialog.add_row()
    set_text(dialog, added, 0, "dataset-version")
    set_text(dialog, added, 1, "v2")
    dialog.ok_button.click()
    expected_a = {"owner": "ann", "stage": "final", "dataset-version": "v2"}
    qtbot.waitUntil(lambda: tags_of(uri, ids["a"]) == expected_a, timeout=WAIT_MS)
    assert tags_of(uri, ids["b"]) == {**expected_a, "owner": "bob"}  # its own owner kept
    assert tags_of(uri, ids["c"]) == {}
    qtbot.waitUntil(
        lambda: "stage = final" in run_cell(browser, ids["b"], TOOLTIP), timeout=WAIT_MS
    )

    # Removing a tag removes it from every selected run.
    organiser.tags_action.trigger()
    dialog = organiser.tags_dialog
    stage_row = [dialog.table.item(r, 0).text() for r in range(3)].index("stage")
    dialog.table.selectRow(stage_row)
    dialog.remove_button.click()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: browser.status.text().startswith("Tags on 2 runs: removed stage"),
                    timeout=WAIT_MS)  # fmt: skip
    assert tags_of(uri, ids["a"]) == {"owner": "ann", "dataset-version": "v2"}
    assert tags_of(uri, ids["b"]) == {"owner": "bob", "dataset-version": "v2"}
    assert errors == []


def test_bad_tag_keys_are_refused_in_one_line_and_nothing_changes(qtbot, store):
    uri, ids = store
    browser = opened(qtbot, uri)
    organiser = browser.organiser
    select(browser, ids["a"], ids["b"])
    before = {name: tags_of(uri, run_id) for name, run_id in ids.items()}

    organiser.tags_action.trigger()
    dialog = organiser.tags_dialog
    added = dialog.add_row(value="orphan")  # a value with no key
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.problem.text() == (
        "a tag key cannot be empty: give a name such as 'dataset-version'"
    )
    set_text(dialog, added, 0, "netyard.checkpoint")
    dialog.ok_button.click()
    assert dialog.isVisible() and "is reserved" in dialog.problem.text()

    # A key MLflow itself refuses: MLflow's reason, one line, in a message box.
    set_text(dialog, added, 0, "bad key!")
    set_text(dialog, 1, 1, "final")  # a valid change in the same edit is not half-written
    shown = record_next_message()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown[0].startswith('MLflow refused the tags: Invalid value "bad key!" for tag key')
    assert "\n" not in shown[0]
    assert {name: tags_of(uri, run_id) for name, run_id in ids.items()} == before


def test_rename_and_star_show_in_mlflow_and_in_the_table(qtbot, store, errors):
    uri, ids = store
    client = MlflowClient(tracking_uri=uri)
    browser = opened(qtbot, uri)
    organiser = browser.organiser
    select(browser, ids["c"])
    assert organiser.rename_action.isEnabled()

    answer_next("baseline")
    organiser.rename_action.trigger()
    qtbot.waitUntil(lambda: client.get_run(ids["c"]).info.run_name == "baseline", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: run_cell(browser, ids["c"]) == "baseline", timeout=WAIT_MS)

    shown = record_next_message()
    answer_next("   ")
    organiser.rename_action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown == ["a run name cannot be empty: type a name, or cancel to keep it"]
    assert client.get_run(ids["c"]).info.run_name == "baseline"

    select(browser, ids["a"], ids["c"])
    assert organiser.star_action.text() == "Star"
    organiser.star_action.trigger()
    qtbot.waitUntil(lambda: run_cell(browser, ids["c"]) == "★ baseline", timeout=WAIT_MS)
    assert client.get_run(ids["a"]).data.tags[STAR_TAG] == "true"
    assert STAR_TAG not in client.get_run(ids["b"]).data.tags

    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.starred_only.setChecked(True)
    assert {row.run_id for row in browser.model.rows} == {ids["a"], ids["c"]}
    select(browser, ids["a"])
    assert organiser.star_action.text() == "Unstar"
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.star_action.trigger()  # it leaves the starred-only list
    assert [row.run_id for row in browser.model.rows] == [ids["c"]]
    assert STAR_TAG not in client.get_run(ids["a"]).data.tags
    assert errors == []


def test_archived_runs_are_mlflow_deleted_listed_apart_and_restorable(qtbot, store, errors):
    uri, ids = store
    client = MlflowClient(tracking_uri=uri)
    browser = opened(qtbot, uri)
    organiser = browser.organiser
    select(browser, ids["a"], ids["b"])
    assert organiser.archive_action.text() == "Archive 2 runs…"
    assert not organiser.restore_action.isEnabled()

    asked = answer_next_dialog(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.archive_action.trigger()
    assert asked and asked[0].startswith("Archive 2 runs (run-b, run-a)?")
    assert {client.get_run(i).info.lifecycle_stage for i in (ids["a"], ids["b"])} == {"deleted"}
    assert [row.run_id for row in browser.model.rows] == [ids["c"]]

    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.show_combo.setCurrentText("Archived")
    assert {row.run_id for row in browser.model.rows} == {ids["a"], ids["b"]}
    assert browser.run_count.text() == "2 of 2 runs"
    select(browser, ids["b"])
    assert organiser.restore_action.isEnabled() and not organiser.archive_action.isEnabled()
    assert not organiser.tags_action.isEnabled() and not organiser.resume_action.isEnabled()
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.restore_action.trigger()
    assert client.get_run(ids["b"]).info.lifecycle_stage == "active"
    assert [row.run_id for row in browser.model.rows] == [ids["a"]]

    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        organiser.show_combo.setCurrentText("Active")
    assert {row.run_id for row in browser.model.rows} == {ids["b"], ids["c"]}
    assert errors == []


def test_a_long_name_is_cut_to_its_column_and_whole_in_its_tooltip(qtbot, store):
    from app.browser._view import MAX_COLUMN_WIDTH

    uri, ids = store
    long_name = "rnn-monthly_sales.csv?target=value&season=12&window=24-seed0" * 2
    MlflowClient(tracking_uri=uri).set_tag(ids["a"], "mlflow.runName", long_name)
    browser = opened(qtbot, uri)
    model = browser.model
    row = next(i for i, r in enumerate(model.rows) if r.run_id == ids["a"])
    assert browser.table.columnWidth(0) == MAX_COLUMN_WIDTH  # the other columns stay in sight
    assert model.data(model.index(row, 0), TOOLTIP).splitlines()[:2] == [long_name, ids["a"]]
    assert model.data(model.index(row, 2), TOOLTIP) is None  # "FINISHED" fits: no tooltip
