"""A journal record torn by a failed write (a full disk, a crash) never makes a study
unreadable: it is cut off when the journal is opened, with one line saying what was dropped,
and later appends never land after half a record. Read back with plain Optuna."""

from __future__ import annotations

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage

from engine.sweeps import open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _objective(trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def _plain_trials(path) -> list[tuple[int, str]]:
    """The study as Optuna alone reads the file, Netyard's repair left out."""
    study = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    return [(trial.number, trial.state.name) for trial in study.trials]


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "optuna.journal"
    study = optuna.create_study(study_name="s", storage=open_storage(f"journal:{path}"))
    study.optimize(_objective, n_trials=3)
    return path


def test_a_torn_record_glued_to_a_later_append_is_dropped_and_the_rest_kept(journal, capfd):
    # What an older Netyard left: the last record torn by a full disk, then a resumed sweep's
    # records appended right after it, on the same line.
    data = journal.read_bytes()
    journal.write_bytes(data[:-40])
    glued = optuna.load_study(
        study_name="s", storage=JournalStorage(JournalFileBackend(str(journal)))
    )
    with pytest.raises(Exception):  # noqa: B017 - Optuna fails as it reads its own append back
        glued.optimize(_objective, n_trials=1)
    _append_one_more(journal)
    with pytest.raises(ValueError):  # every reader fails from now on: the data loss
        _plain_trials(journal)

    study = optuna.load_study(study_name="s", storage=open_storage(f"journal:{journal}"))
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "held a torn record" in err and "dropped it" in err
    # Trial 2's completion was the torn record: it is RUNNING (a reconcile fails it); trial 3,
    # the record glued after the tear, is kept.
    assert [(t.number, t.state.name) for t in study.trials] == [
        (0, "COMPLETE"),
        (1, "COMPLETE"),
        (2, "RUNNING"),
        (3, "RUNNING"),
    ]
    study.optimize(_objective, n_trials=2)
    assert _plain_trials(journal)[-2:] == [(4, "COMPLETE"), (5, "COMPLETE")]


def _append_one_more(path) -> None:
    """An old-style append after the glued line, which makes the damage fatal to readers."""
    with open(path, "ab") as stream:
        stream.write(b'{"op_code":2,"worker_id":"w","study_id":0,"user_attr":{"k":1}}\n')


def test_a_partial_last_record_is_cut_off_before_anything_is_appended(journal, capfd):
    journal.write_bytes(journal.read_bytes()[:-25])
    study = optuna.load_study(study_name="s", storage=open_storage(f"journal:{journal}"))
    assert "a partial last record (" in capfd.readouterr().err
    study.optimize(_objective, n_trials=2)
    assert journal.read_bytes().endswith(b"}\n")
    assert [state for _, state in _plain_trials(journal)] == [
        "COMPLETE",
        "COMPLETE",
        "RUNNING",
        "COMPLETE",
        "COMPLETE",
    ]


def test_a_record_torn_while_a_process_has_the_journal_open_is_cut_before_its_append(journal):
    storage = open_storage(f"journal:{journal}")
    study = optuna.load_study(study_name="s", storage=storage)
    with open(journal, "ab") as stream:  # another writer died half-way through a record
        stream.write(b'{"op_code":6,"worker_id":"w","trial_id":2,"sta')
    study.optimize(_objective, n_trials=2)
    assert [state for _, state in _plain_trials(journal)][-2:] == ["COMPLETE", "COMPLETE"]


def test_an_intact_journal_is_not_rewritten(journal, capfd):
    before = journal.stat()
    open_storage(f"journal:{journal}")
    after = journal.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert capfd.readouterr().err == ""


def test_damage_no_torn_write_makes_is_one_clear_error(journal):
    from engine.errors import UsageError

    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:3]) + b"not json at all\n" + b"".join(lines[3:]))
    with pytest.raises(UsageError, match=r"the journal .* cannot be read .*restore it"):
        open_storage(f"journal:{journal}")
