"""`netyard run` in a real process ended by SIGTERM or SIGHUP (a closed terminal): it stops
after the current step, writes a checkpoint and marks its MLflow run KILLED, exit 130."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.sweeps.conftest import netyard


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_run_with_a_checkpoint(tmp_path, signum):
    process = subprocess.Popen(
        netyard(
            "run",
            "cnn",
            "--dataset",
            "digits",
            "--steps",
            "1000000",
            "--device",
            "cpu",
            "--threads",
            "1",
            "--workspace",
            str(tmp_path),
            "--set",
            "channels=4",
            "--set",
            "depth=2",
            "--set",
            "batch_size=16",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for _ in range(20):  # MLflow's own log lines come first on a new store
            seen.append(process.stderr.readline())
            match = re.search(r"\(run ([0-9a-f]{32})\)", seen[-1])
            if match:
                break
        assert match, "".join(seen)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "stopping after this step" in err
    run = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(match.group(1))
    assert run.info.status == "KILLED"
    checkpoint = Path(run.data.tags["netyard.checkpoint"])
    assert checkpoint.is_file() and checkpoint.is_relative_to(tmp_path)
