"""Sweeps end to end with real worker processes, read back through Optuna and MLflow."""

from __future__ import annotations

import math

import optuna
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from engine.sweeps import (
    BestChanged,
    SweepFinished,
    SweepRunner,
    SweepStarted,
    TrialFailed,
    TrialFinished,
    TrialProgress,
    TrialPruned,
    TrialStarted,
    TrialStopped,
    default_storage_url,
    list_studies,
)
from engine.sweeps._storage import open_storage
from tests.sweeps.conftest import Recorder, tiny_spec, wait_for_exit


def load(workspace, name):
    return optuna.load_study(study_name=name, storage=open_storage(default_storage_url(workspace)))


def child_runs(workspace, name):
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"tags.`netyard.sweep` = '{name}'")
    parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return client, parent, children


def assert_workers_gone(events):
    for pid in {e.pid for e in events.of(TrialStarted)}:
        assert wait_for_exit(pid, timeout=30), f"worker {pid} outlived its sweep"


def test_parallel_sweep_end_to_end(workspace):
    events = Recorder()
    spec = tiny_spec(
        workspace, "e2e", "lr=1e-3:1e-1:log", "channels=4,8", trials=5, parallel=2, pruner="none"
    )
    finished = SweepRunner(spec, events).run()

    assert finished.status == "finished" and finished.states == {"finished": 5}
    study = load(workspace, "e2e")
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == [0, 1, 2, 3, 4]  # none lost, none twice
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert {e.worker for e in events.of(TrialStarted)} == {0, 1}  # both workers trained

    client, parent, children = child_runs(workspace, "e2e")
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    assert parent[0].data.params["search.channels"] == "4,8"
    assert parent[0].data.params["trials"] == "5"
    assert parent[0].data.metrics["best_val_accuracy"] == study.best_value
    assert parent[0].data.tags["netyard.best_trial"] == str(study.best_trial.number)
    by_number = {int(r.data.tags["optuna.trial_number"]): r for r in children}
    assert sorted(by_number) == [0, 1, 2, 3, 4]
    for trial in trials:
        run = by_number[trial.number]
        assert run.data.tags["mlflow.parentRunId"] == parent[0].info.run_id
        assert run.data.tags["optuna.state"] == "COMPLETE"
        assert run.data.tags["optuna.study_name"] == "e2e"
        assert run.data.tags["optuna.trial_id"] == str(trial._trial_id)
        assert trial.user_attrs["netyard.mlflow_run_id"] == run.info.run_id
        assert run.info.status == "FINISHED"  # ended by the trial's forked finisher
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"model.safetensors", "config.json", "confusion_matrix.png"} <= artifacts
        assert float(run.data.params["lr"]) == trial.params["lr"]
        history = client.get_metric_history(run.info.run_id, "val_accuracy")
        assert [m.step for m in history] == list(range(1, 21))  # every evaluation, not one
        assert history[-1].value == trial.value
        assert trial.intermediate_values == {m.step: m.value for m in history}

    assert len(events.of(TrialProgress)) == 5 * 20
    assert [e.number for e in events.of(BestChanged)][-1] == study.best_trial.number
    assert isinstance(events[0], SweepStarted) and isinstance(events[-1], SweepFinished)
    assert_workers_gone(events)

    listed = {s.name: s for s in list_studies(default_storage_url(workspace))}
    assert listed["e2e"].states == {"finished": 5}
    assert listed["e2e"].best_values == [study.best_value]
    assert (listed["e2e"].plugin, listed["e2e"].dataset) == ("cnn", "mnist1d")


def test_pruning_stops_bad_trials_and_marks_them_pruned(workspace):
    events = Recorder()
    # A learning rate that cannot learn in 20 steps against one that does: after the median
    # pruner's 5 start-up trials, the slow ones fall below the median and are pruned. With
    # seed 4 the random sampler draws good, good, good, good, slow, good, slow, slow, slow.
    spec = tiny_spec(workspace, "prune", "lr=0.03,0.000001", trials=9, sampler="random", seed=4)
    finished = SweepRunner(spec, events).run()

    study = load(workspace, "prune")
    pruned = [t for t in study.get_trials() if t.state == TrialState.PRUNED]
    assert finished.states.get("failed", 0) == 0
    assert pruned, "no trial was pruned"
    assert all(t.params["lr"] == 0.000001 for t in pruned)
    assert all(max(t.intermediate_values) < 20 for t in pruned)  # stopped before the end
    _, _, children = child_runs(workspace, "prune")
    by_number = {int(r.data.tags["optuna.trial_number"]): r for r in children}
    for trial in pruned:
        run = by_number[trial.number]
        assert run.data.tags["optuna.state"] == "PRUNED"
        assert run.info.status != "FAILED"
    assert {e.number for e in events.of(TrialPruned)} == {t.number for t in pruned}
    assert_workers_gone(events)


def test_failing_and_nan_trials_fail_with_reasons_and_the_sweep_goes_on(workspace, trap_plugin):
    events = Recorder()
    spec = tiny_spec(
        workspace,
        "traps",
        "trap=none,nan,raise",
        plugin="trap",
        sampler="grid",
        retries=1,
        trials=3,
    )
    finished = SweepRunner(spec, events).run()

    study = load(workspace, "traps")
    by_trap: dict[str, list] = {}
    for trial in study.get_trials():
        by_trap.setdefault(trial.params["trap"], []).append(trial)
    assert [t.state for t in by_trap["none"]] == [TrialState.COMPLETE]
    # each failing configuration ran twice (one retry) and failed twice, with its reason
    for trap, reason in (("nan", "train_loss became nan"), ("raise", "the trap went off")):
        assert [t.state for t in by_trap[trap]] == [TrialState.FAIL, TrialState.FAIL]
        assert all(reason in t.user_attrs["netyard.fail_reason"] for t in by_trap[trap])
        assert by_trap[trap][1].user_attrs["netyard.attempt"] == 2
    assert finished.status == "finished"
    assert finished.states == {"finished": 1, "failed": 4}
    assert math.isfinite(finished.best_values[0])
    _, _, children = child_runs(workspace, "traps")
    failed_runs = [r for r in children if r.data.tags["optuna.state"] == "FAIL"]
    assert len(failed_runs) == 4 and all(r.info.status == "FAILED" for r in failed_runs)
    assert sum(e.will_retry for e in events.of(TrialFailed)) == 2
    assert_workers_gone(events)


def test_invalid_parameters_for_the_data_fail_the_trial_only(workspace):
    # Eight unpadded stride-2 layers shrink a length-40 signal to nothing: the check refuses.
    events = Recorder()
    spec = tiny_spec(
        workspace,
        "shrink",
        "depth=2,8",
        sampler="grid",
        fixed={"stride": 2, "pooling": "none", "padding": "0"},
    )
    SweepRunner(spec, events).run()
    states = {t.params["depth"]: t for t in load(workspace, "shrink").get_trials()}
    assert states[2].state == TrialState.COMPLETE
    assert states[8].state == TrialState.FAIL
    assert "invalid parameters: the CNN's 8 layers" in states[8].user_attrs["netyard.fail_reason"]


def test_multi_objective_with_parameter_count(workspace):
    events = Recorder()
    spec = tiny_spec(
        workspace,
        "pareto",
        "channels=2,16",
        trials=3,
        sampler="random",
        objectives=[{"metric": "val_accuracy"}, {"metric": "param_count"}],
    )
    spec.objectives = [
        type(spec).from_dict({"plugin": "x", "dataset": "y", "metric": m}).objectives[0]
        for m in ("val_accuracy", "param_count")
    ]
    SweepRunner(spec, events).run()
    study = load(workspace, "pareto")
    assert len(study.directions) == 2
    counts = {t.params["channels"]: t.values[1] for t in study.get_trials()}
    assert counts[2] < counts[16] and all(c == int(c) > 0 for c in counts.values())
    assert events.of(TrialFinished)


def test_stop_and_cancel(workspace):
    events = Recorder()
    spec = tiny_spec(
        workspace, "stopme", "lr=1e-3:1e-1:log", trials=50, pruner="none", fixed={"steps": 400}
    )
    runner = SweepRunner(spec, events)

    def emit(event):
        events(event)
        if isinstance(event, TrialProgress) and event.number == 0 and event.step >= 40:
            runner.cancel_trial(0)
        if isinstance(event, TrialProgress) and event.number == 1 and event.step >= 40:
            runner.stop(cancel_running=True)

    runner.emit = emit
    finished = runner.run()
    assert finished.status == "stopped"
    trials = load(workspace, "stopme").get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert all(t.user_attrs["netyard.stopped"] for t in trials)
    # The trial stopped on its own counts; the one stopped with the sweep runs again later.
    assert [t.user_attrs.get("netyard.interrupted", False) for t in trials] == [False, True]
    assert [(e.number, e.counts) for e in events.of(TrialStopped)] == [(0, True), (1, False)]
    assert not events.of(TrialFailed)
    assert all(max(t.intermediate_values) < 400 for t in trials)
    assert_workers_gone(events)
