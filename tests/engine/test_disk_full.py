"""A full disk while writing a checkpoint: one clear error naming the folder and the size
needed, the previous checkpoint intact, no temporary file left. On a real, small tmpfs (root
mounts it, as in CI; elsewhere the test is skipped)."""

from __future__ import annotations

import os
import subprocess

import pytest
import torch

from engine.errors import NoSpaceLeft
from engine.training import load_checkpoint, save_checkpoint


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_a_checkpoint_that_does_not_fit_keeps_the_previous_one(small_disk):
    path = small_disk / "checkpoints" / "run.pt"
    save_checkpoint({"step": 1, "model": {"w": torch.zeros(10)}}, path)
    # Fill the disk but for a little room: the next checkpoint (~1.2 MB) cannot fit.
    filler = small_disk / "filler"
    with open(filler, "wb") as stream:
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        stream.write(b"\0" * max(0, free - 64 * 1024))

    with pytest.raises(NoSpaceLeft) as raised:
        save_checkpoint({"step": 2, "model": {"w": torch.zeros(300_000)}}, path)
    assert str(raised.value) == f"no space left on {path.parent} (need ~1 MB)"
    assert load_checkpoint(path)["step"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.pt"]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_run_or_sweep_on_a_full_disk_says_so_and_writes_nothing(small_disk, command):
    from tests.sweeps.conftest import netyard

    workspace = small_disk / "workspace"
    args = ["cnn", "--dataset", "digits", "--workspace", str(workspace), "--set", "steps=2"]
    if command == "sweep":
        args += ["--search", "lr=1e-3:1e-1:log", "--trials", "1"]
    done = subprocess.run(netyard(command, *args), capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stderr == f"netyard: error: no space left on {workspace} (need ~20 MB)\n"
    assert not any(p.is_file() for p in workspace.rglob("*"))  # no store, no journal
