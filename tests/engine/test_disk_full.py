"""A full disk while writing a checkpoint: one clear error naming the folder and the size
needed, the previous checkpoint intact, no temporary file left. On a real, small tmpfs (root
mounts it, as in CI; elsewhere the test is skipped)."""

from __future__ import annotations

import subprocess

import pytest
import torch
from netyard_test_support import fill_disk, netyard_here, wait_while_running, without_status

from engine.errors import NoSpaceLeft
from engine.training import load_checkpoint, save_checkpoint


def test_a_checkpoint_that_does_not_fit_keeps_the_previous_one(small_disk):
    path = small_disk / "checkpoints" / "run.pt"
    save_checkpoint({"step": 1, "model": {"w": torch.zeros(10)}}, path)
    # Fill the disk but for a little room: the next checkpoint (~1.2 MB) cannot fit.
    fill_disk(small_disk, 64 * 1024)

    with pytest.raises(NoSpaceLeft) as raised:
        save_checkpoint({"step": 2, "model": {"w": torch.zeros(300_000)}}, path)
    assert str(raised.value) == f"no space left on {path.parent} (need ~1 MB)"
    assert load_checkpoint(path)["step"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.pt"]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_run_or_sweep_on_a_full_disk_says_so_and_writes_nothing(small_disk, command, capsys):
    workspace = small_disk / "workspace"
    args = ["cnn", "--dataset", "digits", "--workspace", str(workspace), "--set", "steps=2"]
    if command == "sweep":
        args += ["--search", "lr=1e-3:1e-1:log", "--trials", "1"]
    code = netyard_here(command, *args)
    err = without_status(capsys.readouterr().err)
    assert code == 3, err[-2000:]
    assert err == f"netyard: error: no space left on {workspace} (need ~20 MB)\n"
    assert not any(p.is_file() for p in workspace.rglob("*"))  # no store, no journal


def test_a_journal_append_on_a_full_disk_leaves_no_partial_record(small_disk):
    import optuna

    from engine.sweeps import open_storage

    journal = small_disk / "optuna.journal"
    study = optuna.create_study(study_name="s", storage=open_storage(f"journal:{journal}"))
    before = journal.read_bytes()
    fill_disk(small_disk)
    with pytest.raises(NoSpaceLeft, match=f"^no space left on {small_disk}$"):
        study.set_user_attr("notes", "x" * 20_000)  # more than the last page holds
    assert journal.read_bytes() == before
    (small_disk / "filler").unlink()
    study.set_user_attr("notes", "fits now")
    plain = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    assert optuna.load_study(study_name="s", storage=plain).user_attrs == {"notes": "fits now"}


def _has_metrics(store) -> bool:
    """Whether a run (or a trial) has logged metrics to the store: training is under way."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            return bool(db.execute("SELECT count(*) FROM metrics").fetchone()[0])
    except sqlite3.OperationalError:  # not created or migrated yet
        return False


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_disk_that_fills_during_a_run_or_sweep_ends_it_failed_with_exit_3(
    disk_for_a_run, command, zygote, capsys
):
    """Another program fills the disk while a run (or a sweep's trials) trains: one line
    naming the folder, exit 3, the runs (and the trials) FAILED with that reason, and once
    the disk has room the same sweep goes on from a readable journal. (The sweep's workers
    fork from the zygote, as in the app.)"""
    from mlflow import MlflowClient

    from tests.sweeps.conftest import netyard

    workspace = disk_for_a_run / "ws"
    args = ["cnn", "--dataset", "digits", "--workspace", str(workspace), "--set", "channels=4"]
    args += ["--set", "depth=1", "--set", "patience=0", "--set", "eval_every=20"]
    if command == "sweep":
        args += ["--search", "lr=1e-3:1e-1:log", "--trials", "2", "--parallel", "2"]
        args += ["--name", "full"]
    process = subprocess.Popen(
        netyard(command, *args, "--steps", "100000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_while_running(lambda: _has_metrics(workspace / "mlflow.db"), process, "metrics", 120)
    fill_disk(disk_for_a_run)
    out, err = process.communicate(timeout=120)
    # The folder named is the workspace, or (a sweep's trials checkpoint at every evaluation)
    # the trial's checkpoint folder in it, whichever write met the full disk first.
    reason = f"no space left on {workspace}"
    assert process.returncode == 3, err[-3000:]
    assert "Traceback" not in err + out
    if command == "sweep":
        last = err.splitlines()[-1]
        assert last.startswith(f"netyard: error: {reason}") and "\n" not in last
    else:
        assert f"Error: {reason}\n" in out
    client = MlflowClient(f"sqlite:///{workspace / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert runs and {r.info.status for r in runs} == {"FAILED"}
    assert all(r.data.tags.get("netyard.error", "").startswith(reason) for r in runs)
    if command == "sweep":
        import optuna

        from engine.sweeps import open_storage

        (disk_for_a_run / "filler").unlink()
        study = optuna.load_study(
            study_name="full", storage=open_storage(f"journal:{workspace / 'optuna.journal'}")
        )
        assert {t.state.name for t in study.trials} == {"FAIL"}
        assert all(t.user_attrs["netyard.fail_reason"].startswith(reason) for t in study.trials)
        capsys.readouterr()
        again = netyard_here("sweep", *args, "--steps", "30")
        err = capsys.readouterr().err
        assert again == 0, err[-3000:]
        # The full disk used none of the budget: two new trials complete beside the two FAIL.
        assert "finished in" in err and ": 2 failed, 2 finished" in err
