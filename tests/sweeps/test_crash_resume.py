"""A trial whose worker is killed (kill -9) resumes from its last checkpoint in the same
MLflow run, each step logged once and its Optuna intermediate values continued; past
``trial_retries`` it fails, saying why. An ended trial keeps only the checkpoint it needs."""

from __future__ import annotations

import io
import os
import select
import signal
import textwrap
import threading
import time

import optuna
import pytest
from netyard_test_support import installed_plugins

from engine.cli._sweep_commands import SweepProgress
from engine.states import State
from engine.sweeps import SweepRunner, TrialFailed, TrialStarted, default_storage_url
from engine.sweeps._storage import open_storage
from engine.tracking import open_client
from tests.sweeps.conftest import Recorder, tiny_spec

GATE_PLUGIN = '''
"""A test plugin: the CNN, held at step 12 (after the checkpoint of step 10) while its gate
file says so: it tells the test its pid through a FIFO, then waits to be killed."""
import os
import threading
from pathlib import Path

from plugins.cnn import CNNPlugin


class GatePlugin(CNNPlugin):
    id = "gate"
    name = "CNN held at a gate"

    def training_step(self, model, batch, step, context=None):
        gate = os.environ.get("NETYARD_TEST_GATE")
        if gate and step == 12:
            holds = Path(gate + ".holds")
            left = int(holds.read_text())
            if left > 0:
                holds.write_text(str(left - 1))
                with open(gate, "w") as fifo:  # waits for the test to listen
                    fifo.write(str(os.getpid()))
                threading.Event().wait()  # until killed
        return super().training_step(model, batch, step, context)
'''


@pytest.fixture
def gate(tmp_path, monkeypatch):
    """The ``gate`` plugin through a real entry point, and its FIFO: ``gate(holds)`` arms it
    for that many kills; ``gate.next_pid()`` waits for the held worker's pid."""
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    monkeypatch.setenv("NETYARD_TEST_GATE", str(fifo))

    class Gate:
        def arm(self, holds: int) -> None:
            (tmp_path / "gate.holds").write_text(str(holds))

        def next_pid(self, timeout: float = 60.0) -> int:
            # A writer that came and went before this read opened shows as an end of file
            # (b""): listen again, until a pid comes or the time is up.
            deadline = time.monotonic() + timeout
            while True:
                descriptor = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                try:
                    left = max(0.0, deadline - time.monotonic())
                    ready, _, _ = select.select([descriptor], [], [], left)
                    assert ready, "no trial reached the gate"
                    data = os.read(descriptor, 64)
                finally:
                    os.close(descriptor)
                if data.strip():
                    return int(data)

    modules = {"gateplug": textwrap.dedent(GATE_PLUGIN)}
    with installed_plugins(tmp_path / "site", {"gate": "gateplug:GatePlugin"}, modules,
                           name="gateplug", processes=True):  # fmt: skip
        yield Gate()


def _sweep_killing(workspace, gate, name: str, kills: int, **fields):
    """One trial of 20 steps (evaluations and checkpoints every 5), its worker killed with
    SIGKILL at step 12 ``kills`` times; the pool's pids of the slot, and the events."""
    gate.arm(kills)
    events = Recorder()
    spec = tiny_spec(workspace, name, "lr=1e-3:1e-1:log", plugin="gate", trials=1,
                     pruner="none", fixed={"eval_every": 5}, **fields)  # fmt: skip
    runner = SweepRunner(spec, events)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(finished=runner.run()))
    thread.start()
    killed = []
    try:
        for _ in range(kills):
            held = gate.next_pid()
            pid = runner.slots.get(0).pid  # the slot's worker, from the pool
            assert pid == held
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    finally:
        thread.join(120)
    return result["finished"], events, killed


def test_a_killed_trial_resumes_in_the_same_run_each_step_once(workspace, gate):
    finished, events, killed = _sweep_killing(workspace, gate, "crash-resume", kills=1)
    assert finished.status == State.FINISHED and finished.states == {"finished": 1}
    started = events.of(TrialStarted)
    assert [(e.resumes, e.resumed_step) for e in started] == [(0, None), (1, 10)]
    assert started[1].pid != killed[0]
    progress = SweepProgress(io.StringIO(), live=False)
    for event in events:
        progress(event)
    said = progress.stream.getvalue()
    assert "trial 0: its worker died; resumed from its checkpoint at step 10 (resume 1)" in said
    run_ids = {e.run_id for e in events if getattr(e, "run_id", None)}
    assert len(run_ids) == 1  # one MLflow run for the trial, across the kill
    client = open_client(f"sqlite:///{workspace}/mlflow.db")
    run_id = run_ids.pop()
    assert client.get_run(run_id).info.status == "FINISHED"
    for key in ("train_loss", "val_loss"):
        steps = [m.step for m in client.get_metric_history(run_id, key)]
        assert len(steps) == len(set(steps)), f"{key} logged a step twice: {sorted(steps)}"
    train_steps = sorted(m.step for m in client.get_metric_history(run_id, "train_loss"))
    assert train_steps == list(range(1, 21))
    study = optuna.load_study(study_name="crash-resume",
                              storage=open_storage(default_storage_url(workspace)))  # fmt: skip
    assert sorted(study.trials[0].intermediate_values) == [5, 10, 15, 20]
    # A finished trial keeps its best checkpoint only (another name of it may be its last).
    folder = workspace / "checkpoints" / run_id
    names = sorted(p.name for p in folder.glob("*.ckpt"))
    assert "best.ckpt" in names and not any(n.startswith("step_") for n in names)
    assert len({(folder / n).stat().st_ino for n in names}) == 1


def test_a_trial_killed_past_its_retries_fails_saying_why(workspace, gate):
    finished, events, _ = _sweep_killing(
        workspace, gate, "crash-exhausted", kills=2, trial_retries=1
    )
    assert finished.states == {"failed": 1}
    (failed,) = events.of(TrialFailed)
    assert "the worker process died (exit code -9)" in failed.reason
    assert "resumed from its checkpoint once, all that --trial-retries 1 allows" in failed.reason
    run = open_client(f"sqlite:///{workspace}/mlflow.db").get_run(failed.run_id)
    assert run.info.status == "FAILED"
