"""The status bar's checkpoint disk use: counted off the GUI thread, each file once."""

from __future__ import annotations

import os

from app._checkpoint_use import CheckpointUseLabel


def test_the_label_shows_the_checkpoints_disk_use(qtbot, tmp_path):
    run = tmp_path / "checkpoints" / "run1"
    run.mkdir(parents=True)
    (run / "last.ckpt").write_bytes(b"x" * 1500)
    os.link(run / "last.ckpt", run / "best.ckpt")  # the best is the last: counted once
    (run / "step_000000002.ckpt").write_bytes(b"x" * 500)
    label = CheckpointUseLabel()
    qtbot.addWidget(label)
    label.refresh(tmp_path / "checkpoints")
    qtbot.waitUntil(lambda: label.text() == "Checkpoints: 2.0 kB")
    assert label.toolTip().startswith("2 checkpoint files in ")
    label.refresh(tmp_path / "none")  # a workspace that never saved one
    qtbot.waitUntil(lambda: label.text() == "Checkpoints: 0 B")
