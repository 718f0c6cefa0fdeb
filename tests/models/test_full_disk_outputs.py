"""``netyard export``, ``report`` and ``predict --out`` onto a full disk (issue 23, section 1):
one line naming the folder, exit 3, and no file, whole or partial, left there. On a real,
small tmpfs filled up (root mounts it, as in CI; elsewhere the tests are skipped). Exports
run in processes of their own: torch's writers used to abort the process (exit 134)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
from netyard_test_support import fill_disk, without_status

from engine.cli import main


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> tuple[str, str]:
    """A tiny finished CNN run: its workspace and run id."""
    from engine.runner import RunConfig, run

    workspace = str(tmp_path_factory.mktemp("full-disk-ws"))
    outcome = run(RunConfig(plugin="cnn", dataset="digits", device="cpu", threads=1,
                            hparams={"channels": 4, "depth": 1, "steps": 3},
                            workspace=workspace))  # fmt: skip
    assert outcome.status == "finished", outcome.error
    return workspace, outcome.run_id


@pytest.fixture
def full_disk(small_disk):
    """The small tmpfs with not a byte left."""
    fill_disk(small_disk)
    return small_disk


def in_process(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


def assert_said_and_left_nothing(code: int, stderr: str, disk) -> None:
    stderr = without_status(stderr)
    assert code == 3, stderr[-3000:]
    assert stderr.startswith(f"netyard: error: no space left on {disk} (need ~"), stderr
    assert stderr.count("\n") == 1, stderr
    assert [p.name for p in disk.iterdir()] == ["filler"]


# Exports each format in turn, as `netyard export` would, in one process (its imports paid
# once): the exit status of each on stdout, what each printed on stderr followed by "--".
EXPORT_EACH = """
import sys
from engine.cli import main
workspace, run_id, folder = sys.argv[1:]
for fmt in ("onnx", "torchscript", "safetensors"):
    out = f"{folder}/cnn.{fmt}"
    print(main(["export", run_id, "--format", fmt, "--out", out, "--workspace", workspace]))
    print("--", file=sys.stderr, flush=True)
"""


def test_exports_onto_a_full_disk(finished_run, full_disk):
    workspace, run_id = finished_run
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_EACH, workspace, run_id, str(full_disk)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]  # not 134: torch aborted the process
    said = done.stderr.split("--\n")
    for code, stderr in zip(done.stdout.split(), said, strict=False):
        assert_said_and_left_nothing(int(code), stderr, full_disk)
    assert len(done.stdout.split()) == len(said) - 1 == 3


@pytest.mark.parametrize("suffix", [".html", ".csv"])
def test_a_report_onto_a_full_disk(finished_run, full_disk, suffix):
    workspace, run_id = finished_run
    out = full_disk / f"report{suffix}"
    code, stderr = in_process("report", run_id, "--out", str(out), "--workspace", workspace)
    assert_said_and_left_nothing(code, stderr, full_disk)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_predictions_onto_a_full_disk(finished_run, full_disk, tmp_path, suffix):
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    workspace, run_id = finished_run
    image = tmp_path / "digit.png"
    Image.fromarray((load_digits().images[0] * 16).clip(0, 255).astype(np.uint8)).save(image)
    out = full_disk / f"labels{suffix}"
    code, stderr = in_process(
        "predict", run_id, "--input", str(image), "--out", str(out), "--workspace", workspace
    )
    assert_said_and_left_nothing(code, stderr, full_disk)
