"""The worker zygote: trial workers forked from a process that has the imports done.

Real processes throughout: the zygote (``python -m engine.worker._zygote``), workers forked
from it, a real sweep into a real MLflow store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import TINY_CNN

from engine.events import Event, RunFinished
from engine.sweeps import SweepRunner, TrialFailed, TrialStarted
from engine.worker import (
    ForkedProcess,
    UsageProblem,
    command,
    start_process,
    start_zygote,
    stop_zygote,
)
from tests.sweeps.conftest import Recorder, tiny_cli_sweep, tiny_spec, wait_for_exit


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("PPid:")[1].split()[0])


@pytest.fixture(scope="module")
def zygote():
    """A zygote for these tests (its imports take seconds), ready to fork; ended after them.
    The last test ends it itself."""
    started = start_zygote()
    assert started.wait_ready(300), started.error()
    yield started
    stop_zygote()
    assert started.process.poll() is not None  # gone, not left behind for the next test
    assert "NETYARD_ZYGOTE" not in os.environ


class ParentsRecorder(Recorder):
    """Keeps the events and, as each trial starts, the parent of its worker process."""

    def __init__(self) -> None:
        super().__init__()
        self.parents: set[int] = set()

    def __call__(self, event) -> None:
        if isinstance(event, TrialStarted):
            self.parents.add(parent_of(event.pid))
        super().__call__(event)


def close_streams(process) -> None:
    for stream in (process.stdin, process.stdout, process.stderr):
        if not stream.closed:
            stream.close()


def run_in_worker(config: dict, env: dict | None = None):
    """One job in an ``engine.worker`` process: (the process, its events)."""
    process = start_process("engine.worker", env or {})
    process.stdin.write(command("run", job=0, config=config) + "\n")
    process.stdin.flush()
    events = []
    for line in process.stdout:
        if line.startswith("{"):
            events.append(Event.from_json(line))
            if isinstance(events[-1], RunFinished | UsageProblem):
                process.stdin.close()  # the job is over: end of file ends the worker
    process.wait(60)
    close_streams(process)
    return process, events


def test_a_sweep_forks_its_workers_from_the_zygote(zygote, workspace):
    events = ParentsRecorder()
    spec = tiny_spec(workspace, "zygote", "lr=1e-3:1e-1:log", trials=3, parallel=2)
    finished = SweepRunner(spec, events).run()

    assert finished.status == "finished" and finished.states == {"finished": 3}
    assert events.parents == {zygote.process.pid}
    workers = {e.pid for e in events.of(TrialStarted)}
    assert len(workers) == 2
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, "tags.`netyard.sweep` = 'zygote'")
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(children) == 3
    assert all(r.info.status == "FINISHED" for r in children)
    assert {int(r.data.tags["netyard.pid"]) for r in children} == workers  # trained there
    for pid in workers:  # ended with the sweep
        assert wait_for_exit(pid, timeout=30), f"worker {pid} outlived its sweep"


def test_a_forked_worker_takes_the_callers_environment_not_the_zygotes(
    zygote, tmp_path, monkeypatch
):
    # Set after the zygote started: a worker forked from it must still see it.
    monkeypatch.setenv("NETYARD_WORKSPACE", str(tmp_path / "later"))
    monkeypatch.chdir(tmp_path)
    config = {"plugin": "cnn", "dataset": "digits", "hparams": {**TINY_CNN, "steps": 2}}
    process, events = run_in_worker({**config, "threads": 1})

    assert isinstance(process, ForkedProcess)
    assert process.returncode == 0
    assert isinstance(events[-1], RunFinished)
    assert (tmp_path / "later" / "mlflow.db").is_file()  # the default workspace it was given


def test_a_plugin_installed_after_the_zygote_started_is_found(zygote, workspace, trap_plugin):
    events = ParentsRecorder()
    spec = tiny_spec(
        workspace,
        "zygote-trap",
        "lr=1e-3:1e-1:log",
        plugin=trap_plugin,
        fixed={"trap": "raise"},
        trials=1,
    )
    finished = SweepRunner(spec, events).run()

    assert finished.states == {"failed": 1}
    assert events.parents == {zygote.process.pid}
    (failed,) = events.of(TrialFailed)
    assert "the trap went off" in failed.reason  # the plugin loaded, then failed on purpose


def test_bad_input_and_a_kill_give_what_a_fresh_process_would(zygote, workspace):
    process, events = run_in_worker({"plugin": "no-such-plugin", "dataset": "digits"})
    assert isinstance(process, ForkedProcess)
    assert process.returncode == 0 and isinstance(events[0], UsageProblem)

    long_run = {
        "plugin": "cnn",
        "dataset": "digits",
        "hparams": {**TINY_CNN, "steps": 100_000},
        "workspace": str(workspace),
        "track": False,
    }
    process = start_process("engine.worker", {})
    assert parent_of(process.pid) == zygote.process.pid
    process.stdin.write(command("run", job=0, config=long_run) + "\n")
    process.stdin.flush()
    assert process.stdout.readline().startswith("{")  # it is training
    process.kill()
    assert process.wait(30) == -9
    process.kill()  # a second kill of an ended worker is harmless
    close_streams(process)


def test_gpu_workers_are_never_forked(zygote):
    process = start_process("engine.worker", {"CUDA_VISIBLE_DEVICES": ""})
    try:
        assert isinstance(process, subprocess.Popen)
    finally:
        process.kill()
        process.wait(60)
        close_streams(process)


def test_forked_workers_die_with_a_coordinator_killed_with_kill_9(zygote, workspace):
    # As in the app: the coordinator is another process that finds the zygote through
    # NETYARD_ZYGOTE; its workers are the zygote's children, so end of file on their
    # stdin (not a parent-death signal) is what must end them.
    command = tiny_cli_sweep("zygote-kill", 5000, 2, "--parallel", "2")
    coordinator = subprocess.Popen(
        [*command, "--workspace", str(workspace)], stdout=subprocess.PIPE, text=True
    )
    pids, parents = set(), set()
    try:
        for line in coordinator.stdout:
            event = json.loads(line)
            if event["kind"] == "trial_started":
                pids.add(event["pid"])
                parents.add(parent_of(event["pid"]))
            if len(pids) == 2:
                break
    finally:
        os.kill(coordinator.pid, signal.SIGKILL)
        coordinator.wait()
        coordinator.stdout.close()
    assert parents == {zygote.process.pid}
    for pid in pids:
        assert wait_for_exit(pid, timeout=60), f"worker {pid} outlived its coordinator"


def test_workers_end_with_the_zygote_and_later_ones_start_fresh(zygote, workspace):
    process = start_process("engine.worker", {}, new_session=True)
    assert isinstance(process, ForkedProcess)
    assert os.getsid(process.pid) == process.pid  # its own session, as asked
    stop_zygote()
    assert process.wait(30) is not None  # the parent-death signal ended it
    close_streams(process)
    fresh = start_process("engine.worker", {}, new_session=True)
    try:
        assert isinstance(fresh, subprocess.Popen)
    finally:
        fresh.kill()  # no need to wait for its imports
        fresh.wait(60)
        close_streams(fresh)
