"""Files and folders written whole or not at all, on a real, small and full tmpfs: what was
there stays, no temporary copy is left, and the error names the folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from netyard_test_support import fill_disk

from engine.atomic_files import publish_folder, write_atomically
from engine.errors import NoSpaceLeft


def test_a_file_that_does_not_fit_leaves_the_old_one_and_no_partial(small_disk):
    target = small_disk / "report.csv"
    write_atomically(target, "old\n")
    fill_disk(small_disk, 64 * 1024)
    with pytest.raises(NoSpaceLeft) as raised:
        write_atomically(target, b"x" * 300_000)
    assert str(raised.value) == f"no space left on {small_disk} (need ~1 MB)"
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report.csv"]


def test_a_file_is_written_with_the_usual_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "out.json", "{}")
    finally:
        os.umask(previous)
    assert path.read_text() == "{}" and oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_folder_that_does_not_fit_leaves_the_old_one_and_no_partial(small_disk, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, size in ((old, 1000), (new, 300_000)):
        (folder / "artifacts").mkdir(parents=True)
        (folder / "MLmodel").write_text(folder.name)
        (folder / "artifacts" / "weights").write_bytes(b"w" * size)
    destination = small_disk / "run" / "model"
    publish_folder(old, destination)
    fill_disk(small_disk, 64 * 1024)

    with pytest.raises(NoSpaceLeft, match=f"^no space left on {destination.parent} "):
        publish_folder(new, destination)
    assert (destination / "MLmodel").read_text() == "old"
    assert (destination / "artifacts" / "weights").stat().st_size == 1000
    assert [p.name for p in destination.parent.iterdir()] == ["model"]

    (small_disk / "filler").unlink()
    publish_folder(new, destination)
    assert (destination / "MLmodel").read_text() == "new"
    assert [p.name for p in destination.parent.iterdir()] == ["model"]


def test_leftovers_of_a_killed_publication_are_removed(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "MLmodel").write_text("whole")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    leftover = tmp_path / "run" / f".model.partial-{dead}-0000"
    leftover.mkdir(parents=True)
    (leftover / "MLmodel").write_text("half")
    publish_folder(source, tmp_path / "run" / "model")
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["model"]
