"""A trial you stop ends "stopped" (its own state) and counts, unless the sweep replaces it;
progress never passes the budget; a sweep with nothing left to run says so."""

from __future__ import annotations

import io

import optuna

from engine.cli._sweep_commands import SweepProgress
from engine.states import State
from engine.sweeps import (
    SweepRunner,
    TrialProgress,
    TrialStopped,
    default_storage_url,
    list_studies,
)
from engine.sweeps._storage import open_storage
from engine.tracking import TRIAL_STATE_TAG, open_client
from tests.sweeps.conftest import Recorder, tiny_spec


def _run_stopping_trial_0(workspace, name: str, **fields):
    events = Recorder()
    progress = SweepProgress(io.StringIO(), live=False)
    spec = tiny_spec(workspace, name, "lr=1e-3:1e-1:log", trials=2, pruner="none",
                     fixed={"steps": 200, "eval_every": 10}, **fields)  # fmt: skip
    runner = SweepRunner(spec)

    def emit(event):
        events(event)
        progress(event)
        if isinstance(event, TrialProgress) and event.number == 0 and event.step >= 20:
            runner.cancel_trial(0)

    runner.emit = emit
    finished = runner.run()
    return finished, events, progress


def test_a_stopped_trial_counts_by_default_and_its_run_says_stopped(workspace):
    """Then the budget is spent: the same sweep run again says there is nothing left."""
    finished, events, progress = _run_stopping_trial_0(workspace, "stop-counts")
    assert finished.status == State.FINISHED
    assert [(e.number, e.counts) for e in events.of(TrialStopped)] == [(0, True)]
    # Two trials in all: the stopped one used up one of the budget's two.
    assert finished.states == {"stopped": 1, "finished": 1}
    assert "trial 0 stopped by you at step" in progress.stream.getvalue()
    assert progress.status_text().startswith("trials 2/2 ")
    study = optuna.load_study(study_name="stop-counts", storage=open_storage(
        default_storage_url(workspace)))  # fmt: skip
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    run_id = next(e.run_id for e in events.of(TrialStopped))
    run = open_client(f"sqlite:///{workspace}/mlflow.db").get_run(run_id)
    assert run.info.status == "KILLED" and run.data.tags[TRIAL_STATE_TAG] == "STOPPED"
    listed = {s.name: s for s in list_studies(default_storage_url(workspace))}
    assert listed["stop-counts"].states == {"stopped": 1, "finished": 1}

    again = SweepRunner(tiny_spec(workspace, "stop-counts", "lr=1e-3:1e-1:log", trials=2)).run()
    assert again.status == State.FINISHED and again.states == finished.states
    assert again.reason.startswith("nothing left to run: sweep 'stop-counts' had done all 2 of")
    assert again.outcome().message == again.reason  # what the queue and the app show


def test_a_sweep_that_replaces_stopped_trials_runs_another_and_its_progress_stays_in_budget(
    workspace,
):
    finished, events, progress = _run_stopping_trial_0(
        workspace, "stop-replaced", replace_stopped=True
    )
    assert [(e.number, e.counts) for e in events.of(TrialStopped)] == [(0, False)]
    assert finished.states == {"stopped": 1, "finished": 2}
    assert "another trial replaces it" in progress.stream.getvalue()
    assert progress.status_text().startswith("trials 2/2 ")
