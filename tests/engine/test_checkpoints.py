"""Checkpoints: resume continues exactly; anything but plain tensor data is refused."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from netyard_test_support import TINY_CNN, all_runs, step_losses, tracking_uri, without_status

from engine.cli import main
from engine.errors import UsageError
from engine.events import RunStarted, StepMetrics
from engine.runner import RunConfig, run
from engine.tracking import STEPS_TAG, RunRecord
from engine.training import load_checkpoint, save_checkpoint

N = 6


def config(workspace: Path, **changes) -> RunConfig:
    # Dropout on, so a resumed run only matches if the random-number state is restored too.
    values = {
        "plugin": "cnn",
        "dataset": "digits",
        "hparams": {**TINY_CNN, "dropout": 0.3, "steps": N},
        "seed": 5,
        "device": "cpu",
        "threads": 1,
        "workspace": str(workspace),
    }
    return RunConfig(**{**values, **changes})


def test_a_run_split_in_two_equals_one_run(tracked_workspace):
    first_events: list = []
    first = run(config(tracked_workspace), first_events.append)
    assert first.status == "finished" and first.step == N
    assert Path(first.checkpoint).is_file()
    saved = load_checkpoint(first.checkpoint)
    assert saved["step"] == N and saved["plugin"] == "cnn" and saved["dataset"] == "digits"
    assert saved["mlflow_run_id"] == first.run_id

    second_events: list = []
    second = run(
        config(tracked_workspace, resume=first.checkpoint, hparams={"steps": 2 * N}),
        second_events.append,
    )
    assert second.status == "finished" and second.step == 2 * N
    started = second_events[0]
    assert isinstance(started, RunStarted)
    assert started.start_step == N and started.total_steps == 2 * N
    first_step_metrics = next(e for e in second_events if isinstance(e, StepMetrics))
    assert first_step_metrics.steps[0] == N + 1

    whole_events: list = []
    whole = run(
        config(
            tracked_workspace, hparams={**TINY_CNN, "dropout": 0.3, "steps": 2 * N}, track=False
        ),
        whole_events.append,
    )
    split_curve = step_losses(first_events) + step_losses(second_events)
    assert [step for step, _ in split_curve] == list(range(1, 2 * N + 1))
    assert split_curve == step_losses(whole_events)
    assert second.metrics == whole.metrics
    resumed_model = load_checkpoint(second.checkpoint)["model"]
    whole_model = load_checkpoint(whole.checkpoint)["model"]
    for key, tensor in whole_model.items():
        assert torch.equal(resumed_model[key], tensor), key

    # The resumed run continued the same MLflow run, its history whole and without repeats.
    from mlflow.tracking import MlflowClient

    assert second.run_id == first.run_id
    assert len(all_runs(tracking_uri(tracked_workspace))) == 1
    client = MlflowClient(tracking_uri=tracking_uri(tracked_workspace))
    assert client.get_run(first.run_id).info.status == "FINISHED"
    history = client.get_metric_history(first.run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(1, 2 * N + 1))
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
        [value for _, value in split_curve]
    )
    # Its steps param says what it started with (MLflow params cannot change); the tables
    # and reports read the steps it was resumed to.
    stored = client.get_run(first.run_id)
    assert stored.data.params["steps"] == str(N) and stored.data.tags[STEPS_TAG] == str(2 * N)
    assert RunRecord.from_mlflow(stored, "cnn-digits").params["steps"] == str(2 * N)


def test_resume_refuses_what_does_not_fit(workspace):
    finished = run(config(workspace, track=False))
    with pytest.raises(UsageError, match=f"already at step {N}; give --steps above that"):
        run(config(workspace, resume=finished.checkpoint))
    with pytest.raises(UsageError, match="trained on dataset 'digits', not 'mnist1d'"):
        run(
            config(
                workspace, dataset="mnist1d", resume=finished.checkpoint, hparams={"steps": 2 * N}
            )
        )
    # --set on --resume: a changed hyperparameter is refused, the same value is not a change.
    changed = {"steps": 2 * N, "lr": 0.5, "channels": TINY_CNN["channels"]}
    with pytest.raises(UsageError, match=r"cannot change lr=0\.5 when resuming .*only steps"):
        run(config(workspace, resume=finished.checkpoint, hparams=changed))


def test_a_checkpoint_being_resumed_is_not_resumed_twice(workspace, capsys):
    import fcntl

    finished = run(config(workspace, track=False))
    again = config(workspace, resume=finished.checkpoint, hparams={"steps": 2 * N}, track=False)
    # What a first resume in another process holds while it trains.
    with open(Path(finished.checkpoint).with_name("resume.lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(UsageError, match="is already being resumed by another process"):
            run(again)
        argv = ["run", "cnn", "--dataset", "digits", "--resume", finished.checkpoint,
                "--steps", str(2 * N), "--workspace", str(workspace), "--no-track"]  # fmt: skip
        assert main(argv) == 2
        err = without_status(capsys.readouterr().err)
        assert "already being resumed" in err and err.count("\n") == 1
    assert run(again).step == 2 * N  # once that run has ended, it can be resumed


# -- what is refused ------------------------------------------------------------------------
def write_marker(path: str) -> None:
    """What the malicious payload runs when it is unpickled."""
    Path(path).write_text("the checkpoint ran code")


class Payload:
    """Pickles to a call of ``write_marker``: unpickling it runs code."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (write_marker, (self.marker,))


def test_a_pickle_payload_is_refused_without_running(tmp_path, workspace, capsys):
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.ckpt"
    torch.save({"format": "netyard-checkpoint", "version": 1, "model": Payload(marker)}, evil)
    with pytest.raises(UsageError) as refused:
        load_checkpoint(evil)
    message = str(refused.value)
    assert f"checkpoint {str(evil)!r} was refused" in message
    assert "write_marker" in message and "\n" not in message
    assert not marker.exists()

    # The same refusal through the command line: exit 2, nothing tracked, nothing run.
    code = main(
        ["run", "cnn", "--dataset", "digits", "--resume", str(evil), "--workspace", str(workspace)]
    )
    assert code == 2
    err = without_status(capsys.readouterr().err)
    assert err.startswith("netyard: error: checkpoint") and err.count("\n") == 1
    assert not marker.exists()
    assert not (workspace / "mlflow.db").exists()

    # The payload is real: unpickled the unsafe way, it does run.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(Payload(control)))
    assert control.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: torch.save({"weights": torch.zeros(3)}, p), "is not a Netyard checkpoint"),
        (lambda p: torch.save([torch.zeros(3)], p), "is not a Netyard checkpoint"),
        (
            lambda p: torch.save({"format": "netyard-checkpoint", "version": 99}, p),
            "has format version 99; this Netyard reads version 1",
        ),
        (lambda p: p.write_text("step: 10\nmodel: weights.bin\n"), "is not a readable checkpoint"),
        (lambda p: p.write_bytes(b""), "is not a readable checkpoint"),
        (lambda p: p.mkdir(), "does not exist or is not a file"),
        (lambda p: None, "does not exist or is not a file"),
    ],
    ids=["foreign-dict", "foreign-list", "version", "text", "empty", "directory", "missing"],
)
def test_files_that_are_not_checkpoints(tmp_path, make, message):
    path = tmp_path / "file.ckpt"
    make(path)
    with pytest.raises(UsageError) as refused:
        load_checkpoint(path)
    assert str(refused.value).startswith(f"checkpoint {str(path)!r} ")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


# Resumes each file named on the command line in turn, as `netyard run --resume`, with every
# warning shown (-W always); a line "--" on stderr between them.
RESUME_EACH = """
import sys
from engine.cli import main
workspace, *files = sys.argv[1:]
for path in files:
    code = main(["run", "cnn", "--dataset", "digits", "--resume", path, "--workspace", workspace])
    print(code, flush=True)
    print("--", file=sys.stderr, flush=True)
"""


def test_a_foreign_pickle_or_torchscript_file_prints_only_netyards_line(tmp_path):
    """torch warns before it refuses a pickle of another protocol or a TorchScript archive
    ("Detected pickle protocol 4 ...", "'torch.load' received a zip file that looks like a
    TorchScript archive ..."): the user sees Netyard's one line and nothing else."""
    import subprocess
    import sys

    plain_pickle = tmp_path / "plain.ckpt"
    plain_pickle.write_bytes(pickle.dumps({"step": 3, "model": {}}, protocol=4))
    torchscript = tmp_path / "scripted.ckpt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), torchscript)
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", RESUME_EACH, str(tmp_path / "ws"),
         str(plain_pickle), str(torchscript)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.stdout.split() == ["2", "2"], done.stderr
    outputs = [without_status(err) for err in done.stderr.split("--\n")[:2]]
    for path, err in zip((plain_pickle, torchscript), outputs, strict=True):
        assert err.startswith(f"netyard: error: checkpoint {str(path)!r} "), err
        assert err.count("\n") == 1, err
    assert "TorchScript" in outputs[1]


def test_a_truncated_checkpoint(tmp_path):
    whole = save_checkpoint({"step": 3, "model": {"w": torch.randn(2000)}}, tmp_path / "a.ckpt")
    assert load_checkpoint(whole)["step"] == 3
    data = whole.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        truncated = tmp_path / f"cut{cut}.ckpt"
        truncated.write_bytes(data[:cut])
        with pytest.raises(UsageError, match="is not a readable checkpoint"):
            load_checkpoint(truncated)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "deep" / "last.ckpt"
    save_checkpoint({"step": 1}, path)
    save_checkpoint({"step": 2}, path)
    assert load_checkpoint(path)["step"] == 2
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]
