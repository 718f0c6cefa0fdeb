"""`netyard run` in a real process ended by a signal. SIGTERM or SIGHUP (a closed terminal):
it stops after the current step, writes a checkpoint and marks its MLflow run KILLED, exit 130.
SIGKILL of the whole group: the resumed run does not log the replayed steps twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here

from tests.sweeps.conftest import netyard

TINY = ("--set", "channels=4", "--set", "depth=2", "--set", "batch_size=16")


def cpu_run_args(workspace: Path, steps: int, *extra: str) -> list[str]:
    return [
        "run", "cnn", "--dataset", "digits", "--steps", str(steps), "--device", "cpu",
        "--threads", "1", "--workspace", str(workspace), *extra,
    ]  # fmt: skip


def cpu_run(workspace: Path, steps: int, *extra: str) -> list[str]:
    """The command line of ``netyard run`` (see ``cpu_run_args``) for a process of its own."""
    return netyard(*cpu_run_args(workspace, steps, *extra))


def start_long_run(workspace: Path, *extra: str, **popen) -> tuple[subprocess.Popen, str]:
    """A tiny CNN run of a million steps, started and past creating its MLflow run."""
    process = subprocess.Popen(
        cpu_run(workspace, 1_000_000, *TINY, *extra), stderr=subprocess.PIPE, text=True, **popen
    )
    seen = []
    for _ in range(20):  # MLflow's own log lines come first on a new store
        seen.append(process.stderr.readline())
        match = re.search(r"\(run ([0-9a-f]{32})\)", seen[-1])
        if match:
            return process, match.group(1)
    process.kill()
    raise AssertionError("".join(seen))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_run_with_a_checkpoint(tracked_workspace, signum):
    process, run_id = start_long_run(tracked_workspace, stdout=subprocess.PIPE)
    try:
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "stopping after this step" in err
    run = MlflowClient(f"sqlite:///{tracked_workspace / 'mlflow.db'}").get_run(run_id)
    assert run.info.status == "KILLED"
    checkpoint = Path(run.data.tags["netyard.checkpoint"])
    assert checkpoint.is_file() and checkpoint.is_relative_to(tracked_workspace)


def test_a_run_killed_after_its_checkpoint_resumes_without_repeating_steps(
    tracked_workspace, zygote, capsys
):
    """kill -9 of the whole process group (the metric writer too) after steps beyond the last
    checkpoint reached MLflow: the resumed run replays those steps but logs each step once.

    The run is a worker job (forked from the zygote, in a session of its own), so its events
    (steps every 0.2 s, checkpoints) pace the wait; ``netyard run --resume`` runs here."""
    import queue

    from engine.events import Checkpointed, RunStarted
    from engine.tracking._writer import logged_steps
    from engine.training import load_checkpoint
    from engine.worker import ProcessExited, Worker

    def logged_step(client, run_id) -> int:
        return logged_steps(client, client.get_run(run_id)).get("train_loss", -1)

    events: queue.Queue = queue.Queue()
    worker = Worker({}, events.put, events.put, new_session=True)
    hparams = {"channels": 4, "depth": 2, "batch_size": 16, "checkpoint_every": 300}
    config = {
        "plugin": "cnn", "dataset": "digits", "hparams": {**hparams, "steps": 1_000_000},
        "device": "cpu", "threads": 1, "workspace": str(tracked_workspace),
    }  # fmt: skip
    client = MlflowClient(f"sqlite:///{tracked_workspace / 'mlflow.db'}")
    run_id, checkpointed = None, None
    try:
        worker.start_job(0, config)
        while True:  # until logged steps run past the last checkpoint
            event = events.get(timeout=120)
            assert not isinstance(event, ProcessExited), event.stderr_tail
            if isinstance(event, RunStarted):
                run_id = event.run_id
            elif isinstance(event, Checkpointed):
                checkpointed = event
            if checkpointed is None or logged_step(client, run_id) <= checkpointed.step:
                continue
            # The events lag behind the training: freeze it and look at the files themselves.
            os.killpg(worker.pid, signal.SIGSTOP)
            saved = load_checkpoint(checkpointed.path)["step"]
            try:
                logged = logged_step(client, run_id)
            except MlflowException:  # frozen inside a write: the store is locked; try again
                os.killpg(worker.pid, signal.SIGCONT)
                continue
            if saved < logged:
                break
            os.killpg(worker.pid, signal.SIGCONT)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.kill()
    checkpoint = checkpointed.path
    assert saved < logged, (saved, logged)  # the kill left steps after the checkpoint

    code = netyard_here(*cpu_run_args(tracked_workspace, logged + 50, "--resume", str(checkpoint)))
    assert code == 0, capsys.readouterr().err[-2000:]
    finished = client.get_run(run_id)
    assert finished.info.status == "FINISHED"
    for key in finished.data.metrics:
        steps = [m.step for m in client.get_metric_history(run_id, key)]
        assert len(steps) == len(set(steps)), f"{key} repeats steps"
    steps = sorted(m.step for m in client.get_metric_history(run_id, "train_loss"))
    assert steps == list(range(1, logged + 51))


def test_a_cli_run_on_a_new_store_prints_no_mlflow_info_lines(tmp_path):
    done = subprocess.run(cpu_run(tmp_path, 3, *TINY), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "mlflow.db").is_file()  # the store was created by this run
    assert "INFO mlflow" not in done.stderr and "Creating initial" not in done.stderr
    assert "Training cnn on digits" in done.stderr
