"""``netyard gc``: reports the checkpoints' disk use per experiment and sweep; ``--dry-run``
lists what no run needs without deleting it; without it, frees exactly that."""

from __future__ import annotations

from netyard_test_support import TINY_CNN, netyard_here, tracking_uri

from engine.runner import RunConfig, run
from engine.tracking import open_client


def test_gc_on_an_empty_workspace_says_so(workspace, capsys):
    assert netyard_here("gc", "--workspace", str(workspace)) == 0
    assert "No checkpoints in workspace" in capsys.readouterr().out


def test_gc_dry_run_lists_and_gc_frees_what_no_run_needs(tracked_workspace, capsys):
    workspace = tracked_workspace
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": 4, "eval_every": 1, "checkpoint_every": 1},
        device="cpu",
        threads=1,
        workspace=str(workspace),
        experiment="kept",
        log_model=False,
    )
    kept = run(config)
    folder = workspace / "checkpoints" / kept.run_id
    needed = sorted(p.name for p in folder.iterdir())
    # Beyond its keep_checkpoints=1: an earlier checkpoint; and a copy a killed process left.
    (folder / "step_000000002.ckpt").write_bytes(b"x" * 3000)
    (folder / ".last.ckpt.partial-999999999-abcd").write_bytes(b"x" * 2000)
    # A run deleted in MLflow (in its bin): its whole folder goes.
    client = open_client(tracking_uri(workspace))
    deleted = client.create_run(client.get_experiment_by_name("kept").experiment_id)
    client.set_terminated(deleted.info.run_id)
    client.delete_run(deleted.info.run_id)
    (workspace / "checkpoints" / deleted.info.run_id).mkdir()
    (workspace / "checkpoints" / deleted.info.run_id / "last.ckpt").write_bytes(b"x" * 5000)

    assert netyard_here("gc", "--dry-run", "--workspace", str(workspace)) == 0
    out = capsys.readouterr().out
    assert "(deleted runs)" in out and "kept" in out
    assert "step_000000002.ckpt  (beyond keep_checkpoints=1)" in out
    assert ".last.ckpt.partial-999999999-abcd  (half-written)" in out
    assert f"{deleted.info.run_id}/last.ckpt  (run deleted)" in out
    assert "Would free 10.0 kB (3 files)" in out
    assert (folder / "step_000000002.ckpt").exists()

    assert netyard_here("gc", "--workspace", str(workspace)) == 0
    assert "Freed 10.0 kB (3 files)." in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == needed
    assert not (workspace / "checkpoints" / deleted.info.run_id).exists()
    assert netyard_here("gc", "--workspace", str(workspace)) == 0
    assert "Nothing to free" in capsys.readouterr().out
