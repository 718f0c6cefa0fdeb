"""`netyard run` in a real process ended by a signal. SIGTERM or SIGHUP (a closed terminal):
it stops after the current step, writes a checkpoint and marks its MLflow run KILLED, exit 130.
SIGKILL of the whole group: the resumed run does not log the replayed steps twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.sweeps.conftest import netyard

TINY = ("--set", "channels=4", "--set", "depth=2", "--set", "batch_size=16")


def cpu_run(workspace: Path, steps: int, *extra: str) -> list[str]:
    return netyard(
        "run", "cnn", "--dataset", "digits", "--steps", str(steps), "--device", "cpu",
        "--threads", "1", "--workspace", str(workspace), *extra,
    )  # fmt: skip


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
def test_a_signal_stops_a_run_with_a_checkpoint(tmp_path, signum):
    process, run_id = start_long_run(tmp_path, stdout=subprocess.PIPE)
    try:
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "stopping after this step" in err
    run = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(run_id)
    assert run.info.status == "KILLED"
    checkpoint = Path(run.data.tags["netyard.checkpoint"])
    assert checkpoint.is_file() and checkpoint.is_relative_to(tmp_path)


def test_a_run_killed_after_its_checkpoint_resumes_without_repeating_steps(tmp_path):
    """kill -9 of the whole process group (the metric writer too) after steps beyond the last
    checkpoint reached MLflow: the resumed run replays those steps but logs each step once."""
    from engine.tracking._writer import LOGGED_STEP_TAG
    from engine.training import load_checkpoint

    process, run_id = start_long_run(
        tmp_path, "--set", "checkpoint_every=300", stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    checkpoint = tmp_path / "checkpoints" / run_id / "last.ckpt"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until logged steps run past the checkpoint
            logged = int(client.get_run(run_id).data.tags.get(LOGGED_STEP_TAG, -1))
            if checkpoint.is_file() and logged > load_checkpoint(checkpoint)["step"]:
                break
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    saved = load_checkpoint(checkpoint)["step"]
    logged = int(client.get_run(run_id).data.tags[LOGGED_STEP_TAG])
    assert saved < logged, (saved, logged)  # the kill left steps after the checkpoint

    resumed = subprocess.run(
        cpu_run(tmp_path, logged + 50, "--resume", str(checkpoint)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    finished = client.get_run(run_id)
    assert finished.info.status == "FINISHED"
    for key in finished.data.metrics:
        steps = [m.step for m in client.get_metric_history(run_id, key)]
        assert len(steps) == len(set(steps)), f"{key} repeats steps"
    steps = sorted(m.step for m in client.get_metric_history(run_id, "train_loss"))
    assert steps == list(range(1, logged + 51))
