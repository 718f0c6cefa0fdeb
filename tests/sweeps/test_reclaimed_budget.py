"""Budget given back while the coordinator's own trial runs is used: a trial of a coordinator
that died mid-sweep is reclaimed and run again here, not lost because the budget looked full
when the slots were last filled."""

from __future__ import annotations

import socket
import subprocess

import optuna

from engine.states import State
from engine.sweeps import SweepRunner, TrialStarted, default_storage_url
from engine.sweeps._reconcile import HEARTBEAT_ATTR, HOST_ATTR, PID_ATTR
from engine.sweeps._storage import open_storage
from tests.sweeps.conftest import Recorder, tiny_spec


def test_a_trial_reclaimed_while_ours_runs_is_run_again(workspace, monkeypatch):
    monkeypatch.setenv("NETYARD_TRIAL_GRACE_SECONDS", "3")  # a heartbeat check every second
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid whose process is gone: a coordinator of this host that died
    # Two slots: the second finds the budget full (trial 0 and the dead trial) when filled.
    spec = tiny_spec(workspace, "reclaimed", "lr=1e-3:1e-1:log", trials=2, pruner="none",
                     parallel=2, fixed={"steps": 600, "eval_every": 100})  # fmt: skip
    events = Recorder()

    def emit(event):
        events(event)
        if isinstance(event, TrialStarted) and event.number == 0:
            # While trial 0 trains, a dead coordinator's trial takes the budget's last place.
            storage = open_storage(default_storage_url(workspace))
            study = optuna.load_study(study_name="reclaimed", storage=storage)
            dead = study.ask()
            dead.set_user_attr(HOST_ATTR, socket.gethostname())
            dead.set_user_attr(PID_ATTR, gone.pid)
            dead.set_user_attr(HEARTBEAT_ATTR, 0.0)

    finished = SweepRunner(spec, emit).run()
    assert finished.status == State.FINISHED
    # The dead trial failed and gave its place back; two trials of ours ran to the end.
    assert finished.states == {"finished": 2, "failed": 1}
    assert [e.number for e in events.of(TrialStarted)] == [0, 2]
