"""A run's MLflow Model is whole or absent (issue 23, section 4), and a run whose training
finished always gets it: a real ``kill -9`` of ``netyard run`` the moment its model starts to
appear, then ``netyard run --resume``; a run whose model lost its weights, then ``netyard
register``. Models are loaded back by ``mlflow.pyfunc.load_model`` in fresh processes; the
commands after the kill run in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import netyard_here, wait_while_running

from tests.sweeps.conftest import netyard

TINY_RUN = ["cnn", "--dataset", "digits", "--set", "channels=4", "--set", "depth=1"]

LOAD = """
import sys
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(sys.argv[2])
print(model.predict(model.input_example).shape)
"""


def loads_in_a_fresh_process(tracking: str, model_uri: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LOAD, tracking, model_uri],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def kill_when_the_model_appears(command: list[str], artifacts: Path) -> tuple[Path, str]:
    """Start ``command`` in a session of its own and SIGKILL the whole of it as soon as its
    run's artifact folder holds anything named for the model (``model`` or a hidden copy
    of it); the run's artifact folder and what it held at the kill."""
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        # The run logs requirements.txt as it starts: its artifact folder appears.
        wait_while_running(
            lambda: any(artifacts.glob("*/*/artifacts")), process, "a run folder", every=0.01
        )
        run_folder = next(artifacts.glob("*/*/artifacts"))
        seen: list[str] = []
        while not any(name == "model" or name.startswith(".model") for name in seen):
            assert process.poll() is None, "the run ended before its model was seen"
            seen = os.listdir(run_folder)
        os.killpg(process.pid, signal.SIGKILL)
        return run_folder, ", ".join(sorted(seen))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        process.stderr.close()


def test_a_run_killed_while_it_saves_its_model_has_none_and_resume_finishes_it(workspace, capsys):
    tracking = f"sqlite:///{workspace / 'mlflow.db'}"
    run_folder, seen = kill_when_the_model_appears(
        netyard("run", *TINY_RUN, "--steps", "6", "--workspace", str(workspace)),
        workspace / "artifacts",
    )
    run_id = run_folder.parent.name
    model = run_folder / "model"
    if model.exists():  # killed after the rename: then it is whole
        done = loads_in_a_fresh_process(tracking, str(model))
        assert done.returncode == 0, (seen, done.stderr[-3000:])

    capsys.readouterr()
    code = netyard_here("register", run_id, "--name", "early", "--workspace", str(workspace))
    assert code == 2
    assert "its training finished but it stopped while saving its model" in capsys.readouterr().err

    checkpoint = workspace / "checkpoints" / run_id / "last.ckpt"
    resume = ["run", *TINY_RUN, "--resume", str(checkpoint), "--workspace", str(workspace)]
    code = netyard_here(*resume)
    resumed = capsys.readouterr()
    assert code == 0, resumed.out[-2000:] + resumed.err[-2000:]
    assert "saving it from the checkpoint" in resumed.out
    assert "Status: FINISHED at step 6" in resumed.out
    run = MlflowClient(tracking).get_run(run_id)
    assert run.info.status == "FINISHED"
    assert "netyard.error" not in run.data.tags
    assert {"test_accuracy", "val_accuracy"} <= set(run.data.metrics)
    done = loads_in_a_fresh_process(tracking, f"runs:/{run_id}/model")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not [p.name for p in run_folder.iterdir() if p.name.startswith(".")]  # no leftovers

    assert netyard_here(*resume) == 2  # a finished run with its model: nothing more to do
    assert "is already at step 6; give --steps above that" in capsys.readouterr().err


def test_register_rebuilds_a_model_that_lost_its_weights(workspace, capsys):
    import mlflow

    from engine.models import has_mlflow_model
    from engine.runner import RunConfig, run

    outcome = run(RunConfig(plugin="cnn", dataset="digits", device="cpu", threads=1,
                            hparams={"channels": 4, "depth": 1, "steps": 3},
                            workspace=str(workspace)))  # fmt: skip
    tracking = f"sqlite:///{workspace / 'mlflow.db'}"
    client = MlflowClient(tracking)
    assert has_mlflow_model(client, outcome.run_id)
    # What a copy cut short by a kill left before models were published whole.
    artifacts = Path(client.get_run(outcome.run_id).info.artifact_uri.removeprefix("file://"))
    (artifacts / "model" / "artifacts" / "model.safetensors").unlink()
    assert not has_mlflow_model(client, outcome.run_id)
    with pytest.raises(Exception, match="model.safetensors"):  # here: it fails wherever it loads
        mlflow.pyfunc.load_model(str(artifacts / "model"))

    code = netyard_here(
        "register", outcome.run_id, "--name", "mended", "--workspace", str(workspace)
    )
    assert code == 0, capsys.readouterr().err[-2000:]
    assert has_mlflow_model(client, outcome.run_id)
    loaded = loads_in_a_fresh_process(tracking, "models:/mended/1")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert not [p.name for p in artifacts.iterdir() if p.name.startswith(".")]
