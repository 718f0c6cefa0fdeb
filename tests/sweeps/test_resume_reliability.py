"""A resumed sweep draws new parameters, a second coordinator on a running study is refused,
and a coordinator going down keeps what its workers already reported (real worker processes,
a real journal storage, a real live process holding the study)."""

from __future__ import annotations

import socket
import subprocess
import sys

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from engine.errors import UsageError
from engine.events import RunFinished
from engine.sweeps import SweepRunner, TrialProgress, default_storage_url
from engine.sweeps._storage import open_storage
from engine.sweeps._study import COORDINATOR_ATTR, resumed_seed
from tests.sweeps.conftest import Recorder, tiny_spec


def load(workspace, name):
    return optuna.load_study(study_name=name, storage=open_storage(default_storage_url(workspace)))


def test_a_resumed_sweep_does_not_replay_its_first_draws(workspace):
    # Random sampling makes every draw come from the seed: a replay would repeat lr exactly.
    first = tiny_spec(workspace, "resumed", "lr=1e-4:1e-1:log", trials=3, sampler="random")
    assert SweepRunner(first, Recorder()).run().status == "finished"
    again = tiny_spec(workspace, "resumed", "lr=1e-4:1e-1:log", trials=6, sampler="random")
    assert SweepRunner(again, Recorder()).run().status == "finished"

    trials = sorted(load(workspace, "resumed").get_trials(), key=lambda t: t.number)
    values = [t.params["lr"] for t in trials]
    assert len(values) == 6 and len(set(values)) == 6, values
    assert load(workspace, "resumed").user_attrs[COORDINATOR_ATTR] is None  # ended cleanly


def test_the_resumed_seed_moves_on_with_the_trials_in_the_study():
    assert len({resumed_seed(0, n) for n in range(1, 50)}) == 49
    assert resumed_seed(7, 4) != resumed_seed(8, 4)


def test_a_second_coordinator_on_a_running_study_is_refused(workspace):
    storage = open_storage(default_storage_url(workspace))
    study = optuna.create_study(study_name="held", storage=storage, direction="maximize")
    # A live process that holds the study until its stdin closes.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        study.set_user_attr(COORDINATOR_ATTR, {"host": socket.gethostname(), "pid": holder.pid})
        spec = tiny_spec(workspace, "held", "lr=1e-3:1e-1:log", trials=2)
        with pytest.raises(UsageError, match=f"already running \\(coordinator pid {holder.pid}"):
            SweepRunner(spec, Recorder()).run()
        assert load(workspace, "held").get_trials() == []
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # Once that process is gone, its record no longer holds the study.
    assert SweepRunner(spec, Recorder()).run().status == "finished"
    assert load(workspace, "held").user_attrs[COORDINATOR_ATTR] is None


def test_a_trial_reported_finished_stays_complete_when_the_coordinator_goes_down(workspace):
    """The coordinator fails after its worker wrote RunFinished but before it read it: the
    trial is told COMPLETE and its run, which the worker's helper is ending, is not failed."""
    taken: list = []

    def emit(event):
        if isinstance(event, TrialProgress) and event.step == event.total_steps:
            while not any(isinstance(e, RunFinished) for _, e in taken):
                taken.append(runner.slots.events.get(timeout=120))
            for item in taken:  # back in the queue, unread, as when the coordinator fails
                runner.slots.events.put(item)
            raise KeyboardInterrupt

    runner = SweepRunner(tiny_spec(workspace, "abandoned", "lr=1e-3:1e-1:log", trials=2), emit)
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    trial = load(workspace, "abandoned").trials[0]
    assert trial.state == TrialState.COMPLETE, trial.user_attrs
    run = MlflowClient(runner.tracking_uri).get_run(trial.user_attrs["netyard.mlflow_run_id"])
    assert run.data.tags["optuna.state"] == "COMPLETE"
    assert run.info.status in ("RUNNING", "FINISHED")  # its finisher's to end
