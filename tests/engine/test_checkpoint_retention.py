"""Checkpoint retention: a run keeps its last checkpoint (the last N with keep_checkpoints)
and its best evaluation's, as hard links where they are one step; an ended trial keeps only
what it needs (``beyond_retention``)."""

from __future__ import annotations

import torch
from netyard_test_support import TINY_CNN

from engine.checkpoint_files import BEST, LAST, beyond_retention, file_identity
from engine.runner import RunConfig, run
from engine.training import load_checkpoint
from engine.training._checkpoint import CheckpointFolder


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_folder_keeps_the_last_n_and_the_best(tmp_path):
    folder = CheckpointFolder(tmp_path / "run" / LAST, keep=3)
    for step in (10, 20, 30, 40, 50):
        folder.save({"step": step, "w": torch.zeros(4)}, step, best=step == 20)
    run_folder = tmp_path / "run"
    assert _names(run_folder) == [BEST, LAST, "step_000000030.ckpt", "step_000000040.ckpt"]
    assert load_checkpoint(run_folder / LAST)["step"] == 50
    assert load_checkpoint(run_folder / BEST)["step"] == 20
    # Ended as a finished trial: its best only; as a pruned one: its last only.
    assert _names(run_folder) == sorted(
        {*(p.name for p in beyond_retention(run_folder, 3, only=BEST)), BEST}
    )
    assert [p.name for p in beyond_retention(run_folder, 3, only=LAST)] == [
        BEST, "step_000000030.ckpt", "step_000000040.ckpt",
    ]  # fmt: skip
    assert [p.name for p in beyond_retention(run_folder, 1)] == [
        "step_000000030.ckpt", "step_000000040.ckpt",
    ]  # fmt: skip


def test_a_run_keeps_its_last_and_its_best_by_default(workspace):
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": 6, "eval_every": 1, "checkpoint_every": 1},
        device="cpu",
        threads=1,
        workspace=str(workspace),
        track=False,
    )
    outcome = run(config)
    folder = (workspace / "checkpoints").iterdir().__next__()
    assert _names(folder) == [BEST, LAST]
    last, best = load_checkpoint(folder / LAST), load_checkpoint(folder / BEST)
    assert last["step"] == outcome.step == 6
    assert (
        best["step"] == best["early_stopping"]["best_step"] == last["early_stopping"]["best_step"]
    )
    # One file where the best is the last: no step is written twice.
    same = file_identity(folder / LAST) == file_identity(folder / BEST)
    assert same == (best["step"] == 6)
