"""Resume… in the Runs browser: a stopped run with a checkpoint trains on to more steps as a
job of the app, in the same MLflow run, as ``netyard run --resume`` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LONG_MS
from mlflow.tracking import MlflowClient
from netyard_test_support import TINY_CNN, all_runs, tracking_uri

from app.browser._resume import why_not_resumable
from app.jobs import RunJob
from engine.runner import RunConfig, run

STOPPED_AT = 4
PLANNED = 40
RESUMED_TO = 10


@pytest.fixture
def app_workspace(tracked_workspace: Path) -> Path:
    return tracked_workspace


def stopped_run(workspace: Path) -> str:
    """A tiny CNN run stopped (Stop in the app, Ctrl-C on the CLI) after STOPPED_AT steps."""
    asked = iter(range(1_000_000))
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": PLANNED, "eval_every": 5},
        seed=3,
        device="cpu",
        threads=1,
        workspace=str(workspace),
    )
    outcome = run(config, should_stop=lambda: next(asked) >= STOPPED_AT)
    assert outcome.status == "stopped" and outcome.step == STOPPED_AT and outcome.checkpoint
    return outcome.run_id


def test_resume_continues_the_same_mlflow_run_past_its_last_step(
    window, qtbot, errors, monkeypatch
):
    root = window.workspace.root
    run_id = stopped_run(root)
    client = MlflowClient(tracking_uri=tracking_uri(root))
    assert client.get_run(run_id).info.status == "KILLED"

    window.tabs.setCurrentWidget(window.browser_page)
    browser, organiser = window.browser, window.browser.organiser
    browser.refresh()
    qtbot.waitUntil(lambda: any(r.run_id == run_id for r in browser.model.rows), timeout=LONG_MS)
    assert browser.select_run(run_id)
    organiser.update_actions()  # what opening the Run menu does
    assert organiser.resume_action.isEnabled(), organiser.resume_action.toolTip()

    asked = []  # each time the steps are asked for (a dialog opened)
    ask_steps = organiser._ask_steps
    monkeypatch.setattr(
        organiser, "_ask_steps", lambda point: (asked.append(point), ask_steps(point))
    )
    organiser.resume_action.trigger()
    organiser.resume_action.trigger()  # clicked again while the checkpoint is read: no second
    qtbot.waitUntil(
        lambda: organiser.resume_dialog is not None and organiser.resume_dialog.isVisible(),
        timeout=LONG_MS,
    )
    dialog = organiser.resume_dialog
    assert dialog.steps.value() == PLANNED  # the run stopped short of its plan: finish it
    dialog.steps.setValue(STOPPED_AT)
    assert not dialog.ok_button.isEnabled()
    assert dialog.problem.text() == (
        f"total steps {STOPPED_AT} is not more than the checkpoint's step {STOPPED_AT}: "
        f"give {STOPPED_AT + 1} or more"
    )
    dialog.steps.setValue(RESUMED_TO)
    assert dialog.ok_button.isEnabled() and not dialog.problem.text()
    jobs_before = len(window.jobs.jobs)
    dialog.ok_button.click()

    assert len(window.jobs.jobs) == jobs_before + 1
    job = window.jobs.jobs[-1]
    assert isinstance(job, RunJob) and job.config.resume
    assert window.jobs_panel.item_for_job(job) is not None
    assert window.live.trace_for(job) is not None
    # The same resume asked for again while it trains starts nothing.
    organiser.resume_requested.emit(job.config)
    assert len(window.jobs.jobs) == jobs_before + 1
    assert "is resuming that run already" in browser.status.text()
    qtbot.waitUntil(lambda: not job.active, timeout=LONG_MS)
    assert job.state == "finished", (job.message, job.details)
    assert job.run_id == run_id and job.progress == RESUMED_TO

    # The same MLflow run, FINISHED, its history going on from the stopped step.
    assert [r.info.run_id for r in all_runs(tracking_uri(root))] == [run_id]
    finished = client.get_run(run_id)
    assert finished.info.status == "FINISHED"
    history = client.get_metric_history(run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(1, RESUMED_TO + 1))
    assert len(asked) == 1

    # A finished run cannot be resumed; the menu says why.
    browser.refresh()
    qtbot.waitUntil(
        lambda: any(r.run_id == run_id and r.status == "FINISHED" for r in browser.model.rows),
        timeout=LONG_MS,
    )
    assert browser.select_run(run_id)
    organiser.update_actions()
    assert not organiser.resume_action.isEnabled()
    assert organiser.resume_action.toolTip() == (
        "Cannot resume: only a stopped or failed run can be resumed; this one is finished"
    )
    assert errors == []


def test_a_failed_run_is_resumable_from_the_checkpoint_folder(tmp_path):
    """A failed run names no checkpoint in a tag; the runner's folder for it has one."""
    checkpoints = tmp_path / "checkpoints"
    assert why_not_resumable("r1", "FAILED", "active", {}, checkpoints) == (
        "the run has no checkpoint on this machine"
    )
    (checkpoints / "r1").mkdir(parents=True)
    (checkpoints / "r1" / "last.ckpt").write_bytes(b"")
    assert why_not_resumable("r1", "FAILED", "active", {}, checkpoints) is None
    assert why_not_resumable("r1", "FAILED", "deleted", {}, checkpoints) == (
        "the run is archived: restore it first"
    )
